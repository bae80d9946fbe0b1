// The model catalogue: aliases, targets in routing order, prices per million tokens, enable/disable, and a form per
// model for its other names and its prices (the model's and each target's own).
import { html } from "hono/html";
import type { PriceRow } from "../../db/schema";
import type { ModelRowInput } from "../../models/catalogue";
import type { AdminPrincipal } from "../auth";
import { PRICE_FIELDS } from "../model-form";
import { type Html, csrfField, notice, page, usd } from "./layout";

const PRICE_LABELS = ["Input", "Output", "Cache read", "Cache write"] as const;
const priceOf = (p: PriceRow | null | undefined, i: number) => [p?.input, p?.output, p?.cacheRead, p?.cacheWrite][i];

function enableForm(admin: AdminPrincipal, m: ModelRowInput): Html {
  const verb = m.enabled ? "disable" : "enable";
  return html`<form method="post" action="/admin/models/${encodeURIComponent(m.alias)}/${verb}">
    ${csrfField(admin)}<button type="submit" class="${m.enabled ? "secondary" : ""}">${m.enabled ? "Disable" : "Enable"}</button>
  </form>`;
}

export function modelsPage(admin: AdminPrincipal, models: ModelRowInput[], message?: string, command?: string): Html {
  const rows = models.map((m) => {
    const edit = `/admin/models/${encodeURIComponent(m.alias)}`;
    return html`<tr data-alias="${m.alias}">
      <td><strong>${m.alias}</strong></td>
      <td class="aliases"><div class="wrap">${m.aliases.join(", ") || "—"}</div></td>
      <td>${m.kind}</td>
      <td>
        ${m.targets.map(
          (t, i) =>
            html`${i > 0 ? html`<br />` : ""}${i + 1}. <code>${t.modelId}</code>${t.region ? ` @ ${t.region}` : ""}${
              t.price ? html`<br /><span class="note">own price: ${usd(t.price.input)} in / ${usd(t.price.output)} out</span>` : ""
            }`,
        )}
      </td>
      <td class="num">${usd(m.price?.input)}</td>
      <td class="num">${usd(m.price?.output)}</td>
      <td class="num">${usd(m.price?.cacheRead)}</td>
      <td class="num">${usd(m.price?.cacheWrite)}</td>
      <td class="wrap">${m.source ?? "—"}</td>
      <td>${m.enabled ? "enabled" : html`<strong>disabled</strong>`}</td>
      <td class="actions"><a class="button secondary" href="${edit}">Edit</a> ${enableForm(admin, m)}</td>
    </tr>`;
  });
  return page({
    title: "Models",
    active: "models",
    admin,
    body: html`<h1>Models</h1>
      ${notice(message)} ${command ? html`<p class="note">The same change from a terminal: <code class="cli">${command}</code></p>` : ""}
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

function priceInputs(prefix: string, price: PriceRow | null | undefined, placeholders: string[], form?: Record<string, string>): Html[] {
  return PRICE_FIELDS.map(([field], i) => {
    const v = priceOf(price, i);
    const name = `${prefix}${field}`;
    const value = form ? (form[name] ?? "") : v == null ? "" : usd(v);
    return html`<label
      >${PRICE_LABELS[i]} (USD / 1M)
      <input name="${name}" inputmode="decimal" autocomplete="off" value="${value}" placeholder="${placeholders[i]}"
    /></label>`;
  });
}

export function editModelPage(admin: AdminPrincipal, m: ModelRowInput, error?: string, form?: Record<string, string>): Html {
  const action = `/admin/models/${encodeURIComponent(m.alias)}`;
  const modelPlaceholders = [0, 1, 2, 3].map((i) => (i < 2 ? (m.price ? "" : "unknown") : "input rate"));
  const targets = m.targets.map((t, i) => {
    const label = `${t.modelId}${t.region ? ` @ ${t.region}` : ""}`;
    const inherited = [0, 1, 2, 3].map((j) => {
      const v = priceOf(m.price, j) ?? (j >= 2 ? m.price?.input : undefined);
      return v == null ? "model's: unknown" : `model's: ${usd(v)}`;
    });
    return html`<fieldset data-target="${i}">
      <legend>Target ${i + 1}: <code>${label}</code></legend>
      <input type="hidden" name="target_${i}" value="${t.region ? `${t.modelId}@${t.region}` : t.modelId}" />
      <div class="grid-form">${priceInputs(`target_${i}_`, t.price, inherited, form)}</div>
      <p class="note">${t.price ? "This target has a price of its own." : "Empty: this target costs the model's price."}</p>
    </fieldset>`;
  });
  return page({
    title: `Model ${m.alias}`,
    active: "models",
    admin,
    body: html`<h1>Model <code>${m.alias}</code></h1>
      <p>${m.kind} · ${m.enabled ? "enabled" : html`<strong>disabled</strong>`} · price source: ${m.source ?? "—"}</p>
      <div class="actions">${enableForm(admin, m)}</div>
      ${notice(error, "error")}
      <form method="post" action="${action}" id="edit-model">
        ${csrfField(admin)}
        <fieldset>
          <legend>Other names</legend>
          <label
            >Names clients may send as <code>model</code> besides ${m.alias} (comma-separated; empty: none)
            <input name="aliases" autocomplete="off" value="${form?.aliases ?? m.aliases.join(", ")}"
          /></label>
        </fieldset>
        <fieldset>
          <legend>Price of the model</legend>
          <div class="grid-form">${priceInputs("", m.price, modelPlaceholders, form)}</div>
          <p class="note">
            USD per million tokens, at most six decimals. An empty cache rate is charged at the input rate. A price once set can be changed, not removed.
          </p>
        </fieldset>
        ${targets}
        <p class="actions">
          <button type="submit">Save model</button>
          <a class="button secondary" href="/admin/models">Cancel</a>
        </p>
      </form>`,
  });
}
