// `npm run soak`: a bounded soak of one Node gateway against real Postgres (not part of `npm test`). Mixed plain
// and streamed chat completions at high concurrency for SOAK_SECONDS, with client disconnects, upstream throttles,
// mid-stream exceptions and one database outage mixed in. It passes when
//   - the gateway's RSS at the end (idle, after a forced GC) is within 10% of its level after warm-up (also after a
//     forced GC, during traffic);
//   - there are no unexpected errors: every answer is the one its injected fault calls for (below);
//   - every request has exactly the usage rows it should have (one, with the right status; none only where noted).
// Figures are printed and written to bench/results/soak-<timestamp>.json, with the machine's core count. The gateway
// runs as `node --expose-gc --require <preload> dist/node.js`: the preload (written by this script) runs gc() and
// writes process.memoryUsage() on SIGUSR2, so both RSS readings follow a forced GC.
//
// What each request is and what it must produce (client side → usage_events row, matched by request_id: each
// request sends its own `x-request-id`, which the gateway keeps as the row's request_id):
//   plain        [sim:words=N]                        200 JSON with a message    → ok / 200
//   stream       [sim:words=N], stream: true          200 SSE ending in [DONE]   → ok / 200
//   throttle     [sim:error=ThrottlingException]      429 rate_limit_exceeded    → error / 429 (the gateway retries
//                (plain and streamed)                 the throttle UPSTREAM_RETRIES times; every attempt is throttled)
//   mid-stream   [sim:stream-error-after=5:throttlingException]
//                                                     200 SSE, deltas, then an error event and no [DONE]
//                                                                                → error / 429
//   abort        [sim:delay=20] [sim:words=200], the client drops the stream after its first bytes
//                                                                                → aborted / 499
//   abort-plain  [sim:ttfb=800], the client drops the plain request before any answer
//                                                                                → aborted / 499
// The database outage (the gateway reaches Postgres through a TCP proxy in this script: first new connections are
// reset, then they hang, and open ones are cut; then it is restored) is fail-closed (DB_OUTAGE_POLICY default):
//   a key lookup the key cache cannot answer  503 "cannot verify API keys"      → no row (refused before a request
//                                                                                  has a usage draft: src/auth)
//   admission (rate limits, budget) fails     503 service_unavailable           → error / 503
//   anything else the database breaks         503 service_unavailable           → error / 503
//   a dropped request that was waiting on the database then                    → aborted / 499, error / 503 or no row
// Those answers are expected only for requests that overlap the outage (plus DB_QUERY_TIMEOUT_MS and a second of
// reconnection afterwards), and only within 2 × DB_QUERY_TIMEOUT_MS + 1 s (a key lookup and admission, each
// bounded); anywhere else, or later, they are unexpected. Rows of requests served during the outage wait in
// the usage queue and must all be there at the end. Any other status, a connection error not caused by our own
// abort, a stream that ends without [DONE] or an error event, or an error event where none was injected is an
// unexpected error. Gateway log lines at level error, other than the outage's expected ones, are reported too.
//
// Settings: SOAK_SECONDS (150), SOAK_CONCURRENCY (64), SOAK_WARMUP_SECONDS (20), SOAK_OUTAGE_AT (seconds into
// the traffic; default 55 s, or 45% of a run shorter than 90 s; at least warm-up + 10), SOAK_OUTAGE_SECONDS (10), SOAK_SEED, SOAK_PG_URL (a server
// to make the scratch database soak_<timestamp> on; default postgres://postgres@127.0.0.1:5432/postgres),
// SOAK_LOG_LEVEL (gateway LOG_LEVEL, default warn), SOAK_KEEP_LOGS=1 (keep the work folder with the logs).
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createLimitedKey, simulatorGatewayEnv } from "../bench/gateway.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SECONDS = Number(process.env.SOAK_SECONDS ?? 150);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 64);
const WARMUP_S = Number(process.env.SOAK_WARMUP_SECONDS ?? 20);
// From 55 s on (runs of 90 s or more), so the outage spans the 60 s mark, where the model catalogue's TTL on Node
// runs out and a reload meets the outage; key cache entries (10 s) run out during any outage.
const OUTAGE_AT_S = Number(process.env.SOAK_OUTAGE_AT ?? (SECONDS >= 90 ? Math.max(WARMUP_S + 10, 55) : Math.max(WARMUP_S + 10, Math.round(SECONDS * 0.45))));
const OUTAGE_S = Number(process.env.SOAK_OUTAGE_SECONDS ?? 10);
const SEED = Number(process.env.SOAK_SEED ?? Date.now() % 2 ** 31);
const PG_SERVER = process.env.SOAK_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const LOG_LEVEL = process.env.SOAK_LOG_LEVEL ?? "warn";
const DB_QUERY_TIMEOUT_MS = 2_000;
const RSS_TOLERANCE = 0.1;
const REQUEST_TIMEOUT_MS = 60_000;
const MODEL = "claude-sonnet-4-5";

