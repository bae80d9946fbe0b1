// The Spend page: this month at a glance, spend per day for a period (stacked by team, user or model), and the
// report table for the same period with the numbers `bedrock-gateway usage report` prints, to the micro-dollar.
import { html, raw } from "hono/html";
import type { ReportRow } from "../../db/report";
import { reportColumns, reportJson, totalsJson } from "../../report/format";
import type { AdminPrincipal } from "../auth";
import { type DailySeries, chartSvg, colourOf } from "../chart";
import { type MonthSummary, STACKS, type SpendQuery, type SpendView, TABLE_DIMENSIONS } from "../data";
import { PERIODS, cliCommandFor } from "../periods";
import { type Html, int, notice, option, page, usd, usdRounded } from "./layout";

const HEADERS: Record<string, string> = {
  user: "User",
  team: "Team",
  key: "Key",
  key_name: "Name",
  key_user: "Owner",
  model: "Model",
  requests: "Requests",
  errors: "Errors",
  input_tokens: "Input tokens",
  output_tokens: "Output tokens",
  cache_read_tokens: "Cache read",
  cache_write_tokens: "Cache write",
  cost_usd: "Cost (USD)",
};
const PERIOD_LABELS: Record<string, string> = {
  "this-month": "This month",
  "last-month": "Last month",
  "7d": "Last 7 days",
  "30d": "Last 30 days",
  custom: "Custom range",
};
const NUMERIC = new Set(["requests", "errors", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "cost_usd"]);

export type SpendPageInput = {
  admin: AdminPrincipal;
  summary: MonthSummary;
  query: SpendQuery;
  /** The words as the admin gave them, to keep the form filled in. */
  words: Record<string, string>;
  view: SpendView | null;
  error?: string;
};

/** Rows sorted by a column, or in the report's own order when no column is chosen. */
export function sortRows(rows: Record<string, unknown>[], column: string | undefined, dir: string | undefined): Record<string, unknown>[] {
  if (!column) return rows;
  const sign = dir === "asc" ? 1 : -1;
  const num = (v: unknown) => (typeof v === "number" ? v : typeof v === "string" && NUMERIC.has(column) ? Number(v.replace(".", "")) : 0);
  return [...rows].sort((a, b) => {
    if (NUMERIC.has(column)) return sign * (num(a[column]) - num(b[column]));
    return sign * String(a[column] ?? "").localeCompare(String(b[column] ?? ""));
  });
}

function summaryCards(s: MonthSummary): Html {
  const top = (label: string, v: { name: string | null; costMicros: number } | null) =>
    html`<div class="card">
      <div class="muted">${label}</div>
      <div class="big">${v ? (v.name ?? "(no team)") : "—"}</div>
      <div class="muted">${v ? `${usdRounded(v.costMicros)} (exact ${usd(v.costMicros)} USD)` : "no spend yet"}</div>
    </div>`;
  return html`<section class="cards" aria-label="This month">
      <div class="card">
        <div class="muted">Spend this month (${s.month}, UTC)</div>
        <div class="big" data-testid="month-spend">${usdRounded(s.costMicros)}</div>
        <div class="muted">exact ${usd(s.costMicros)} USD · rounded to the cent</div>
      </div>
      <div class="card">
        <div class="muted">Requests this month</div>
        <div class="big" data-testid="month-requests">${int(s.requests)}</div>
        <div class="muted">${int(s.errors)} ended with an error</div>
      </div>
      ${top("Top user this month", s.topUser)} ${top("Top team this month", s.topTeam)} ${top("Top model this month", s.topModel)}
    </section>`;
}

function filters(w: Record<string, string>): Html {
  return html`<form class="filters" method="get" action="/admin">
    <label>Period <select name="period">${PERIODS.map((p) => option(p, PERIOD_LABELS[p], w.period ?? "this-month"))}</select></label>
    <label data-custom>From (UTC) <input type="date" name="from" value="${w.from ?? ""}" /></label>
    <label data-custom>To, included <input type="date" name="to" value="${w.to ?? ""}" /></label>
    <label>Table by <select name="by">${TABLE_DIMENSIONS.map((d) => option(d, d, w.by ?? "user"))}</select></label>
    <label>Chart stacked by <select name="stack">${STACKS.map((s) => option(s, s === "none" ? "nothing" : s, w.stack ?? "team"))}</select></label>
    <label>User <input type="email" name="user" value="${w.user ?? ""}" placeholder="any" /></label>
    <label>Team <input type="text" name="team" value="${w.team ?? ""}" placeholder="any" /></label>
    <button type="submit">Show</button>
  </form>`;
}

