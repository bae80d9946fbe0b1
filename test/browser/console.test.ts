/**
 * The admin console in a real headless Chromium (Debian's package, driven by playwright-core) against the gateway
 * as `npm start` runs it (node dist/node.js) on the test Postgres, the simulator as Bedrock: sign in, the spend table
 * equal to the report, the period changed, a key created and used through the openai SDK, revoked and refused at
 * once (caches of ten minutes, so only LISTEN/NOTIFY can explain it), a wrong token refused, no console without
 * ADMIN_TOKEN. Screenshots of each page at 1280×800 and 390×844 go to test/artifacts/; at 390×844 nothing sticks out
 * of the screen but inside a scroll container, the chart's axis labels are at least 11px and never overlap, and a
 * model's long other names wrap.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import OpenAI from "openai";
import { type BrowserContext, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIM_CREDENTIALS, type Simulator, startSimulator } from "../../sim/server";
import { eq } from "drizzle-orm";
import { createKey } from "../../src/db/keys";
import { setModel } from "../../src/db/models";
import { usageReport } from "../../src/db/report";
import { models, spendLedger, teams, usageEvents } from "../../src/db/schema";
import { randomId, systemClock } from "../../src/deps";
import { reportJson } from "../../src/report/format";
import { openTestPostgres, randomEmail, randomTeam, type TestDb, testDatabaseUrl } from "../support/db";
import { type GatewayProcess, ROOT, startGatewayProcess } from "../support/gateway-process";

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`browser tests skipped: no Chromium at ${CHROMIUM} (install it with: apt-get install -y chromium)`);

const ADMIN_TOKEN = `browser-admin-${randomId(24)}`;
const ARTIFACTS = path.join(ROOT, "test/artifacts");
const VIEWPORTS = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
] as const;
const DAY = 86_400_000;

describe.skipIf(!hasChromium)("admin console in Chromium", () => {
  let sim: Simulator;
  let gw: GatewayProcess;
  let bare: GatewayProcess;
  let t: TestDb;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const offOrigin: string[] = [];
  const team = randomTeam();
  const users = [randomEmail("ada"), randomEmail("bo"), randomEmail("cy")];
  const modelAlias = `browser-m-${randomId(8).toLowerCase()}`;
  // Long other names of one model, and one of them in the chart's legend: on a phone they must wrap, not stick out.
  // Dots, not hyphens: a browser breaks a line after a hyphen by itself, but only CSS can break these.
  const longNames = [1, 2, 3].map((i) => `narrow.${randomId(6).toLowerCase()}.another.name.clients.may.send.number.${i}.on.small.screens`);

  beforeAll(async () => {
    execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, stdio: "inherit" });
    sim = await startSimulator({ port: 0, credentials: [SIM_CREDENTIALS] });
    t = await openTestPostgres();
    const env = {
      DATABASE_URL: testDatabaseUrl(),
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: sim.url,
      AWS_ENDPOINT_URL_BEDROCK: sim.url,
      AWS_ACCESS_KEY_ID: SIM_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: SIM_CREDENTIALS.secretAccessKey,
      AWS_REGION: "us-east-1",
      AWS_EC2_METADATA_DISABLED: "true",
      // Ten minutes: a revoked key refused at once can only be the change notice at work.
      KEY_CACHE_TTL_MS: "600000",
      LOG_LEVEL: "warn",
    };
    [gw, bare] = await Promise.all([startGatewayProcess("node", { ...env, ADMIN_TOKEN }), startGatewayProcess("node", env)]);
    await seed(t, team, users);
    await setModel(
      t.db,
      { alias: modelAlias, targets: [{ modelId: "us.amazon.nova-lite-v1:0" }], price: { input: 60_000, output: 240_000 }, aliases: longNames },
      systemClock,
      "test",
    );
    await t.db.insert(usageEvents).values(usageRow({ keyId: null, user: users[0], team, model: longNames[0], at: Date.now() - 1000, costMicros: 10_000 }));
    profile = mkdtempSync(path.join(tmpdir(), "bgw-chromium-"));
    mkdirSync(ARTIFACTS, { recursive: true });
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: VIEWPORTS[0],
    });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: gw.url });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(20_000);
    page.on("request", (r) => {
      if (!r.url().startsWith(gw.url) && !r.url().startsWith(bare.url) && !r.url().startsWith("data:")) offOrigin.push(r.url());
    });
  }, 240_000);

  afterAll(async () => {
    await t?.db.delete(models).where(eq(models.alias, modelAlias));
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await Promise.all([gw?.stop(), bare?.stop()]);
    await t?.close();
    await sim?.close();
  });

  /** Screenshots at both sizes; at the phone's width the page itself must not scroll sideways (tables do, inside). */
  async function shoot(name: string) {
    for (const v of VIEWPORTS) {
      await page.setViewportSize(v);
      await page.screenshot({ path: path.join(ARTIFACTS, `admin-${name}-${v.width}x${v.height}.png`), fullPage: true });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${name} at ${v.width}px`).toBeLessThanOrEqual(0);
      if (v.width < 600) await expectFitsNarrowScreen(page, `${name} at ${v.width}px`);
    }
    await page.setViewportSize(VIEWPORTS[0]);
  }

  const cells = (id: string) =>
    page.$$eval(`#${id} tbody tr`, (rows) => rows.map((r) => [...r.querySelectorAll("td")].map((td) => (td.textContent ?? "").replace(/\s+/g, " ").trim())));

  it("a wrong token is refused", async () => {
    await page.goto(`${gw.url}/admin`);
    expect(new URL(page.url()).pathname).toBe("/admin/login");
    await shoot("sign-in");
    await page.fill("input[name=token]", "not-the-admin-token");
    await page.click("button[type=submit]");
    await expect.poll(() => page.textContent("[role=alert]")).toContain("That is not the admin token.");
    expect(await context.cookies(`${gw.url}/admin`)).toHaveLength(0);
  });

  it("signs in; the session cookie is HttpOnly and SameSite=Strict, and the token is nowhere in the page's reach", async () => {
    await page.fill("input[name=token]", ADMIN_TOKEN);
    await Promise.all([page.waitForURL(`${gw.url}/admin`), page.click("button[type=submit]")]);
    expect(await page.textContent("h1")).toBe("Spend");
    const [cookie] = await context.cookies(`${gw.url}/admin`);
    expect(cookie).toMatchObject({ name: "bgw_admin", httpOnly: true, sameSite: "Strict", path: "/admin" });
    expect(cookie.value).not.toContain(ADMIN_TOKEN);
    const stored = await page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie }));
    expect(stored).toBe(JSON.stringify({ local: {}, session: {}, cookie: "" }));
    expect(page.url()).not.toContain(ADMIN_TOKEN);
  });

  it("the spend table equals the report, and follows the period chosen", async () => {
    const now = Date.now();
    const today = Math.floor(now / DAY) * DAY;
    const d = new Date(now);
    const expectTable = async (since: number, until: number, by: "user" | "model") => {
      const report = reportJson(await usageReport(t.db, { by: [by], since: new Date(since), until: new Date(until), team }), [by]);
      const rows = await cells("report");
      expect(rows.map((r) => [r[0], r.at(-1)])).toEqual(report.map((r) => [r[by], r.cost_usd]));
      return report;
    };
    await page.fill("input[name=team]", team);
    await page.selectOption("select[name=period]", "7d");
    await Promise.all([page.waitForURL(/period=7d/), page.click("form.filters button[type=submit]")]);
    const week = await expectTable(today - 6 * DAY, today + DAY, "user");
    expect(week).toHaveLength(3);
    expect(await page.locator("svg.chart text").count()).toBeGreaterThan(5);
    await shoot("spend");

    // Stacked by model, the legend names a model by one of its long other names; a month of days labels the axis.
    for (const period of ["7d", "30d"]) {
      await page.goto(`${gw.url}/admin?${new URLSearchParams({ period, team, stack: "model" })}`);
      expect(await page.textContent("ul.legend")).toContain(longNames[0]);
      await shoot(`spend-by-model-${period}`);
    }
    // The legend wraps a long name within the figure's visible width, rather than running off into its scroll.
    await page.setViewportSize(VIEWPORTS[1]);
    const legend = await page.$eval("ul.legend", (ul) => {
      const figure = ul.closest("figure")!.getBoundingClientRect();
      const item = [...ul.querySelectorAll("li")].find((li) => li.textContent?.includes(".another.name."))!;
      const range = document.createRange();
      range.selectNodeContents(item);
      const rects = [...range.getClientRects()];
      return { right: Math.max(...rects.map((r) => r.right)), lines: new Set(rects.map((r) => Math.round(r.top))).size, figureRight: figure.right };
    });
    await page.setViewportSize(VIEWPORTS[0]);
    expect(legend.right).toBeLessThanOrEqual(legend.figureRight + 0.5);
    expect(legend.lines).toBeGreaterThanOrEqual(2);
    await page.goto(`${gw.url}/admin?${new URLSearchParams({ period: "7d", team })}`);

    await page.selectOption("select[name=period]", "last-month");
    await page.selectOption("select[name=by]", "model");
    await Promise.all([page.waitForURL(/period=last-month/), page.click("form.filters button[type=submit]")]);
    const lastMonth = await expectTable(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1), Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), "model");
    expect(lastMonth.find((r) => r.model === "claude-sonnet-4-5")?.cost_usd).toBe("4.200000");

    // A custom range of one day, that day included.
    const yesterday = new Date(today - DAY).toISOString().slice(0, 10);
    await page.selectOption("select[name=period]", "custom");
    await page.fill("input[name=from]", yesterday);
    await page.fill("input[name=to]", yesterday);
    await Promise.all([page.waitForURL(/period=custom/), page.click("form.filters button[type=submit]")]);
    const one = await expectTable(today - DAY, today, "model");
    expect(one.map((r) => r.cost_usd)).toEqual(["0.123456"]);
  });

  it("budgets: the team near its daily budget is marked in words", async () => {
    await page.goto(`${gw.url}/admin/budgets?team=${encodeURIComponent(team)}`);
    const row = page.locator(`#budgets tr[data-level=team][data-name="${team}"]`);
    await expect.poll(() => row.textContent()).toContain("Near budget");
    expect(await row.textContent()).toContain("9.000000 of 10.000000 USD · 90%");
    await shoot("budgets");
  });

  it("creates a key, shown once with the OPENAI lines; the openai SDK uses it; revoked, it is refused at once", async () => {
    await page.goto(`${gw.url}/admin/keys?team=${encodeURIComponent(team)}`);
    await page.click("summary");
    const owner = randomEmail("browser");
    await page.fill("#create-key input[name=user]", owner);
    await page.fill("#create-key input[name=team]", team);
    await page.fill("#create-key input[name=name]", "from the browser");
    await Promise.all([page.waitForURL(`${gw.url}/admin/keys`), page.click("#create-key button[type=submit]")]);
    const key = (await page.textContent("#new-key"))!.trim();
    expect(key).toMatch(/^bgw_live_[0-9A-Za-z]{40}$/);
    expect((await page.textContent("#new-env"))!.trim()).toBe(`OPENAI_BASE_URL=${gw.url}/v1\nOPENAI_API_KEY=${key}`);
    await page.click("button[data-copy=new-key]");
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    await shoot("key-created");

    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0, timeout: 20_000 });
    const answer = await client.chat.completions.create({ model: "nova-lite", messages: [{ role: "user", content: "hello from the console test" }] });
    expect(answer.choices[0].message.content).toContain("hello from the console test");

    await page.goto(`${gw.url}/admin/keys?team=${encodeURIComponent(team)}`);
    await shoot("keys");
    const prefix = key.slice(0, 15);
    await page.click(`#keys tr[data-prefix="${prefix}"] >> text=Revoke`);
    expect(await page.textContent("h1")).toContain(`Revoke key ${prefix}?`);
    await Promise.all([page.waitForURL(/done=revoked/), page.click("button.danger")]);
    expect(await page.textContent("[role=status]")).toContain(`Revoked ${prefix}.`);
    expect(await page.getAttribute(`#keys tr[data-prefix="${prefix}"]`, "data-status")).toBe("revoked");
    const refused = await client.chat.completions.create({ model: "nova-lite", messages: [{ role: "user", content: "again" }] }).catch((e) => e);
    expect(refused).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it("models and requests", async () => {
    await page.goto(`${gw.url}/admin/models`);
    expect(await page.locator("#models tbody tr").count()).toBeGreaterThan(3);
    await shoot("models");
    // At a phone's width a model's other names wrap inside their cell, which stays narrower than the screen.
    await page.setViewportSize(VIEWPORTS[1]);
    const names = await page.$eval(`#models tr[data-alias="${modelAlias}"] td.aliases`, (td) => {
      const range = document.createRange();
      range.selectNodeContents(td);
      const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
      return { text: td.textContent?.trim(), lines: tops.size, width: td.getBoundingClientRect().width, scroll: td.scrollWidth - td.clientWidth };
    });
    await page.setViewportSize(VIEWPORTS[0]);
    expect(names.text).toBe(longNames.join(", "));
    expect(names.lines, "the other names wrap").toBeGreaterThanOrEqual(3);
    expect(names.width).toBeLessThan(VIEWPORTS[1].width * 0.75);
    expect(names.scroll, "nothing sticks out of the cell").toBeLessThanOrEqual(0);
    await page.goto(`${gw.url}/admin/requests?team=${encodeURIComponent(team)}`);
    const rows = await cells("requests");
    expect(rows.length).toBeGreaterThan(0);
    expect(await page.content()).not.toContain("hello from the console test");
    await shoot("requests");
  });

  it("a model's price changed in the console is what the next request through the openai SDK costs", async () => {
    await page.goto(`${gw.url}/admin/models`);
    await Promise.all([page.waitForURL(`${gw.url}/admin/models/${modelAlias}`), page.click(`#models tr[data-alias="${modelAlias}"] >> text=Edit`)]);
    await shoot("model-edit");
    await page.fill("#edit-model input[name=input]", "1000");
    await page.fill("#edit-model input[name=output]", "2000.5");
    await Promise.all([page.waitForURL(`${gw.url}/admin/models/${modelAlias}`), page.click("#edit-model button[type=submit]")]);
    expect(await page.textContent("[role=status]")).toContain(`Saved ${modelAlias}: price: in 0.060000 / out 0.240000 -> in 1000.000000 / out 2000.500000`);
    expect(await page.textContent("code.cli")).toContain(
      `bedrock-gateway models set ${modelAlias} --input 1000 --output 2000.5 --cache-read none --cache-write none`,
    );
    const row = await cells("models").then((rows) => rows.find((r) => r[0] === modelAlias));
    expect(row?.slice(4, 6)).toEqual(["1000.000000", "2000.500000"]);

    const k = await createKey(t.db, { user: randomEmail("pricing"), team: null, name: "price test", actor: "test" }, systemClock);
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: k.key, maxRetries: 0, timeout: 20_000 });
    await client.chat.completions.create({ model: modelAlias, messages: [{ role: "user", content: "what does this cost now" }] });
    // The usage row is written after the answer: reload until it is there.
    const requestsOfModel = async () => {
      await page.goto(`${gw.url}/admin/requests?model=${encodeURIComponent(modelAlias)}`);
      return cells("requests");
    };
    await expect.poll(requestsOfModel, { timeout: 15_000 }).toHaveLength(1);
    const [r] = await cells("requests");
    const [input, output] = [r[6], r[7]].map((v) => Number(v.replace(/,/g, "")));
    const micros = Math.floor((input * 1_000_000_000 + output * 2_000_500_000 + 500_000) / 1_000_000);
    expect(input).toBeGreaterThan(0);
    expect(r[9]).toBe(`${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, "0")}`);
  });

  it("signs out; the session is gone", async () => {
    await page.goto(`${gw.url}/admin`);
    await Promise.all([page.waitForURL(/\/admin\/login/), page.click("text=Sign out")]);
    await page.goto(`${gw.url}/admin/keys`);
    expect(new URL(page.url()).pathname).toBe("/admin/login");
  });

  it("without ADMIN_TOKEN there is no console", async () => {
    const res = await page.goto(`${bare.url}/admin`);
    expect(res?.status()).toBe(404);
    expect((await page.goto(`${bare.url}/admin/login`))?.status()).toBe(404);
  });

  it("nothing was fetched from anywhere but the gateway", () => {
    expect(offOrigin).toEqual([]);
  });
});