if (OUTAGE_AT_S + OUTAGE_S + 5 > SECONDS) throw new Error(`SOAK_SECONDS=${SECONDS} leaves no room for the outage at ${OUTAGE_AT_S} s`);

const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const RUN = stamp.replace(/[^0-9]/g, "").slice(0, 14);
const work = mkdtempSync(path.join(tmpdir(), "bgw-soak-"));
const children = [];
const cleanups = [];
// Set once the figures are in: the gateway's exit at cleanup is not a crash.
let finished = false;

// --- small helpers (as in bench/run.mjs) ---
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const since = (t0) => (performance.now() - t0) / 1000;

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts a process with its output in a log file, then waits for readyUrl. */
async function start(name, args, env, readyUrl) {
  const log = path.join(work, `${name}.log`);
  const fd = openSync(log, "a");
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", fd, fd] });
  children.push(child);
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(readyUrl);
      if (res.status < 500) return { child, log };
    } catch {}
    await sleep(100);
  }
  throw new Error(`${name} did not start:\n${readFileSync(log, "utf8").slice(-2000)}`);
}

/** VmRSS of a process, or null once it has exited. */
function rssKiB(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]);
  } catch {
    return null;
  }
}

/** A small seeded PRNG (mulberry32), so a run's mix can be replayed with SOAK_SEED. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(SEED);
const between = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));

// --- the database proxy: the gateway's only way to Postgres, so the soak can take the database away ---
function databaseProxy(target) {
  const open = new Set();
  const held = new Set();
  const counts = { connections: 0, reset: 0, hung: 0, cut: 0 };
  let mode = "up";
  const server = net.createServer((client) => {
    client.on("error", () => {});
    if (mode === "reset") {
      counts.reset++;
      client.resetAndDestroy();
      return;
    }
    if (mode === "hang") {
      // Accepted and never answered: the gateway sees a database that stopped talking (a partition).
      counts.hung++;
      held.add(client);
      client.pause();
      client.on("close", () => held.delete(client));
      return;
    }
    counts.connections++;
    const upstream = net.connect(target.port, target.host);
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    const pair = { client, upstream };
    open.add(pair);
    client.on("close", () => open.delete(pair));
  });
  return {
    listen: () => new Promise((r) => server.listen(0, "127.0.0.1", () => r(server.address().port))),
    /** Cuts every open connection and resets new ones. */
    cut() {
      mode = "reset";
      for (const p of open) {
        counts.cut++;
        p.client.resetAndDestroy();
        p.upstream.destroy();
      }
      open.clear();
    },
    /** New connections are accepted and never answered. */
    hang() {
      mode = "hang";
    },
    restore() {
      mode = "up";
      for (const c of held) c.resetAndDestroy();
      held.clear();
    },
    counts,
    close: () => {
      for (const p of open) p.client.destroy();
      for (const c of held) c.destroy();
      return new Promise((r) => server.close(r));
    },
  };
}

// --- traffic ---
const KINDS = [
  { kind: "plain", weight: 22 },
  { kind: "stream", weight: 28 },
  { kind: "throttle", weight: 6 },
  { kind: "throttle-stream", weight: 6 },
  { kind: "mid-stream", weight: 12 },
  { kind: "abort", weight: 16 },
  { kind: "abort-plain", weight: 5 },
];
const TOTAL_WEIGHT = KINDS.reduce((s, k) => s + k.weight, 0);
function pickKind() {
  let r = random() * TOTAL_WEIGHT;
  for (const k of KINDS) if ((r -= k.weight) < 0) return k.kind;
  return "plain";
}