function dailyTable(series: DailySeries): Html {
  const names = series.stack ? series.names : [];
  return html`<div class="scroll daily">
    <table aria-label="Spend per day">
      <thead>
        <tr>
          <th>Day (UTC)</th>
          <th class="num">Requests</th>
          ${names.map((n, i) => html`<th class="num">${swatch(i)} ${n}</th>`)}
          <th class="num">Cost (USD)</th>
        </tr>
      </thead>
      <tbody>
        ${series.days.map(
          (d) =>
            html`<tr>
              <td>${d.day}</td>
              <td class="num">${int(d.requests)}</td>
              ${d.parts.map((p) => html`<td class="num">${usd(p.micros)}</td>`)}
              <td class="num">${usd(d.totalMicros)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

const swatch = (i: number) => html`<svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill="${colourOf(i)}"></rect></svg>`;

function legend(series: DailySeries): Html {
  if (!series.stack) return raw("");
  return html`<ul class="legend" aria-label="Chart legend">
    ${series.names.map((n, i) => html`<li>${swatch(i)} ${n}</li>`)}
  </ul>`;
}

function reportTable(rows: ReportRow[], q: SpendQuery, w: Record<string, string>, view: SpendView): Html {
  const columns = reportColumns([q.by]);
  const body = sortRows(reportJson(rows, [q.by]), w.sort, w.dir);
  const total = totalsJson(view.totals) as Record<string, unknown>;
  const link = (c: string) => {
    const dir = w.sort === c && w.dir !== "asc" ? "asc" : "desc";
    const params = new URLSearchParams({ ...w, sort: c, dir });
    const mark = w.sort === c ? (w.dir === "asc" ? " ▲" : " ▼") : "";
    return html`<a href="/admin?${params.toString()}">${HEADERS[c] ?? c}${mark}</a>`;
  };
  const cell = (o: Record<string, unknown>, c: string) => {
    const v = o[c];
    if (v == null) return html`<td>${c === "team" ? "(no team)" : "—"}</td>`;
    return NUMERIC.has(c) ? html`<td class="num">${typeof v === "number" ? int(v) : String(v)}</td>` : html`<td>${String(v)}</td>`;
  };
  return html`<div class="scroll">
    <table id="report" aria-label="Spend by ${q.by}">
      <thead>
        <tr>
          ${columns.map((c) => html`<th class="${NUMERIC.has(c) ? "num" : ""}" scope="col">${link(c)}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${body.map((o) => html`<tr>${columns.map((c) => cell(o, c))}</tr>`)}
      </tbody>
      <tfoot>
        <tr class="total">
          ${columns.map((c, i) => (i === 0 ? html`<td>TOTAL</td>` : NUMERIC.has(c) ? cell(total, c) : html`<td></td>`))}
        </tr>
      </tfoot>
    </table>
  </div>`;
}

export function spendPage(input: SpendPageInput): Html {
  const { query: q, view, words: w } = input;
  const filter = { user: q.user, team: q.team };
  const csv = new URLSearchParams({
    format: "csv",
    since: q.period.since.toISOString(),
    until: q.period.until.toISOString(),
    by: q.by,
    ...(q.user ? { user: q.user } : {}),
    ...(q.team ? { team: q.team } : {}),
  });
  const body = view
    ? html`<h2>Spend per day · ${q.period.label}</h2>
        <p class="note">${q.period.firstDay} to ${q.period.lastDay} included (UTC). Axis labels are rounded; hover a bar, or read the table, for exact amounts.</p>
        <div class="chart-wrap">
          <figure class="plain">${chartSvg(view.series)}${legend(view.series)}</figure>
          ${dailyTable(view.series)}
        </div>
        <h2>Spend by ${q.by}</h2>
        <p class="actions">
          <a class="button secondary" href="/admin/api/report?${csv.toString()}" download>Export CSV</a>
          <span class="note">Same numbers as <code>${cliCommandFor(q.period, q.by, filter)}</code></span>
        </p>
        ${view.rows.length === 0 ? html`<p>No usage in this period.</p>` : reportTable(view.rows, q, w, view)}`
    : raw("");
  return page({
    title: "Spend",
    active: "spend",
    admin: input.admin,
    body: html`<h1>Spend</h1>
      ${summaryCards(input.summary)} ${filters(w)} ${notice(input.error, "error")} ${body}`,
  });
}
