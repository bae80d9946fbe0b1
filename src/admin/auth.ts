// Who may use the console and its API: the admin token, compared in constant time, exchanged at sign-in for a
// session cookie; or the token itself as a bearer (scripts, GET /admin/usage). A change made with a session cookie
// must also carry the session's CSRF token, since a browser attaches cookies to requests other sites make.
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../app-env";
import { hashApiKey, timingSafeEqual } from "../auth/api-key";
import type { Deps } from "../deps";
import { GatewayError } from "../errors";
import { clientIpOf } from "../http/access-log";
import { cookieSecure } from "./cookie-policy";
import { type AdminSession, SESSION_TTL_MS, findSession } from "./sessions";

export const SESSION_COOKIE = "bgw_admin";
export const CSRF_HEADER = "x-csrf-token";
export const CSRF_FIELD = "_csrf";

export type AdminPrincipal = { kind: "session"; session: AdminSession; actor: string } | { kind: "token"; actor: string };
export type AdminEnv = { Variables: AppEnv["Variables"] & { admin: AdminPrincipal; formBody?: Record<string, string> } };

/** Hashing both sides first makes the comparison constant-time whatever the lengths. */
export async function adminTokenMatches(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([hashApiKey(given), hashApiKey(expected)]);
  return timingSafeEqual(a, b);
}

export function clientIp(c: Context, deps: Pick<Deps, "config" | "clientAddress">): string | null {
  return clientIpOf(c.req.header("x-forwarded-for"), deps.config.TRUST_PROXY, () => deps.clientAddress?.(c.env) ?? null);
}

/** The audit actor of a console change: the session (the start of its stored hash, never the id) and the client address. */
export function sessionActor(session: Pick<AdminSession, "idHash">, ip: string | null): string {
  return `console:${session.idHash.slice(0, 8)}@${ip ?? "unknown"}`;
}

export function isSecureRequest(c: Context, deps: Pick<Deps, "config">): boolean {
  return cookieSecure({ url: c.req.url, forwardedProto: c.req.header("x-forwarded-proto"), trustProxy: deps.config.TRUST_PROXY });
}

export function setSessionCookie(c: Context, deps: Pick<Deps, "config">, id: string): void {
  setCookie(c, SESSION_COOKIE, id, {
    path: "/admin",
    httpOnly: true,
    sameSite: "Strict",
    secure: isSecureRequest(c, deps),
    maxAge: SESSION_TTL_MS / 1000,
  });
}

export function clearSessionCookie(c: Context, deps: Pick<Deps, "config">): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/admin", httpOnly: true, sameSite: "Strict", secure: isSecureRequest(c, deps) });
}

function bearerOf(c: Context): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "");
  return m ? m[1] : null;
}

const unauthorized = () =>
  new GatewayError({
    status: 401,
    type: "authentication_error",
    code: "invalid_admin_token",
    message: "Sign in to the console, or send the admin token as a bearer.",
  });

const CHANGES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Admits a request with the admin token as a bearer, or a live session cookie (with the CSRF token on changes).
 * `onMissing` decides what a browser without a session gets (pages: the sign-in page; API: 401).
 */
export function requireAdmin(deps: Deps, onMissing: (c: Context<AdminEnv>) => Response | Promise<Response>): MiddlewareHandler<AdminEnv> {
  const expected = deps.config.ADMIN_TOKEN!;
  return async function requireAdmin(c, next) {
    const bearer = bearerOf(c);
    if (bearer !== null) {
      if (!(await adminTokenMatches(bearer, expected))) throw unauthorized();
      c.set("admin", { kind: "token", actor: `admin-token@${clientIp(c, deps) ?? "unknown"}` });
      return next();
    }
    const id = getCookie(c, SESSION_COOKIE);
    const session = id ? await findSession(c.get("scope").db, id, deps.clock.now()) : null;
    if (!session) return onMissing(c);
    if (CHANGES.has(c.req.method)) await checkCsrf(c, session);
    c.set("admin", { kind: "session", session, actor: sessionActor(session, clientIp(c, deps)) });
    return next();
  };
}

const csrfRefused = () =>
  new GatewayError({
    status: 403,
    type: "permission_error",
    code: "csrf_token_invalid",
    message: "This change did not carry the console's CSRF token. Reload the page and try again.",
  });

/** The CSRF token from the header (API) or the form field (pages); a form body read here is kept for the handler. */
async function checkCsrf(c: Context<AdminEnv>, session: AdminSession): Promise<void> {
  let given = c.req.header(CSRF_HEADER) ?? null;
  if (given === null && /^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(c.req.header("content-type") ?? "")) {
    const form = await readForm(c);
    given = form[CSRF_FIELD] ?? null;
  }
  if (given === null || !timingSafeEqual(given, session.csrfToken)) throw csrfRefused();
}

/** The form fields of a POST, read once (strings only; files are ignored). */
export async function readForm(c: Context<AdminEnv>): Promise<Record<string, string>> {
  const kept = c.get("formBody");
  if (kept) return kept;
  const body = await c.req.parseBody();
  const form: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === "string") form[k] = v;
  c.set("formBody", form);
  return form;
}