function requestFor(kind) {
  switch (kind) {
    case "plain":
      return { stream: false, text: `[sim:words=${between(5, 80)}]` };
    case "stream":
      return { stream: true, text: `[sim:words=${between(20, 200)}]` };
    case "throttle":
      return { stream: false, text: "[sim:error=ThrottlingException]" };
    case "throttle-stream":
      return { stream: true, text: "[sim:error=ThrottlingException]" };
    case "mid-stream":
      return { stream: true, text: "[sim:stream-error-after=5:throttlingException] [sim:words=100]" };
    case "abort":
      return { stream: true, text: "[sim:delay=20] [sim:words=200]", abortAfterFirstByteMs: between(20, 400) };
    case "abort-plain":
      return { stream: false, text: "[sim:ttfb=800] [sim:words=10]", abortAfterMs: between(150, 500) };
  }
  throw new Error(kind);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4096 });

/** Sends one request and records what came back; never throws. */
function send(gateway, id, kind, t0) {
  const spec = requestFor(kind);
  const body = JSON.stringify({
    model: MODEL,
    max_tokens: 512,
    ...(spec.stream ? { stream: true } : {}),
    messages: [{ role: "user", content: `Soak request ${id} (${kind}). ${spec.text}` }],
  });
  const rec = { id, kind, stream: spec.stream, start: since(t0), end: null, status: null, outcome: null, body: "", error: null, weAborted: false };
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome, error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timeout);
      clearTimeout(abortTimer);
      rec.end = since(t0);
      rec.outcome = outcome;
      if (error) rec.error = String(error.code ?? error.message ?? error);
      if (rec.body.length > 4000) rec.body = `${rec.body.slice(0, 1000)}…${rec.body.slice(-2000)}`;
      resolve(rec);
    };
    const req = http.request(
      `${gateway.url}/v1/chat/completions`,
      {
        method: "POST",
        agent,
        headers: {
          authorization: `Bearer ${gateway.key}`,
          "content-type": "application/json",
          "content-length": String(Buffer.byteLength(body)),
          "x-request-id": id,
        },
      },
      (res) => {
        rec.status = res.statusCode;
        res.setEncoding("utf8");
        let first = true;
        res.on("data", (d) => {
          rec.body += d;
          if (first && spec.abortAfterFirstByteMs !== undefined && res.statusCode === 200) {
            first = false;
            abortTimer = setTimeout(abort, spec.abortAfterFirstByteMs);
          }
        });
        res.on("end", () => finish("complete"));
        res.on("error", (err) => finish(rec.weAborted ? "aborted" : "conn-error", err));
        res.on("aborted", () => finish(rec.weAborted ? "aborted" : "conn-error", new Error("response aborted")));
        res.on("close", () => finish(rec.weAborted ? "aborted" : "conn-error", new Error("closed before the end")));
      },
    );
    const abort = () => {
      if (settled) return;
      rec.weAborted = true;
      req.destroy();
      finish("aborted");
    };
    let abortTimer = spec.abortAfterMs !== undefined ? setTimeout(abort, spec.abortAfterMs) : undefined;
    const timeout = setTimeout(() => {
      rec.timedOut = true;
      req.destroy();
      finish("timeout");
    }, REQUEST_TIMEOUT_MS);
    req.on("error", (err) => finish(rec.weAborted ? "aborted" : "conn-error", err));
    req.end(body);
  });
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** The SSE `data:` payloads of a stream body. */
function sseData(text) {
  return text
    .split("\n\n")
    .map((e) => e.trim())
    .filter((e) => e.startsWith("data:"))
    .map((e) => e.slice(5).trim());
}

/**
 * What a finished request should have left in usage_events, given how it ended: `rows` lists the acceptable rows
 * ("none" for no row); `unexpected` says why the answer itself was wrong (null when it is the expected one).
 */
