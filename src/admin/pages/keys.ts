// Keys: the list, the create form, the page that shows a new key once, the policy form, rotation and revocation
// (revocation asks first, on a page of its own, so it works without a script).
import { html, raw } from "hono/html";
import { type ApiKeyRecord, type KeyListing, keyStatus } from "../../db/keys";
import type { AdminPrincipal } from "../auth";
import { type Html, csrfField, notice, page, usd, when } from "./layout";

const limits = (k: ApiKeyRecord) =>
  [
    k.rpmLimit != null ? `${k.rpmLimit} rpm` : null,
    k.tpmLimit != null ? `${k.tpmLimit} tpm` : null,
    k.budgetDailyMicros != null ? `${usd(k.budgetDailyMicros)}/day` : null,
    k.budgetMonthlyMicros != null ? `${usd(k.budgetMonthlyMicros)}/month` : null,
  ]
    .filter(Boolean)
    .join(", ") || "—";

/** The policy fields, filled in with a key's values (or empty for a new key). */
function policyFields(k?: ApiKeyRecord): Html {
  const v = (m: number | null | undefined) => (m == null ? "" : usd(m));
  return html`<label>Models (comma-separated; empty: all) <input name="models" value="${k?.allowedModels?.join(", ") ?? ""}" placeholder="claude-*, nova-lite" /></label>
    <label>Requests per minute <input name="rpm" inputmode="numeric" value="${k?.rpmLimit ?? ""}" placeholder="no limit" /></label>
    <label>Tokens per minute <input name="tpm" inputmode="numeric" value="${k?.tpmLimit ?? ""}" placeholder="no limit" /></label>
    <label>Daily budget (USD) <input name="budget_daily_usd" inputmode="decimal" value="${v(k?.budgetDailyMicros)}" placeholder="no budget" /></label>
    <label>Monthly budget (USD) <input name="budget_monthly_usd" inputmode="decimal" value="${v(k?.budgetMonthlyMicros)}" placeholder="no budget" /></label>
    <label>Expires (date or 90d) <input name="expires" value="${k?.expiresAt?.toISOString().slice(0, 10) ?? ""}" placeholder="never" /></label>`;
}

/** Rows shown at once; filters narrow the list (a gateway may hold many thousands of keys). */
export const KEYS_SHOWN = 200;

