/**
 * Console sign-in on real Postgres and PGlite: the token exchanged for a random session id stored hashed, the cookie's
 * flags, 12-hour sessions that end with "Sign out", CSRF refusal on changes, the audit actor, and no console at all
 * without ADMIN_TOKEN.
 */
import { desc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../../src/auth/api-key";
import { adminSessions, apiKeys, auditLog } from "../../../src/db/schema";
import { randomEmail, testBackends, type TestDb } from "../../support/db";
import { createHarness } from "../faults/app-harness";
import { ADMIN_TOKEN, adminHarness, type AdminHarness } from "./admin-harness";

const form = (fields: Record<string, string>) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(fields).toString(),
});

describe.each(testBackends)("admin sessions on $name", ({ open }) => {
  let t: TestDb;
  let h: AdminHarness;
  beforeAll(async () => {
    t = await open();
    h = adminHarness(t.db);
  });
  afterAll(async () => t.close());

  it("without ADMIN_TOKEN every /admin path is a 404, and the token is never accepted", async () => {
    const off = createHarness({ db: t.db });
    for (const [path, init] of [
      ["/admin", {}],
      ["/admin/login", {}],
      ["/admin/login", form({ token: ADMIN_TOKEN })],
      ["/admin/usage", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }],
      ["/admin/api/keys", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }],
      ["/admin/assets/console.js", {}],
    ] as const) {
      const res = await off.app.request(`http://127.0.0.1${path}`, init as RequestInit);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("set-cookie"), path).toBeNull();
    }
  });

  it("a wrong token is refused with the sign-in page, no cookie and no session row", async () => {
    const before = (await t.db.select().from(adminSessions)).length;
    for (const token of ["wrong", `${ADMIN_TOKEN}x`, ADMIN_TOKEN.slice(0, -1), ""]) {
      const { res, setCookie } = await h.signIn(token);
      expect(res.status, token).toBe(401);
      expect(setCookie).toBe("");
      expect(await res.text()).toContain("That is not the admin token.");
    }
    expect((await t.db.select().from(adminSessions)).length).toBe(before);
  });

  it("sign-in exchanges the token for a random session id, stored only as its SHA-256, for 12 hours", async () => {
    const started = Date.now();
    const { res, cookie } = await h.signIn();
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/admin");
    const id = cookie.split("=")[1];
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(id).not.toContain(ADMIN_TOKEN);
    const [row] = await t.db
      .select()
      .from(adminSessions)
      .where(eq(adminSessions.idHash, await hashApiKey(id)));
    expect(row).toBeDefined();
    expect(JSON.stringify(row)).not.toContain(id);
    expect(row.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const ttl = row.expiresAt.getTime() - row.createdAt.getTime();
    expect(ttl).toBe(12 * 3600 * 1000);
    expect(row.createdAt.getTime()).toBeGreaterThanOrEqual(started - 1000);
    // A second sign-in is another session with its own id and CSRF token.
    const again = await h.signIn();
    expect(again.cookie).not.toBe(cookie);
  });

  it.each([
    { what: "plain http on loopback", base: "http://127.0.0.1:8080", env: {}, headers: {}, secure: false },
    { what: "plain http on localhost", base: "http://localhost:8080", env: {}, headers: {}, secure: false },
    { what: "https", base: "https://gateway.example.com", env: {}, headers: {}, secure: true },
    { what: "plain http elsewhere", base: "http://10.1.2.3:8080", env: {}, headers: {}, secure: true },
    {
      what: "a trusted proxy saying https",
      base: "http://127.0.0.1:8080",
      env: { TRUST_PROXY: "true" },
      headers: { "x-forwarded-proto": "https" },
      secure: true,
    },
    { what: "an untrusted x-forwarded-proto", base: "http://127.0.0.1:8080", env: {}, headers: { "x-forwarded-proto": "https" }, secure: false },
  ] as { what: string; base: string; env: Record<string, string>; headers: Record<string, string>; secure: boolean }[])(
    "the cookie is HttpOnly, SameSite=Strict, Path=/admin; Secure: $secure over $what",
    async ({ base, env, headers, secure }) => {
      const hh = adminHarness(t.db, { env });
      const { res, setCookie } = await hh.signIn(ADMIN_TOKEN, { base, headers });
      expect(res.status).toBe(303);
      const attrs = setCookie.split(";").map((s) => s.trim().toLowerCase());
      expect(attrs[0]).toMatch(/^bgw_admin=/);
      expect(attrs).toContain("httponly");
      expect(attrs).toContain("samesite=strict");
      expect(attrs).toContain("path=/admin");
      expect(attrs).toContain("max-age=43200");
      expect(attrs.includes("secure")).toBe(secure);
    },
  );

  it("pages need a session; the token in a URL signs no one in", async () => {
    const res = await h.request("/admin");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/admin/login");
    for (const [path, status] of [
      [`/admin?token=${ADMIN_TOKEN}`, 303],
      [`/admin/login?token=${ADMIN_TOKEN}`, 200],
      [`/admin/api/keys?token=${ADMIN_TOKEN}`, 401],
      [`/admin/usage?token=${ADMIN_TOKEN}`, 401],
    ] as const) {
      const r = await h.request(path);
      expect(r.status, path).toBe(status);
      expect(r.headers.get("set-cookie"), path).toBeNull();
    }
    const { cookie } = await h.signIn();
    const page = await h.request("/admin", { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain("Spend this month");
    expect(html).not.toContain(ADMIN_TOKEN);
  });

  it("Sign out deletes the session; its cookie then opens nothing", async () => {
    const { cookie, csrf } = await h.signIn();
    const id = cookie.split("=")[1];
    const out = await h.request("/admin/logout", { ...form({ _csrf: csrf }), headers: { ...form({}).headers, cookie } });
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toBe("/admin/login?signed_out=1");
    expect(out.headers.get("set-cookie")).toMatch(/^bgw_admin=;.*Max-Age=0/i);
    expect(
      await t.db
        .select()
        .from(adminSessions)
        .where(eq(adminSessions.idHash, await hashApiKey(id))),
    ).toHaveLength(0);
    expect((await h.request("/admin", { headers: { cookie } })).status).toBe(303);
    expect((await h.request("/admin/api/keys", { headers: { cookie } })).status).toBe(401);
  });

  it("an expired session is refused", async () => {
    const { cookie } = await h.signIn();
    const hash = await hashApiKey(cookie.split("=")[1]);
    await t.db
      .update(adminSessions)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(adminSessions.idHash, hash));
    expect((await h.request("/admin", { headers: { cookie } })).status).toBe(303);
    expect((await h.request("/admin/api/summary", { headers: { cookie } })).status).toBe(401);
  });

  it("a change with the session cookie but without its CSRF token is refused, and nothing is written", async () => {
    const { cookie, csrf } = await h.signIn();
    const other = await h.signIn();
    const user = randomEmail("csrf");
    const json = (headers: Record<string, string>) => ({
      method: "POST",
      headers: { "content-type": "application/json", cookie, ...headers },
      body: JSON.stringify({ user }),
    });
    for (const headers of [{} as Record<string, string>, { "x-csrf-token": "" }, { "x-csrf-token": "nope" }, { "x-csrf-token": other.csrf }]) {
      const res = await h.request("/admin/api/keys", json(headers));
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("csrf_token_invalid");
    }
    const page = await h.request("/admin/keys", { ...form({ user }), headers: { ...form({}).headers, cookie } });
    expect(page.status).toBe(403);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(await t.db.select().from(apiKeys).where(eq(apiKeys.userEmail, user))).toHaveLength(0);

    expect((await h.request("/admin/api/keys", json({ "x-csrf-token": csrf }))).status).toBe(201);
    const viaForm = await h.request("/admin/keys", { ...form({ user, _csrf: csrf }), headers: { ...form({}).headers, cookie } });
    expect(viaForm.status).toBe(201);
    expect(await t.db.select().from(apiKeys).where(eq(apiKeys.userEmail, user))).toHaveLength(2);
  });

  it("the admin token as a bearer needs no CSRF token (no cookie rides along); a wrong one is a 401", async () => {
    const user = randomEmail("bearer");
    const post = (token: string) =>
      h.request("/admin/api/keys", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ user }),
      });
    const bad = await post("wrong-token-wrong-token");
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("invalid_admin_token");
    const ok = await post(ADMIN_TOKEN);
    expect(ok.status).toBe(201);
    const body = (await ok.json()) as { key: string; env: string; openai_base_url: string };
    expect(body.openai_base_url).toBe("http://127.0.0.1:8080/v1");
    expect(body.env).toBe(`OPENAI_BASE_URL=http://127.0.0.1:8080/v1\nOPENAI_API_KEY=${body.key}`);
  });

  it("OPENAI_BASE_URL comes from PUBLIC_URL when it is set", async () => {
    const hh = adminHarness(t.db, { env: { PUBLIC_URL: "https://llm.example.com/" } });
    const res = await hh.request("/admin/api/keys", {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ user: randomEmail("public") }),
    });
    expect(((await res.json()) as { openai_base_url: string }).openai_base_url).toBe("https://llm.example.com/v1");
  });

  it("audit rows of console changes name the session (the start of its stored hash) and the client address", async () => {
    const hh = adminHarness(t.db, { env: { TRUST_PROXY: "true" } });
    const headers = { "x-forwarded-for": "203.0.113.9, 10.0.0.1" };
    const { cookie, csrf } = await hh.signIn(ADMIN_TOKEN, { headers });
    const hash = await hashApiKey(cookie.split("=")[1]);
    const res = await hh.request("/admin/api/keys", {
      method: "POST",
      headers: { ...headers, cookie, "x-csrf-token": csrf, "content-type": "application/json" },
      body: JSON.stringify({ user: randomEmail("audit") }),
    });
    const { id } = (await res.json()) as { id: string };
    const revoke = await hh.request(`/admin/api/keys/${id}/revoke`, { method: "POST", headers: { ...headers, cookie, "x-csrf-token": csrf } });
    expect(revoke.status).toBe(200);
    const rows = await t.db.select().from(auditLog).where(eq(auditLog.target, id)).orderBy(desc(auditLog.id));
    expect(rows.map((r) => r.action)).toEqual(["key.revoke", "key.create"]);
    for (const r of rows) expect(r.actor).toBe(`console:${hash.slice(0, 8)}@203.0.113.9`);
    const [session] = await t.db.select().from(adminSessions).where(eq(adminSessions.idHash, hash));
    expect(session.clientIp).toBe("203.0.113.9");
  });
});