/** A usage row as the gateway writes one. */
function usageRow(r: { keyId: string | null; user: string; team: string; model: string; at: number; costMicros: number; inputTokens?: number }) {
  return {
    requestId: `req_browser_${randomId(16)}`,
    keyId: r.keyId,
    userEmail: r.user,
    team: r.team,
    endpoint: "chat.completions",
    model: r.model,
    status: "ok" as const,
    httpStatus: 200,
    inputTokens: r.inputTokens ?? 1000,
    outputTokens: 100,
    costMicros: r.costMicros,
    latencyMs: 300,
    ttftMs: 90,
    createdAt: new Date(r.at),
  };
}

/**
 * At a phone's width: no element or text reaches past the screen's edges unless a scroll container (a table's,
 * the chart's figure) holds it, and, where there is a chart, every axis label is at least 11px as rendered (its
 * font size times the SVG's scale) and no two labels' boxes overlap.
 */
async function expectFitsNarrowScreen(page: Page, what: string) {
  const found = await page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const describe = (el: Element) =>
      `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}${el.getAttribute("class") ? `.${el.getAttribute("class")!.replace(/\s+/g, ".")}` : ""} "${(el.textContent ?? "").trim().slice(0, 40)}"`;
    const scrolls = (el: Element) => /^(auto|scroll|hidden)$/.test(getComputedStyle(el).overflowX);
    const heldByScroller = (el: Element) => {
      for (let p = el.parentElement; p && p !== document.documentElement; p = p.parentElement) if (scrolls(p)) return true;
      return false;
    };
    const outside = (r: DOMRect) => r.width > 0 && (r.right > vw + 0.5 || r.left < -0.5);
    const overflowing: string[] = [];
    for (const el of document.body.querySelectorAll("*")) {
      if (outside(el.getBoundingClientRect()) && !heldByScroller(el)) overflowing.push(describe(el));
    }
    // Text can stick out of a box that fits (a long word in a narrow cell): measure the text itself.
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!n.textContent?.trim() || !n.parentElement) continue;
      const range = document.createRange();
      range.selectNodeContents(n);
      if ([...range.getClientRects()].some(outside) && !(scrolls(n.parentElement) || heldByScroller(n.parentElement))) {
        overflowing.push(`text of ${describe(n.parentElement)}`);
      }
    }
    const labels = [...document.querySelectorAll("svg.chart text")].map((t) => {
      const svg = (t as SVGTextElement).ownerSVGElement!;
      const fontSize = Number.parseFloat(getComputedStyle(t).fontSize);
      const r = t.getBoundingClientRect();
      const s = svg.getBoundingClientRect();
      const inside = r.left >= s.left - 0.5 && r.right <= s.right + 0.5 && r.top >= s.top - 0.5 && r.bottom <= s.bottom + 0.5;
      return {
        text: t.textContent ?? "",
        fontSize,
        rendered: fontSize * (svg.getScreenCTM()?.a ?? 1),
        inside,
        box: { l: r.left, r: r.right, t: r.top, b: r.bottom },
      };
    });
    return { overflowing: [...new Set(overflowing)], labels };
  });
  expect(found.overflowing, `${what}: outside the screen, not in a scroll container`).toEqual([]);
  for (const l of found.labels) {
    expect(l.fontSize, `${what}: axis label "${l.text}" font-size`).toBeGreaterThanOrEqual(11);
    expect(l.rendered, `${what}: axis label "${l.text}" as rendered`).toBeGreaterThanOrEqual(11);
    expect(l.inside, `${what}: axis label "${l.text}" within the chart, not clipped`).toBe(true);
  }
  const overlaps: string[] = [];
  found.labels.forEach((a, i) => {
    for (const b of found.labels.slice(i + 1)) {
      if (a.box.l < b.box.r && b.box.l < a.box.r && a.box.t < b.box.b && b.box.t < a.box.b) overlaps.push(`"${a.text}" and "${b.text}"`);
    }
  });
  expect(overlaps, `${what}: overlapping axis labels`).toEqual([]);
}