function judge(rec, outage) {
  const overlapsOutage = outage.cutAt !== null && rec.end >= outage.cutAt && rec.start <= (outage.restoredAt ?? Infinity) + (DB_QUERY_TIMEOUT_MS + 1000) / 1000;
  rec.inOutage = overlapsOutage;
  const row = (status, http) => `${status}/${http}`;
  if (rec.outcome === "timeout") return { rows: [row("aborted", 499)], unexpected: `no answer within ${REQUEST_TIMEOUT_MS} ms` };
  if (rec.outcome === "conn-error") return { rows: ["any"], unexpected: `connection error: ${rec.error}` };
  if (rec.outcome === "aborted") {
    // The stream was open (200) before we dropped it, or the plain request was dropped while waiting.
    if (rec.kind === "abort" && rec.status === 200) return { rows: [row("aborted", 499)], unexpected: null };
    if (rec.kind === "abort-plain" && rec.status === null) {
      return { rows: overlapsOutage ? [row("aborted", 499), row("error", 503), "none"] : [row("aborted", 499)], unexpected: null };
    }
    return { rows: ["any"], unexpected: `dropped by the soak in an unexpected state (status ${rec.status})` };
  }
  // A complete answer.
  const json = parseJson(rec.body);
  if (rec.status === 503) {
    if (!overlapsOutage) return { rows: ["any"], unexpected: `503 outside the database outage: ${rec.body.slice(0, 200)}` };
    // At most two bounded database calls (the key lookup, admission) stand between a request and its 503.
    const ms = (rec.end - rec.start) * 1000;
    const late = ms > 2 * DB_QUERY_TIMEOUT_MS + 1000 ? `503 after ${Math.round(ms)} ms, past the database deadlines` : null;
    const message = json?.error?.message ?? "";
    if (/verify API keys/.test(message)) return { rows: ["none"], unexpected: late };
    if (/record usage/.test(message)) return { rows: ["none"], unexpected: late };
    if (json?.error?.code === "service_unavailable") return { rows: [row("error", 503)], unexpected: late };
    return { rows: ["any"], unexpected: `503 without service_unavailable: ${rec.body.slice(0, 200)}` };
  }
  switch (rec.kind) {
    case "plain":
    case "abort-plain": {
      if (rec.status !== 200) break;
      if (typeof json?.choices?.[0]?.message?.content !== "string") return { rows: [row("ok", 200)], unexpected: "200 without a message" };
      // abort-plain answered before we dropped it: it was served.
      return { rows: [row("ok", 200)], unexpected: null };
    }
    case "stream":
    case "abort": {
      if (rec.status !== 200) break;
      const data = sseData(rec.body);
      const errors = data.filter((d) => d !== "[DONE]" && parseJson(d)?.error);
      if (errors.length > 0) return { rows: ["any"], unexpected: `error event in a stream without an injected fault: ${errors[0].slice(0, 200)}` };
      if (data.at(-1) !== "[DONE]") return { rows: ["any"], unexpected: "stream ended without [DONE]" };
      return { rows: [row("ok", 200)], unexpected: rec.kind === "abort" ? "stream to be dropped ended before the soak dropped it" : null };
    }
    case "throttle":
    case "throttle-stream": {
      if (rec.status === 429 && json?.error?.code === "rate_limit_exceeded") return { rows: [row("error", 429)], unexpected: null };
      break;
    }
    case "mid-stream": {
      if (rec.status !== 200) break;
      const data = sseData(rec.body);
      const last = parseJson(data.at(-1) ?? "");
      if (data.includes("[DONE]")) return { rows: ["any"], unexpected: "mid-stream exception stream ended with [DONE]" };
      if (last?.error?.code !== "rate_limit_exceeded")
        return { rows: ["any"], unexpected: `mid-stream exception: last event is not the error: ${String(data.at(-1)).slice(0, 200)}` };
      const deltas = data.filter((d) => parseJson(d)?.choices?.[0]?.delta?.content).length;
      if (deltas === 0) return { rows: [row("error", 429)], unexpected: "mid-stream exception before any content" };
      return { rows: [row("error", 429)], unexpected: null };
    }
  }
  return { rows: ["any"], unexpected: `status ${rec.status} for ${rec.kind}: ${rec.body.slice(0, 200)}` };
}

// --- setup ---
async function scratchDatabase() {
  const { default: postgres } = await import("postgres");
  const name = `soak_${RUN}`;
  const admin = postgres(PG_SERVER, { max: 1, onnotice: () => {}, connect_timeout: 3 });
  await admin.unsafe(`create database ${name}`);
  cleanups.push(async () => {
    await admin.unsafe(`drop database if exists ${name} with (force)`).catch((err) => console.error(`could not drop ${name}: ${err.message}`));
    await admin.end({ timeout: 1 });
  });
  const url = new URL(PG_SERVER);
  url.pathname = `/${name}`;
  const sql = postgres(url.toString(), { max: 2, onnotice: () => {}, connect_timeout: 3 });
  cleanups.unshift(() => sql.end({ timeout: 1 }));
  return { name, url, sql };
}

