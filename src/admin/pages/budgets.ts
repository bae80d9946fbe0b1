// Budgets and limits: each active key, and each team and user with a budget or limit, with how much of each budget
// is used (a bar and the numbers beside it), when it resets, and the rpm/tpm limits. Over or near a budget is said
// in words and marked by a border and an icon, not by colour alone.
import { html, raw } from "hono/html";
import type { AdminPrincipal } from "../auth";
import { type BudgetUse, NEAR_BUDGET_PERCENT, untilLabel } from "../budgets";
import type { BudgetEntry } from "../data";
import { type Html, int, page, usd } from "./layout";

const STATE_TEXT = { over: "⛔ Over budget", near: "⚠ Near budget", ok: "OK", none: "No budget" } as const;

function bar(u: BudgetUse): Html {
  if (u.percent === null) return raw("");
  const w = Math.min(100, u.percent) * 1.4;
  return html`<svg class="bar" viewBox="0 0 140 10" aria-hidden="true"
    ><rect class="track" x="0" y="0" width="140" height="10" rx="2"></rect
    ><rect class="used ${u.state}" x="0" y="0" width="${w.toFixed(1)}" height="10" rx="2"></rect
  ></svg>`;
}

function useCell(u: BudgetUse, now: number, period: "daily" | "monthly"): Html {
  if (u.budgetMicros === null)
    return html`<td><span class="muted">no ${period} budget</span><br /><span class="note">spent ${usd(u.spentMicros)} USD</span></td>`;
  const reset = period === "daily" ? "00:00 UTC" : `${u.resetsAt.toISOString().slice(0, 10)} 00:00 UTC`;
  return html`<td data-state="${u.state}">
    ${bar(u)}
    <span>${usd(u.spentMicros)} of ${usd(u.budgetMicros)} USD · ${u.percent}%</span>
    ${u.state === "over" || u.state === "near" ? html` <span class="badge state-${u.state}">${STATE_TEXT[u.state]}</span>` : ""}<br />
    <span class="note">resets ${reset} (${untilLabel(u.resetsAt, now)})</span>
  </td>`;
}

export function budgetsPage(admin: AdminPrincipal, entries: BudgetEntry[], now: number, team?: string): Html {
  const rows = entries.map(
    (e) =>
      html`<tr class="attention-${e.state}" data-level="${e.level}" data-name="${e.label}">
        <td>${e.level}</td>
        <td><strong>${e.label}</strong>${e.detail ? html`<br /><span class="note">${e.detail}</span>` : ""}</td>
        <td><span class="badge state-${e.state}">${STATE_TEXT[e.state]}</span></td>
        ${useCell(e.daily, now, "daily")} ${useCell(e.monthly, now, "monthly")}
        <td class="num">${int(e.rpm)}</td>
        <td class="num">${int(e.tpm)}</td>
      </tr>`,
  );
  const attention = entries.filter((e) => e.state === "over" || e.state === "near").length;
  return page({
    title: "Budgets and limits",
    active: "budgets",
    admin,
    body: html`<h1>Budgets and limits</h1>
      <form class="filters" method="get" action="/admin/budgets">
        <label>Team <input type="text" name="team" value="${team ?? ""}" placeholder="every team" /></label>
        <button type="submit">Show</button>
      </form>
      <p class="note">
        Keys, teams and users with a budget, a limit or spend this month. Spend today and this month (UTC) as the gateway counts it against budgets. "Near" means at least ${NEAR_BUDGET_PERCENT}% used. ${attention} of
        ${entries.length} need attention; they are listed first.
      </p>
      ${
        entries.length === 0
          ? html`<p>No keys, teams or users with budgets or limits yet.</p>`
          : html`<div class="scroll">
            <table id="budgets">
              <thead>
                <tr>
                  <th>Level</th>
                  <th>Name</th>
                  <th>State</th>
                  <th>Daily budget</th>
                  <th>Monthly budget</th>
                  <th class="num">RPM</th>
                  <th class="num">TPM</th>
                </tr>
              </thead>
              <tbody>
                ${rows}
              </tbody>
            </table>
          </div>`
      }`,
  });
}