/** Usage for three users of one team: this week, yesterday, last month; the team near its daily budget. */
async function seed(t: TestDb, team: string, users: string[]) {
  const now = Date.now();
  const today = Math.floor(now / DAY) * DAY;
  const d = new Date(now);
  const keys = await Promise.all(users.map((u) => createKey(t.db, { user: u, team, name: "seed", actor: "test" }, systemClock)));
  const row = (i: number, at: number, model: string, costMicros: number) => ({
    requestId: `req_browser_${randomId(16)}`,
    keyId: keys[i].id,
    userEmail: users[i],
    team,
    endpoint: "chat.completions",
    model,
    status: "ok" as const,
    httpStatus: 200,
    inputTokens: 1000 * (i + 1),
    outputTokens: 100,
    costMicros,
    latencyMs: 300,
    ttftMs: 90,
    createdAt: new Date(at),
  });
  await t.db
    .insert(usageEvents)
    .values([
      row(0, today + 60_000, "claude-sonnet-4-5", 1_500_000),
      row(1, today + 120_000, "nova-lite", 250_001),
      row(2, Math.min(now, today + 180_000), "nova-pro", 3_000_000),
      row(0, today - DAY + 1000, "nova-lite", 123_456),
      row(1, Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 15), "claude-sonnet-4-5", 4_200_000),
    ]);
  await t.db.insert(teams).values({ name: team, budgetDailyMicros: 10_000_000, budgetMonthlyMicros: 100_000_000 });
  await t.db.insert(spendLedger).values({ subject: `team:${team}`, period: `d${new Date(now).toISOString().slice(0, 10)}`, spentMicros: 9_000_000 });
}