/** Gateway memory after a forced GC (a preload exposes one on SIGUSR2 and writes process.memoryUsage()). */
async function settledMemory(pid, file) {
  if (rssKiB(pid) === null) return { rssKiB: null, heapUsedKiB: null, externalKiB: null };
  const before = existsSync(file) ? readFileSync(file, "utf8") : "";
  process.kill(pid, "SIGUSR2");
  for (let i = 0; i < 50; i++) {
    await sleep(100);
    const now = existsSync(file) ? readFileSync(file, "utf8") : "";
    if (now && now !== before) {
      await sleep(500);
      const m = JSON.parse(now);
      return { rssKiB: rssKiB(pid), heapUsedKiB: Math.round(m.heapUsed / 1024), externalKiB: Math.round(m.external / 1024) };
    }
  }
  return { rssKiB: rssKiB(pid), heapUsedKiB: null, externalKiB: null };
}

// --- output ---
function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const [i, r] of rows.entries()) {
    console.log(r.map((c, j) => (j === 0 ? String(c).padEnd(widths[j]) : String(c).padStart(widths[j]))).join("  "));
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
}
/** p50, p99 and max of how long requests took (to their end, or to our abort), in ms. */
function latencies(list) {
  const ms = list.map((r) => (r.end - r.start) * 1000).sort((a, b) => a - b);
  const at = (q) => (ms.length ? Math.round(ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]) : null);
  return { p50: at(0.5), p99: at(0.99), max: ms.length ? Math.round(ms.at(-1)) : null };
}
const mib = (kib) => (kib == null ? "" : (kib / 1024).toFixed(1));

