// The latest requests: who, which model, how it ended, tokens, cost and timings. No prompt or completion text is
// stored, so none can be shown.
import { html } from "hono/html";
import type { AdminPrincipal } from "../auth";
import { REQUEST_STATUSES, type RequestFilter, type RequestRow } from "../requests";
import { type Html, int, option, page, usd, when } from "./layout";

export function requestsPage(admin: AdminPrincipal, rows: RequestRow[], filter: RequestFilter, pageSize: number): Html {
  const f = filter as Record<string, string | number | undefined>;
  const older = rows.length === pageSize ? new URLSearchParams({ ...stringsOf(filter), before: String(rows.at(-1)!.id) }) : null;
  const body = rows.map(
    (r) =>
      html`<tr>
        <td>${when(r.createdAt)}</td>
        <td>${r.user}</td>
        <td>${r.team ?? "—"}</td>
        <td><code>${r.keyPrefix ?? "jwt"}</code></td>
        <td>${r.model}${r.stream ? html` <span class="note">stream</span>` : ""}</td>
        <td>${r.status}${r.httpStatus ? ` ${r.httpStatus}` : ""}${r.errorCode ? html`<br /><span class="note">${r.errorCode}</span>` : ""}</td>
        <td class="num">${int(r.inputTokens)}</td>
        <td class="num">${int(r.outputTokens)}</td>
        <td class="num">${int(r.cacheReadTokens)} / ${int(r.cacheWriteTokens)}</td>
        <td class="num">${r.costKnown ? usd(r.costMicros) : "unknown"}${r.estimated ? html`<br /><span class="note">estimated</span>` : ""}</td>
        <td class="num">${int(r.latencyMs)} ms</td>
        <td class="num">${r.ttftMs == null ? "—" : `${int(r.ttftMs)} ms`}</td>
        <td><code>${r.requestId}</code></td>
      </tr>`,
  );
  return page({
    title: "Requests",
    active: "requests",
    admin,
    body: html`<h1>Requests</h1>
      <form class="filters" method="get" action="/admin/requests">
        <label>User <input type="email" name="user" value="${f.user ?? ""}" placeholder="any" /></label>
        <label>Team <input type="text" name="team" value="${f.team ?? ""}" placeholder="any" /></label>
        <label>Model <input type="text" name="model" value="${f.model ?? ""}" placeholder="any" /></label>
        <label>Key prefix <input type="text" name="key" value="${f.key ?? ""}" placeholder="bgw_live_…" /></label>
        <label
          >Status
          <select name="status">
            ${option("", "any", String(f.status ?? ""))} ${REQUEST_STATUSES.map((s) => option(s, s, String(f.status ?? "")))}
          </select></label
        >
        <button type="submit">Filter</button>
      </form>
      <p class="note">Newest first, ${pageSize} at a time. Times are UTC; cost to the micro-dollar. Prompts and completions are never stored.</p>
      ${
        rows.length === 0
          ? html`<p>No requests match.</p>`
          : html`<div class="scroll">
            <table id="requests">
              <thead>
                <tr>
                  <th>Time</th>
                  <th>User</th>
                  <th>Team</th>
                  <th>Key</th>
                  <th>Model</th>
                  <th>Status</th>
                  <th class="num">Input</th>
                  <th class="num">Output</th>
                  <th class="num">Cache r/w</th>
                  <th class="num">Cost (USD)</th>
                  <th class="num">Latency</th>
                  <th class="num">TTFT</th>
                  <th>Request id</th>
                </tr>
              </thead>
              <tbody>
                ${body}
              </tbody>
            </table>
          </div>`
      }
      ${older ? html`<p><a href="/admin/requests?${older.toString()}">Older requests</a></p>` : ""}`,
  });
}

function stringsOf(f: RequestFilter): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) if (v !== undefined && k !== "before") out[k] = String(v);
  return out;
}
