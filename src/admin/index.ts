// The admin console (/admin) and its JSON API (/admin/api, and GET /admin/usage), served by the gateway itself on
// every runtime. Mounted only when ADMIN_TOKEN is set; without it every /admin path is the gateway's plain 404.
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Deps } from "../deps";
import { GatewayError, toOpenAIErrorBody } from "../errors";
import { registerAdminApi, registerAdminUsage } from "./api";
import { CONSOLE_CSS, CONSOLE_JS } from "./assets";
import { type AdminEnv, adminTokenMatches, clearSessionCookie, clientIp, readForm, requireAdmin, setSessionCookie } from "./auth";
import { cameOverHttps, isLoopbackHost } from "./cookie-policy";
import { errorPage, signInPage } from "./pages/sign-in";
import { registerPages } from "./routes";
import { createSession, deleteSession } from "./sessions";

/** Form posts and JSON bodies of the console are small; anything larger is not the console's. */
const MAX_ADMIN_BODY = 64 * 1024;

// A strict policy: only the console's own script and stylesheet run, nothing is framed or fetched elsewhere.
const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "cache-control": "no-store",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

const isApiPath = (path: string) => path.startsWith("/admin/api/") || path === "/admin/api" || path === "/admin/usage";

function renderError(c: Context<AdminEnv>, gw: GatewayError) {
  const id = c.get("requestId");
  if (id) c.header("x-request-id", id);
  if (isApiPath(c.req.path)) return c.json(toOpenAIErrorBody(gw), gw.status as 400);
  return c.html(errorPage(gw.status, gw.message), gw.status as 400);
}

export function createAdminApp(deps: Deps): Hono<AdminEnv> {
  const token = deps.config.ADMIN_TOKEN;
  if (!token) throw new Error("createAdminApp: ADMIN_TOKEN is not set");
  const admin = new Hono<AdminEnv>();

  admin.use("*", async function securityHeaders(c, next) {
    await next();
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) if (!c.res.headers.has(k)) c.res.headers.set(k, v);
  });
  admin.use(
    "*",
    bodyLimit({
      maxSize: MAX_ADMIN_BODY,
      onError: () => {
        throw GatewayError.payloadTooLarge(MAX_ADMIN_BODY);
      },
    }),
  );
  admin.get("/assets/console.css", (c) => c.body(CONSOLE_CSS, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "no-cache" }));
  admin.get("/assets/console.js", (c) => c.body(CONSOLE_JS, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" }));

  const insecure = (c: Context<AdminEnv>) =>
    !cameOverHttps({ url: c.req.url, forwardedProto: c.req.header("x-forwarded-proto"), trustProxy: deps.config.TRUST_PROXY }) &&
    !isLoopbackHost(new URL(c.req.url).hostname);
  admin.get("/login", (c) => c.html(signInPage({ insecure: insecure(c), info: c.req.query("signed_out") ? "Signed out." : undefined })));
  admin.post("/login", async (c) => {
    const given = (await readForm(c)).token ?? "";
    if (!(await adminTokenMatches(given.trim(), token))) {
      deps.logger.warn("admin sign-in refused", { requestId: c.get("requestId"), clientIp: clientIp(c, deps) });
      return c.html(signInPage({ error: "That is not the admin token.", insecure: insecure(c) }), 401);
    }
    const { id } = await createSession(c.get("scope").db, clientIp(c, deps), deps.clock.now());
    setSessionCookie(c, deps, id);
    return c.redirect("/admin", 303);
  });

  const apiAuth = requireAdmin(deps, () => {
    throw new GatewayError({
      status: 401,
      type: "authentication_error",
      code: "invalid_admin_token",
      message: "Send the admin token as `Authorization: Bearer …`, or sign in to the console.",
    });
  });
  const api = new Hono<AdminEnv>();
  api.use("*", apiAuth);
  registerAdminApi(api, deps);
  admin.route("/api", api);
  admin.use("/usage", apiAuth);
  registerAdminUsage(admin, deps);

  // Every page below needs a session; a browser without one is sent to sign in.
  admin.use(
    "*",
    requireAdmin(deps, (c) => c.redirect("/admin/login", 303)),
  );
  admin.post("/logout", async (c) => {
    const a = c.get("admin");
    if (a.kind === "session") await deleteSession(c.get("scope").db, a.session.idHash);
    clearSessionCookie(c, deps);
    return c.redirect("/admin/login?signed_out=1", 303);
  });
  registerPages(admin, deps);

  admin.all("*", (c) =>
    c.req.path === "/admin/"
      ? c.redirect("/admin", 301)
      : renderError(c, GatewayError.notFound(`Unknown request URL: ${c.req.method} ${c.req.path}.`, "unknown_url")),
  );
  admin.onError((err, c) => {
    if (err instanceof GatewayError) return renderError(c, err);
    deps.logger.error("unhandled error", { requestId: c.get("requestId"), path: c.req.path, error: err });
    return renderError(c, GatewayError.internal());
  });
  return admin;
}