// --- main ---
async function main() {
  if (!existsSync(path.join(ROOT, "dist/node.js"))) execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, stdio: "inherit" });
  const db = await scratchDatabase();
  const proxy = databaseProxy({ host: db.url.hostname, port: Number(db.url.port || 5432) });
  const proxyPort = await proxy.listen();
  cleanups.unshift(() => proxy.close());
  const viaProxy = new URL(db.url);
  viaProxy.hostname = "127.0.0.1";
  viaProxy.port = String(proxyPort);

  const simPort = await freePort();
  const simUrl = `http://127.0.0.1:${simPort}`;
  await start("sim", ["dist/sim.js"], { SIM_PORT: String(simPort), SIM_HOST: "127.0.0.1" }, `${simUrl}/__sim/stats`);

  // A preload that lets the soak force a GC in the gateway and read its heap: nothing of the gateway's own changes.
  const preload = path.join(work, "gc-on-signal.cjs");
  const memoryFile = path.join(work, "memory.json");
  writeFileSync(
    preload,
    `process.on("SIGUSR2", () => { global.gc(); global.gc(); require("node:fs").writeFileSync(${JSON.stringify(memoryFile)}, JSON.stringify({ at: Date.now(), ...process.memoryUsage() })); });\n`,
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const gw = await start(
    "gateway",
    ["--expose-gc", "--require", preload, "dist/node.js"],
    {
      DATABASE_URL: viaProxy.toString(),
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: LOG_LEVEL,
      NODE_ENV: "production",
      DB_QUERY_TIMEOUT_MS: String(DB_QUERY_TIMEOUT_MS),
      ...simulatorGatewayEnv(simUrl),
    },
    `${url}/healthz`,
  );
  // Rate limits and a daily budget, so admission counts, reserves and settles every request in the database.
  const key = createLimitedKey(ROOT, { DATABASE_URL: db.url.toString() }, "soak@example.com");
  const gateway = { url, key, pid: gw.child.pid };

  console.error(
    `soak: ${SECONDS} s at concurrency ${CONCURRENCY}, warm-up ${WARMUP_S} s, database outage at ${OUTAGE_AT_S} s for ${OUTAGE_S} s, seed ${SEED}, database ${db.name}`,
  );
  const t0 = performance.now();
  const wallStart = Date.now();
  const records = [];
  const outage = { cutAt: null, hungAt: null, restoredAt: null };
  const timeline = [];
  let seq = 0;
  let stopping = false;
  const stopAt = SECONDS;
  // The gateway must stay up: if it exits, the traffic stops there and the soak fails with what it printed last.
  let crashed = null;
  gw.child.once("exit", (code, signal) => {
    if (finished) return;
    crashed = { code, signal, at: since(t0) };
    console.error(`  the gateway exited (${signal ?? `code ${code}`}) at ${crashed.at.toFixed(1)} s`);
  });

  const worker = async () => {
    while (since(t0) < stopAt && !crashed) {
      const id = `soak-${RUN}-${String(seq++).padStart(6, "0")}`;
      const rec = await send(gateway, id, pickKind(), t0);
      records.push(rec);
      // A gateway that refuses connections is not hammered in a tight loop.
      if (rec.outcome === "conn-error") await sleep(50);
    }
  };

  // RSS every 5 s, the post-warm-up level, and the outage, on a schedule beside the workers.
  const schedule = (async () => {
    await sleep(0);
    let warm = null;
    let nextSample = 0;
    while (!stopping && !crashed) {
      const t = since(t0);
      if (t >= nextSample) {
        timeline.push({ t: Math.round(t), rssKiB: rssKiB(gateway.pid), requests: seq });
        nextSample += 5;
      }
      if (warm === null && t >= WARMUP_S) {
        warm = await settledMemory(gateway.pid, memoryFile);
        warm.at = since(t0);
        console.error(`  warm-up done at ${warm.at.toFixed(0)} s: RSS ${mib(warm.rssKiB)} MiB, heap ${mib(warm.heapUsedKiB)} MiB, ${seq} requests`);
        schedule.warm = warm;
      }
      if (outage.cutAt === null && t >= OUTAGE_AT_S) {
        proxy.cut();
        outage.cutAt = since(t0);
        console.error(`  database cut at ${outage.cutAt.toFixed(1)} s`);
      }
      if (outage.cutAt !== null && outage.hungAt === null && t >= OUTAGE_AT_S + OUTAGE_S / 2) {
        proxy.hang();
        outage.hungAt = since(t0);
      }
      if (outage.hungAt !== null && outage.restoredAt === null && t >= OUTAGE_AT_S + OUTAGE_S) {
        proxy.restore();
        outage.restoredAt = since(t0);
        console.error(`  database restored at ${outage.restoredAt.toFixed(1)} s`);
      }
      await sleep(100);
    }
  })().catch((err) => console.error("soak schedule failed:", err));

  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  stopping = true;
  await schedule;
  if (outage.cutAt !== null && outage.restoredAt === null) {
    proxy.restore();
    outage.restoredAt = since(t0);
  }
  const warm = schedule.warm;
  const trafficSeconds = since(t0);
  console.error(`  traffic done: ${records.length} requests in ${trafficSeconds.toFixed(0)} s`);

  // Judge every answer, then wait for the usage writer to have written what it should.
  for (const rec of records) Object.assign(rec, judge(rec, outage));
  const mustHave = records.filter((r) => !r.rows.includes("none") && !r.rows.includes("any")).length;
  const countRows = async () => Number((await db.sql`select count(*)::int as n from usage_events where request_id like ${`soak-${RUN}-%`}`)[0].n);
  let n = 0;
  let stableSince = performance.now();
  const flushStarted = performance.now();
  for (;;) {
    const m = await countRows();
    if (m !== n) {
      n = m;
      stableSince = performance.now();
    }
    if ((n >= mustHave && performance.now() - stableSince > 2000) || performance.now() - stableSince > (crashed ? 3000 : 15_000)) break;
    await sleep(250);
  }
  const flushSeconds = (performance.now() - flushStarted) / 1000;

  // Idle, then the final memory after a forced GC.
  await sleep(5000);
  const final = await settledMemory(gateway.pid, memoryFile);

  const rows = await db.sql`select request_id, status, http_status, error_code, stream from usage_events where request_id like ${`soak-${RUN}-%`}`;
  const byId = new Map(rows.map((r) => [r.request_id, r]));
  const sentIds = new Set(records.map((r) => r.id));
  const unknownRows = rows.filter((r) => !sentIds.has(r.request_id));
  const rowMismatches = [];
  for (const rec of records) {
    const got = byId.get(rec.id);
    const seen = got ? `${got.status}/${got.http_status}` : "none";
    rec.row = got ? { status: got.status, httpStatus: got.http_status, errorCode: got.error_code } : null;
    if (rec.rows.includes("any") ? !got : !rec.rows.includes(seen)) rowMismatches.push(rec);
  }
  const unexpected = records.filter((r) => r.unexpected);

  // The gateway's own error lines, less the ones the outage calls for.
  const EXPECTED_LOG = [/^key lookup failed$/, /^admission failed: database unavailable$/, /^usage queue full/, /^listen/i, /database/i];
  const logErrors = [];
  for (const line of readFileSync(gw.log, "utf8").split("\n")) {
    const entry = parseJson(line);
    if (!entry) {
      if (line.trim()) logErrors.push({ msg: line.slice(0, 300) });
      continue;
    }
    if (entry.level !== "error") continue;
    const t = (Date.parse(entry.time) - wallStart) / 1000;
    const inOutage = outage.cutAt !== null && t >= outage.cutAt - 1 && t <= outage.restoredAt + (DB_QUERY_TIMEOUT_MS + 5000) / 1000;
    if (inOutage && EXPECTED_LOG.some((re) => re.test(entry.msg))) continue;
    logErrors.push({ msg: entry.msg, requestId: entry.requestId, error: entry.error?.message ?? entry.error });
  }

  // --- figures ---
  const tally = (list, key) => {
    const out = {};
    for (const r of list) {
      const k = key(r);
      out[k] = (out[k] ?? 0) + 1;
    }
    return out;
  };
  const byKind = {};
  for (const k of KINDS) {
    const list = records.filter((r) => r.kind === k.kind);
    byKind[k.kind] = {
      sent: list.length,
      answers: tally(list, (r) => (r.outcome === "complete" ? String(r.status) : r.outcome)),
      rows: tally(list, (r) => (r.row ? `${r.row.status}/${r.row.httpStatus}` : "none")),
      inOutage: list.filter((r) => r.inOutage).length,
      latencyMs: latencies(list),
      latencyInOutageMs: latencies(list.filter((r) => r.inOutage)),
      unexpected: list.filter((r) => r.unexpected).length,
      rowMismatches: rowMismatches.filter((r) => r.kind === k.kind).length,
    };
  }
  const rowsByStatus = tally(rows, (r) => `${r.status}/${r.http_status}`);
  const rssRatio = warm?.rssKiB && final.rssKiB ? final.rssKiB / warm.rssKiB : null;
  const lastWords = crashed
    ? readFileSync(gw.log, "utf8")
        .split("\n")
        .filter((l) => l.trim() && !l.startsWith("{"))
        .slice(0, 3)
        .join(" | ")
    : "";
  const criteria = [
    {
      name: "the gateway stayed up",
      pass: !crashed,
      value: crashed ? `exited (${crashed.signal ?? `code ${crashed.code}`}) at ${crashed.at.toFixed(1)} s: ${lastWords.slice(0, 300)}` : "up",
    },
    {
      name: `RSS at the end within ${RSS_TOLERANCE * 100}% of post-warm-up`,
      pass: rssRatio !== null && rssRatio <= 1 + RSS_TOLERANCE,
      value: `${mib(final.rssKiB)} / ${mib(warm?.rssKiB)} MiB = ${rssRatio?.toFixed(3) ?? "n/a"}`,
    },
    {
      name: "no unexpected errors",
      pass: unexpected.length === 0 && logErrors.length === 0,
      value: `${unexpected.length} client-side, ${logErrors.length} gateway log`,
    },
    {
      name: "exactly the usage rows each request should have",
      pass: rowMismatches.length === 0 && unknownRows.length === 0,
      value: `${rows.length} rows for ${records.length} requests (${mustHave} must have one); ${rowMismatches.length} mismatched, ${unknownRows.length} unknown`,
    },
    {
      name: "the outage happened and was restored",
      pass: outage.restoredAt !== null && proxy.counts.cut + proxy.counts.reset + proxy.counts.hung > 0,
      value: `${proxy.counts.cut} cut, ${proxy.counts.reset} reset, ${proxy.counts.hung} hung connections`,
    },
  ];
  const results = {
    date: new Date().toISOString(),
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    node: process.version,
    settings: {
      seconds: SECONDS,
      concurrency: CONCURRENCY,
      warmupSeconds: WARMUP_S,
      outageAtSeconds: OUTAGE_AT_S,
      outageSeconds: OUTAGE_S,
      seed: SEED,
      logLevel: LOG_LEVEL,
    },
    trafficSeconds,
    requests: records.length,
    requestsPerSecond: records.length / trafficSeconds,
    byKind,
    rows: rows.length,
    rowsByStatus,
    rowsMustHave: mustHave,
    flushSeconds,
    outage: { ...outage, proxy: proxy.counts },
    memory: { warm, final, ratio: rssRatio, timeline },
    unexpected: unexpected
      .slice(0, 50)
      .map(({ id, kind, status, outcome, error, unexpected: why, start, end }) => ({ id, kind, status, outcome, error, why, start, end })),
    unexpectedCount: unexpected.length,
    rowMismatches: rowMismatches
      .slice(0, 50)
      .map(({ id, kind, status, outcome, rows: want, row, start, end, inOutage }) => ({ id, kind, status, outcome, want, row, start, end, inOutage })),
    rowMismatchCount: rowMismatches.length,
    unknownRows: unknownRows.slice(0, 20),
    gatewayLogErrors: logErrors.slice(0, 50),
    gatewayLogErrorCount: logErrors.length,
    criteria,
    pass: criteria.every((c) => c.pass),
  };

  mkdirSync(path.join(ROOT, "bench/results"), { recursive: true });
  const file = path.join(ROOT, "bench/results", `soak-${stamp}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2));

  console.log(
    `\nbedrock-gateway soak: ${results.cores} cores, Node ${process.version}, ${trafficSeconds.toFixed(0)} s at concurrency ${CONCURRENCY}, ${records.length} requests (${results.requestsPerSecond.toFixed(0)}/s), seed ${SEED}`,
  );
  console.log(
    `database outage ${outage.cutAt?.toFixed(1)}–${outage.restoredAt?.toFixed(1)} s (${proxy.counts.cut} connections cut, ${proxy.counts.reset} reset, ${proxy.counts.hung} hung); rows flushed ${flushSeconds.toFixed(1)} s after the traffic\n`,
  );
  table([
    ["kind", "sent", "answers", "rows", "in outage", "p50/p99/max ms", "outage p99/max", "unexpected", "row mismatches"],
    ...Object.entries(byKind).map(([k, v]) => [
      k,
      v.sent,
      Object.entries(v.answers)
        .map(([s, c]) => `${s}:${c}`)
        .join(" "),
      Object.entries(v.rows)
        .map(([s, c]) => `${s}:${c}`)
        .join(" "),
      v.inOutage,
      `${v.latencyMs.p50}/${v.latencyMs.p99}/${v.latencyMs.max}`,
      v.latencyInOutageMs.max === null ? "" : `${v.latencyInOutageMs.p99}/${v.latencyInOutageMs.max}`,
      v.unexpected,
      v.rowMismatches,
    ]),
  ]);
  console.log(
    `\nusage rows by status: ${Object.entries(rowsByStatus)
      .map(([s, c]) => `${s} ${c}`)
      .join(", ")} (total ${rows.length})`,
  );
  console.log(
    `memory (after forced GC): warm ${mib(warm?.rssKiB)} MiB RSS / ${mib(warm?.heapUsedKiB)} MiB heap at ${warm?.at?.toFixed(0) ?? "-"} s; final ${mib(final.rssKiB)} MiB RSS / ${mib(final.heapUsedKiB)} MiB heap; peak ${mib(Math.max(...timeline.map((s) => s.rssKiB ?? 0)))} MiB`,
  );
  for (const u of results.unexpected.slice(0, 10)) console.log(`  unexpected: ${u.id} ${u.kind} ${u.status ?? u.outcome} at ${u.start.toFixed(1)} s: ${u.why}`);
  for (const m of results.rowMismatches.slice(0, 10))
    console.log(
      `  row mismatch: ${m.id} ${m.kind} answered ${m.status ?? m.outcome} at ${m.start.toFixed(1)} s: wanted ${m.want.join(" or ")}, got ${m.row ? `${m.row.status}/${m.row.httpStatus}` : "none"}`,
    );
  for (const e of results.gatewayLogErrors.slice(0, 10)) console.log(`  gateway error log: ${e.msg} ${e.requestId ?? ""} ${e.error ?? ""}`);
  console.log("");
  for (const c of criteria) console.log(`  ${c.pass ? "PASS" : "FAIL"}  ${c.name}: ${c.value}`);
  console.log(`\nresults: ${path.relative(ROOT, file)}`);
  finished = true;
  return results.pass;
}

let ok = false;
try {
  ok = await main();
} catch (err) {
  console.error(err);
} finally {
  agent.destroy();
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  await Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once("exit", r)))));
  for (const fn of cleanups)
    await Promise.resolve()
      .then(fn)
      .catch(() => {});
  if (process.env.SOAK_KEEP_LOGS) console.error(`logs kept in ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
