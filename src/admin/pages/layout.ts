// The console's page frame and small shared pieces. Pages are server-rendered with hono/html, whose template
// escapes every interpolated value, so names and emails typed by admins or clients cannot inject markup.
import { html, raw } from "hono/html";
import type { AdminPrincipal } from "../auth";
import { CSRF_FIELD } from "../auth";
import { formatMicros } from "../../usage/cost";

export type Html = ReturnType<typeof html>;

const NAV = [
  ["spend", "/admin", "Spend"],
  ["budgets", "/admin/budgets", "Budgets and limits"],
  ["keys", "/admin/keys", "Keys"],
  ["models", "/admin/models", "Models"],
  ["requests", "/admin/requests", "Requests"],
] as const;

export type PageName = (typeof NAV)[number][0];

export function csrfField(admin: AdminPrincipal | undefined): Html {
  return admin?.kind === "session" ? html`<input type="hidden" name="${CSRF_FIELD}" value="${admin.session.csrfToken}" />` : raw("");
}

function head(title: string): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>${title} · bedrock-gateway admin</title>
        <link rel="stylesheet" href="/admin/assets/console.css" />
        <script src="/admin/assets/console.js" defer></script>
      </head>`;
}

export function page(opts: { title: string; active?: PageName; admin?: AdminPrincipal; body: Html | Html[] }): Html {
  const nav = NAV.map(([name, href, label]) => html`<a href="${href}" ${opts.active === name ? raw('aria-current="page"') : ""}>${label}</a>`);
  const signOut =
    opts.admin?.kind === "session"
      ? html`<form method="post" action="/admin/logout">${csrfField(opts.admin)}<button type="submit" class="secondary">Sign out</button></form>`
      : "";
  return html`${head(opts.title)}
    <body>
      <header>
        <a class="brand" href="/admin">bedrock-gateway admin</a>
        <nav aria-label="Console">${nav}</nav>
        ${signOut}
      </header>
      <main>${opts.body}</main>
    </body>
  </html>`;
}

/** A bare page (sign-in, errors before sign-in). */
export function barePage(title: string, body: Html): Html {
  return html`${head(title)}
    <body>
      <main>${body}</main>
    </body>
  </html>`;
}

export const usd = (m: number | null | undefined) => (m == null ? "—" : formatMicros(m));

/** Dollars rounded to the cent for summaries (`$1,234.57`); tables print six decimals. */
export function usdRounded(micros: number): string {
  const cents = Math.floor((micros + 5_000) / 10_000);
  return `$${Math.floor(cents / 100).toLocaleString("en-US")}.${String(cents % 100).padStart(2, "0")}`;
}

export const int = (n: number | null | undefined) => (n == null ? "—" : n.toLocaleString("en-US"));
export const when = (d: Date | null | undefined) => (d ? `${d.toISOString().slice(0, 16).replace("T", " ")} UTC` : "—");

export function notice(text: string | null | undefined, kind: "info" | "error" = "info"): Html {
  return text ? html`<p class="notice ${kind === "error" ? "error" : ""}" role="${kind === "error" ? "alert" : "status"}">${text}</p>` : raw("");
}

export function option(value: string, label: string, selected: string | undefined): Html {
  return html`<option value="${value}" ${selected === value ? raw("selected") : ""}>${label}</option>`;
}
