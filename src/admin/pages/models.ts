// The model catalogue: aliases, targets in routing order, prices per million tokens, and enable/disable.
import { html } from "hono/html";
import type { ModelRowInput } from "../../models/catalogue";
import type { AdminPrincipal } from "../auth";
import { type Html, csrfField, notice, page, usd } from "./layout";

export function modelsPage(admin: AdminPrincipal, models: ModelRowInput[], message?: string): Html {
  const rows = models.map((m) => {
    const verb = m.enabled ? "disable" : "enable";
    return html`<tr data-alias="${m.alias}">
      <td><strong>${m.alias}</strong></td>
      <td>${m.aliases.join(", ") || "—"}</td>
      <td>${m.kind}</td>
      <td>${m.targets.map((t, i) => html`${i > 0 ? html`<br />` : ""}${i + 1}. <code>${t.modelId}</code>${t.region ? ` @ ${t.region}` : ""}`)}</td>
      <td class="num">${usd(m.price?.input)}</td>
      <td class="num">${usd(m.price?.output)}</td>
      <td class="num">${usd(m.price?.cacheRead)}</td>
      <td class="num">${usd(m.price?.cacheWrite)}</td>
      <td>${m.source ?? "—"}</td>
      <td>${m.enabled ? "enabled" : html`<strong>disabled</strong>`}</td>
      <td>
        <form method="post" action="/admin/models/${encodeURIComponent(m.alias)}/${verb}">
          ${csrfField(admin)}<button type="submit" class="${m.enabled ? "secondary" : ""}">${m.enabled ? "Disable" : "Enable"}</button>
        </form>
      </td>
    </tr>`;
  });
  return page({
    title: "Models",
    active: "models",
    admin,
    body: html`<h1>Models</h1>
      ${notice(message)}
      <p class="note">Prices are USD per million tokens; no price means the cost is unknown (budgeted keys cannot use the model). A disabled model answers 404 to every caller.</p>
      <div class="scroll">
        <table id="models">
          <thead>
            <tr>
              <th>Alias</th>
              <th>Other names</th>
              <th>Kind</th>
              <th>Targets (in order)</th>
              <th class="num">Input</th>
              <th class="num">Output</th>
              <th class="num">Cache read</th>
              <th class="num">Cache write</th>
              <th>Price source</th>
              <th>Status</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            ${rows}
          </tbody>
        </table>
      </div>`,
  });
}