export function keysPage(
  admin: AdminPrincipal,
  all: KeyListing[],
  now: number,
  opts: { message?: string; error?: string; form?: Record<string, string>; filter?: { user?: string; team?: string } } = {},
): Html {
  const f = opts.form ?? {};
  // Newest first: the key just made, or the one a user asks about, is usually recent.
  const keys = [...all].reverse().slice(0, KEYS_SHOWN);
  const rows = keys.map((k) => {
    const status = keyStatus(k, now);
    return html`<tr data-prefix="${k.prefix}" data-status="${status}">
      <td><code>${k.prefix}</code></td>
      <td>${k.name ?? "—"}</td>
      <td>${k.user}</td>
      <td>${k.team ?? "—"}</td>
      <td>${k.allowedModels?.join(", ") ?? "all"}</td>
      <td>${limits(k)}</td>
      <td class="num">${usd(k.spentTodayMicros)}<br /><span class="note">${usd(k.spentMonthMicros)} this month</span></td>
      <td>${when(k.createdAt)}</td>
      <td>${when(k.lastUsedAt)}</td>
      <td>${when(k.expiresAt)}</td>
      <td>${status === "active" ? status : html`<strong>${status}</strong>`}</td>
      <td class="actions">
        ${status === "revoked" ? "" : html`<a href="/admin/keys/${k.id}">Edit</a> <a href="/admin/keys/${k.id}/revoke">Revoke</a>`}
      </td>
    </tr>`;
  });
  return page({
    title: "Keys",
    active: "keys",
    admin,
    body: html`<h1>Keys</h1>
      ${notice(opts.message)} ${notice(opts.error, "error")}
      <details ${opts.error ? raw("open") : ""}>
        <summary><strong>Create a key</strong></summary>
        <form method="post" action="/admin/keys" id="create-key">
          ${csrfField(admin)}
          <div class="grid-form">
            <label>Owner's email (required) <input type="email" name="user" required value="${f.user ?? ""}" /></label>
            <label>Team <input name="team" value="${f.team ?? ""}" /></label>
            <label>Name <input name="name" value="${f.name ?? ""}" placeholder="laptop, ci…" /></label>
            ${policyFields()}
          </div>
          <button type="submit">Create key</button>
        </form>
      </details>
      <h2>Keys</h2>
      <form class="filters" method="get" action="/admin/keys">
        <label>Owner <input type="email" name="user" value="${opts.filter?.user ?? ""}" placeholder="anyone" /></label>
        <label>Team <input type="text" name="team" value="${opts.filter?.team ?? ""}" placeholder="any" /></label>
        <button type="submit">Filter</button>
      </form>
      <p class="note">${all.length > KEYS_SHOWN ? `The newest ${KEYS_SHOWN} of ${all.length} keys; filter to find others.` : `${all.length} keys, newest first.`}</p>
      ${
        keys.length === 0
          ? html`<p>No keys yet.</p>`
          : html`<div class="scroll">
            <table id="keys">
              <thead>
                <tr>
                  <th>Prefix</th>
                  <th>Name</th>
                  <th>Owner</th>
                  <th>Team</th>
                  <th>Models</th>
                  <th>Limits</th>
                  <th class="num">Spent today</th>
                  <th>Created</th>
                  <th>Last used</th>
                  <th>Expires</th>
                  <th>Status</th>
                  <th></th>
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

/** Shown once, right after create or rotate: the only time the plaintext key exists outside the client. */
export function createdKeyPage(
  admin: AdminPrincipal,
  k: { prefix: string; key: string; user: string; team: string | null },
  env: string,
  replaced?: string,
): Html {
  return page({
    title: "New key",
    active: "keys",
    admin,
    body: html`<h1>New key ${k.prefix}</h1>
      <p class="notice" role="status">
        ${replaced ? `Replaces ${replaced}. ` : ""}Copy the key now: this is the only time it is shown. The gateway keeps only its hash.
      </p>
      <p>Owner ${k.user}${k.team ? `, team ${k.team}` : ""}.</p>
      <h2>Key</h2>
      <code class="secret" id="new-key">${k.key}</code>
      <p><button type="button" data-copy="new-key">Copy key</button></p>
      <h2>For an OpenAI client</h2>
      <pre class="secret" id="new-env">${env}</pre>
      <p><button type="button" data-copy="new-env">Copy both lines</button></p>
      <p><a href="/admin/keys">Back to keys</a></p>`,
  });
}

export function editKeyPage(admin: AdminPrincipal, k: ApiKeyRecord, now: number, error?: string): Html {
  const status = keyStatus(k, now);
  return page({
    title: `Key ${k.prefix}`,
    active: "keys",
    admin,
    body: html`<h1>Key <code>${k.prefix}</code></h1>
      <p>${k.name ?? "(no name)"} · ${k.user}${k.team ? ` · team ${k.team}` : ""} · ${status}</p>
      ${notice(error, "error")}
      <h2>Policy</h2>
      <form method="post" action="/admin/keys/${k.id}/update" id="update-key">
        ${csrfField(admin)}
        <div class="grid-form">${policyFields(k)}</div>
        <button type="submit">Save policy</button>
      </form>
      <h2>Rotate</h2>
      <form method="post" action="/admin/keys/${k.id}/rotate" class="actions">
        ${csrfField(admin)}
        <label>Old key keeps working for <input name="grace" value="24h" size="6" /></label>
        <button type="submit" class="secondary">Rotate key</button>
      </form>
      <h2>Revoke</h2>
      <p><a class="button danger" href="/admin/keys/${k.id}/revoke">Revoke…</a></p>`,
  });
}

export function revokeConfirmPage(admin: AdminPrincipal, k: ApiKeyRecord): Html {
  return page({
    title: `Revoke ${k.prefix}`,
    active: "keys",
    admin,
    body: html`<h1>Revoke key <code>${k.prefix}</code>?</h1>
      <p>${k.name ?? "(no name)"} · ${k.user}${k.team ? ` · team ${k.team}` : ""}</p>
      <p>Every client using this key is refused from now on. This cannot be undone.</p>
      <form method="post" action="/admin/keys/${k.id}/revoke" class="actions">
        ${csrfField(admin)}
        <button type="submit" class="danger">Yes, revoke ${k.prefix}</button>
        <a class="button secondary" href="/admin/keys">Cancel</a>
      </form>`,
  });
}
