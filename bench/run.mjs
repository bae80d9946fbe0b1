// `npm run bench` (`--quick` for a short run): what the gateway adds, measured in one run against the same load
// sent straight to the simulator (signed the same way) and through @portkey-ai/gateway 1.15.x, with the targets of
// issue 11 judged at the end. The load comes from a separate process (bench/load.mjs); targets take turns in
// rounds with rotating order, so noise on a shared machine hits them alike. Results: bench/results/<date>.json.
// Settings: BENCH_ROUNDS, BENCH_SLICE_MS, BENCH_STREAMS (default 1000), BENCH_PG_URL (a server to make a scratch
// database on; default postgres://postgres@127.0.0.1:5432/postgres), BENCH_NO_PORTKEY=1.
import { execFileSync, fork, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { AwsClient } from "aws4fetch";
import { createLimitedKey, SIM_CREDENTIALS, simulatorGatewayEnv } from "./gateway.mjs";
import { added, judgeTargets, percentile, slope } from "./stats.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const QUICK = process.argv.includes("--quick");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 1 : 3));
const SLICE_MS = Number(process.env.BENCH_SLICE_MS ?? (QUICK ? 1000 : 2000));
const WARM_MS = QUICK ? 300 : 500;
const HELD = Number(process.env.BENCH_STREAMS ?? 1000);
const PG_SERVER = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const PORTKEY_VERSION = "1.15.2";
const SIM = SIM_CREDENTIALS;
const REGION = "us-east-1";
const MODEL = "claude-sonnet-4-5";
const BEDROCK_ID = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
// The simulator's replies start "alpha bravo": the first content byte, whatever the wire format.
const MARKER = "alpha";

const work = mkdtempSync(path.join(tmpdir(), "bgw-bench-"));
const children = [];
const cleanups = [];
const notes = [];

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts a process with its output in a log file (not a pipe this process must drain), then waits for readyUrl. */
async function start(name, args, env, readyUrl, cwd = ROOT) {
  const log = path.join(work, `${name}.log`);
  const fd = openSync(log, "a");
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", fd, fd] });
  children.push(child);
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(readyUrl);
      if (res.status < 500) return child;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not start:\n${readFileSync(log, "utf8").slice(-2000)}`);
}

/** CPU seconds (user + system) a process has used. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssKiB(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]);
}

// --- the load process ---
const loader = fork(path.join(ROOT, "bench/load.mjs"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
let nextJob = 0;
const jobs = new Map();
loader.on("message", (m) => {
  const job = jobs.get(m.id);
  if (!job) return;
  if (m.phase === "measure") return job.onMeasure?.();
  jobs.delete(m.id);
  if (m.error) job.reject(new Error(m.error));
  else job.resolve(m.result);
});
function ask(kind, spec, onMeasure) {
  const id = nextJob++;
  return new Promise((resolve, reject) => {
    jobs.set(id, { resolve, reject, onMeasure });
    loader.send({ id, kind, spec });
  });
}

/** One slice of closed-loop load on a target, with the CPU its process used while the slice was measured. */
async function slice(target, shape, concurrency, ms) {
  const spec = { ...target.spec(shape), concurrency, warmMs: WARM_MS, ms, marker: MARKER };
  let cpu0 = null;
  const r = await ask("load", spec, () => (cpu0 = cpuSeconds(target.pid())));
  r.cpuSeconds = cpu0 === null ? null : cpuSeconds(target.pid()) - cpu0;
  return r;
}

/** Every target gets `rounds` slices, in an order that rotates each round; the slices of a target are pooled. */
async function interleaved(targets, shape, concurrency, rounds = ROUNDS, ms = SLICE_MS) {
  const pooled = new Map(targets.map((t) => [t.name, { latencies: [], ttfts: [], errors: 0, statuses: {}, seconds: 0, cpu: 0 }]));
  for (let round = 0; round < rounds; round++) {
    const k = round % targets.length;
    for (const t of [...targets.slice(k), ...targets.slice(0, k)]) {
      const r = await slice(t, shape, concurrency, ms);
      const p = pooled.get(t.name);
      for (const v of r.latencies) p.latencies.push(v);
      for (const v of r.ttfts) p.ttfts.push(v);
      p.errors += r.errors;
      for (const [s, n] of Object.entries(r.statuses)) p.statuses[s] = (p.statuses[s] ?? 0) + n;
      p.seconds += r.seconds;
      p.cpu += r.cpuSeconds ?? 0;
    }
  }
  const out = {};
  for (const [name, p] of pooled) {
    const n = p.latencies.length;
    out[name] = {
      n,
      rps: n / p.seconds,
      p50: percentile(p.latencies, 0.5),
      p99: percentile(p.latencies, 0.99),
      ttftP50: percentile(p.ttfts, 0.5),
      ttftP99: percentile(p.ttfts, 0.99),
      chunksPerSecond: shape.stream ? (n * shape.deltas) / p.seconds : null,
      cpuUsPerRequest: n ? (p.cpu * 1e6) / (n + p.errors) : null,
      errors: p.errors,
      statuses: p.statuses,
    };
  }
  return out;
}

// --- request shapes ---
/** words=2N gives N text deltas (the simulator sends two words per contentBlockDelta). */
function shapeOf({ stream = false, deltas = 10, bodyBytes = 0, maxTokens = 256 }) {
  const filler = bodyBytes > 0 ? "lorem ipsum dolor sit amet ".repeat(Math.ceil(bodyBytes / 27)).slice(0, bodyBytes) : "";
  return { stream, deltas, maxTokens, prompt: `${filler}Benchmark prompt [sim:words=${deltas * 2}]` };
}

const signer = new AwsClient({ ...SIM, service: "bedrock", region: REGION, retries: 0 });
const presigned = new Map();
/** The direct baseline: the Converse body the gateway would send, signed once per shape (the load process never signs). */
async function presign(simUrl, shape) {
  const key = `${shape.stream}|${shape.prompt.length}|${shape.deltas}|${shape.maxTokens}`;
  if (!presigned.has(key)) {
    const body = JSON.stringify({ messages: [{ role: "user", content: [{ text: shape.prompt }] }], inferenceConfig: { maxTokens: shape.maxTokens } });
    const url = `${simUrl}/model/${encodeURIComponent(BEDROCK_ID)}/${shape.stream ? "converse-stream" : "converse"}`;
    const accept = shape.stream ? "application/vnd.amazon.eventstream" : "application/json";
    const signed = await signer.sign(url, { method: "POST", headers: { "content-type": "application/json", accept }, body });
    const headers = Object.fromEntries(signed.headers);
    headers["content-length"] = String(Buffer.byteLength(body));
    presigned.set(key, { url: signed.url, headers, body });
  }
  return presigned.get(key);
}

function openAiBody(model, shape) {
  const body = { model, max_tokens: shape.maxTokens, messages: [{ role: "user", content: shape.prompt }] };
  if (shape.stream) body.stream = true;
  return JSON.stringify(body);
}

function chatSpec(url, headers, model, shape) {
  const body = openAiBody(model, shape);
  return {
    url: `${url}/v1/chat/completions`,
    headers: { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) },
    body,
  };
}

// --- setup ---
async function scratchPostgres() {
  const { default: postgres } = await import("postgres");
  const name = `bedrock_gateway_bench_${process.pid}`;
  const admin = postgres(PG_SERVER, { max: 1, onnotice: () => {}, connect_timeout: 3 });
  try {
    await admin.unsafe(`create database ${name}`);
  } catch (err) {
    await admin.end({ timeout: 1 }).catch(() => {});
    notes.push(`Postgres: not measured (${PG_SERVER.replace(/\/\/[^@]*@/, "//")}: ${err.code ?? err.message})`);
    return null;
  }
  cleanups.push(async () => {
    await admin.unsafe(`drop database if exists ${name} with (force)`).catch(() => {});
    await admin.end({ timeout: 1 });
  });
  const url = new URL(PG_SERVER);
  url.pathname = `/${name}`;
  return url.toString();
}

async function installPortkey() {
  if (process.env.BENCH_NO_PORTKEY) {
    notes.push("Portkey: skipped (BENCH_NO_PORTKEY)");
    return null;
  }
  const prefix = path.join(ROOT, "bench/.portkey");
  const main = path.join(prefix, "node_modules/@portkey-ai/gateway/build/start-server.js");
  const pkg = path.join(prefix, "node_modules/@portkey-ai/gateway/package.json");
  const installed = existsSync(pkg) ? JSON.parse(readFileSync(pkg, "utf8")).version : null;
  if (installed !== PORTKEY_VERSION) {
    try {
      mkdirSync(prefix, { recursive: true });
      execFileSync(
        "npm",
        ["install", "--prefix", prefix, "--no-audit", "--no-fund", "--ignore-scripts", "--no-save", `@portkey-ai/gateway@${PORTKEY_VERSION}`],
        {
          stdio: "ignore",
          timeout: 180_000,
        },
      );
    } catch (err) {
      notes.push(`Portkey: not measured (npm install @portkey-ai/gateway@${PORTKEY_VERSION} failed: ${err.status ?? err.code ?? "error"})`);
      return null;
    }
  }
  return { main, cwd: prefix };
}

async function startGateway(name, simUrl, dbEnv) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ...dbEnv,
    PORT: String(port),
    HOST: "127.0.0.1",
    LOG_LEVEL: "info",
    NODE_ENV: "production",
    ...simulatorGatewayEnv(simUrl, REGION),
  };
  const child = await start(name, [...(process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean), "dist/node.js"], env, `${url}/healthz`);
  // Full policy path: rpm and tpm limits and a daily budget, so admission counts, reserves and settles each request.
  const key = createLimitedKey(ROOT, dbEnv, `bench-${name}@example.com`);
  return { name, url, child, key };
}

async function simStats(simUrl) {
  return (await fetch(`${simUrl}/__sim/stats`)).json();
}

/** Opens HELD slow streams, measures RSS per open stream, then drops them all and counts the upstream cancellations. */
async function heldStreams(target, simUrl) {
  const shape = { stream: true, deltas: 500, maxTokens: 8192, prompt: "Held stream [sim:delay=2000] [sim:words=1000]" };
  await presign(simUrl, shape);
  shape.key = `${shape.stream}|${shape.prompt.length}|${shape.deltas}|${shape.maxTokens}`;
  await fetch(`${simUrl}/__sim/reset`, { method: "POST" });
  await new Promise((r) => setTimeout(r, 300));
  const rss0 = rssKiB(target.pid());
  const opened = await ask("hold", { ...target.spec(shape), count: HELD, openTimeoutMs: 30_000 });
  await new Promise((r) => setTimeout(r, 500));
  const rss1 = rssKiB(target.pid());
  const before = await simStats(simUrl);
  const t0 = performance.now();
  await ask("drop", {});
  let within1s = null;
  let after = before;
  while (performance.now() - t0 < 3000) {
    after = await simStats(simUrl);
    if (within1s === null && performance.now() - t0 >= 1000) within1s = after.streamsCancelled;
    if (after.openStreams === 0 && within1s !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  within1s ??= after.streamsCancelled;
  // Let the target settle (usage rows, sockets) before the next measurement.
  await new Promise((r) => setTimeout(r, 1000));
  return {
    count: HELD,
    opened: opened.opened,
    errors: opened.errors,
    statuses: opened.statuses,
    lastOpenMs: opened.lastOpenMs,
    rssBeforeMiB: rss0 / 1024,
    rssOpenMiB: rss1 / 1024,
    kibPerStream: opened.opened ? (rss1 - rss0) / opened.opened : null,
    upstreamOpenAtDrop: before.openStreams,
    cancelledWithin1s: within1s,
    cancelledWithin3s: after.streamsCancelled,
    upstreamStillOpen: after.openStreams,
  };
}

// --- output ---
const f2 = (v, d = 2) => (v == null || Number.isNaN(v) ? "" : v.toFixed(d));
const plus = (v, d = 2) => (v == null ? "" : `${v >= 0 ? "+" : ""}${v.toFixed(d)}`);

function rowsOf(results) {
  const rows = [];
  for (const s of results.scenarios) {
    const base = s.targets.direct;
    for (const [name, t] of Object.entries(s.targets)) {
      const isBase = name === "direct";
      rows.push([
        s.name,
        name,
        f2(t.rps, 0),
        isBase ? f2(t.p50) : plus(added(t.p50, base?.p50)),
        isBase ? f2(t.p99) : plus(added(t.p99, base?.p99)),
        s.stream ? (isBase ? f2(t.ttftP50) : plus(added(t.ttftP50, base?.ttftP50))) : "",
        s.stream ? f2(t.chunksPerSecond, 0) : "",
        "",
        f2(t.cpuUsPerRequest, 0),
        String(t.errors),
      ]);
    }
  }
  for (const [name, h] of Object.entries(results.held)) {
    rows.push([
      `held ${h.count} streams`,
      name,
      "",
      "",
      "",
      "",
      "",
      f2(h.kibPerStream, 1),
      "",
      `${h.errors} (${h.opened} open; ${h.cancelledWithin1s}/${h.upstreamOpenAtDrop} cancelled ≤1 s)`,
    ]);
  }
  return rows;
}

function printTable(results) {
  const head = ["scenario", "target", "req/s", "p50 ms (+)", "p99 ms (+)", "TTFT p50 (+)", "chunks/s", "KiB/stream", "CPU µs/req", "errors"];
  const rows = [head, ...rowsOf(results)];
  const widths = head.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const [i, r] of rows.entries()) {
    console.log(r.map((c, j) => (j < 2 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join("  "));
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
}

// --- main ---
async function main() {
  if (!existsSync(path.join(ROOT, "dist/node.js"))) execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, stdio: "inherit" });
  const t0 = performance.now();
  const simPort = await freePort();
  const simUrl = `http://127.0.0.1:${simPort}`;
  const sim = await start("sim", ["dist/sim.js"], { SIM_PORT: String(simPort), SIM_HOST: "127.0.0.1" }, `${simUrl}/__sim/stats`);

  const targets = [{ name: "direct", pid: () => sim.pid, spec: (shape) => presigned.get(shape.key) }];
  // The floor: the direct request through a bare node:http pass-through proxy (bench/proxy.mjs).
  const proxyPort = await freePort();
  const proxy = await start("node-proxy", ["bench/proxy.mjs"], { UPSTREAM: simUrl, PORT: String(proxyPort) }, `http://127.0.0.1:${proxyPort}/__sim/stats`);
  targets.push({
    name: "node-proxy",
    pid: () => proxy.pid,
    spec: (shape) => {
      const d = presigned.get(shape.key);
      return { ...d, url: d.url.replace(simUrl, `http://127.0.0.1:${proxyPort}`) };
    },
  });
  notes.push("node-proxy = the direct request through a bare node:http pass-through proxy (bench/proxy.mjs): the floor for any Node gateway here");
  const pgUrl = await scratchPostgres();
  const gateways = [];
  if (pgUrl) gateways.push(await startGateway("gateway-pg", simUrl, { DATABASE_URL: pgUrl }));
  gateways.push(await startGateway("gateway-pglite", simUrl, { DATA_DIR: path.join(work, "pglite") }));
  for (const g of gateways) {
    targets.push({ name: g.name, pid: () => g.child.pid, spec: (shape) => chatSpec(g.url, { authorization: `Bearer ${g.key}` }, MODEL, shape) });
  }

  let portkeySim = null;
  const portkey = await installPortkey();
  if (portkey) {
    // Portkey 1.15 signs `host` without the port, so its simulator runs with signature checks off.
    const port = await freePort();
    portkeySim = `http://127.0.0.1:${await freePort()}`;
    const psim = await start(
      "sim-portkey",
      ["dist/sim.js"],
      { SIM_PORT: portkeySim.split(":")[2], SIM_HOST: "127.0.0.1", SIM_VERIFY_SIGNATURES: "false" },
      `${portkeySim}/__sim/stats`,
    );
    const pk = await start("portkey", [portkey.main, `--port=${port}`, "--headless"], { NODE_ENV: "production" }, `http://127.0.0.1:${port}/`, portkey.cwd);
    const headers = {
      "x-portkey-provider": "bedrock",
      "x-portkey-aws-access-key-id": SIM.accessKeyId,
      "x-portkey-aws-secret-access-key": SIM.secretAccessKey,
      "x-portkey-aws-region": REGION,
      "x-portkey-custom-host": portkeySim,
    };
    targets.push({ name: "portkey", pid: () => pk.pid, sim: psim, spec: (shape) => chatSpec(`http://127.0.0.1:${port}`, headers, BEDROCK_ID, shape) });
    notes.push(`Portkey ${PORTKEY_VERSION}: its own simulator with signature checks OFF (it signs host without the port)`);
  }

  // Shapes carry a key for the pre-signed direct request.
  const prepared = async (opts) => {
    const shape = shapeOf(opts);
    const signed = await presign(simUrl, shape);
    shape.key = `${shape.stream}|${shape.prompt.length}|${shape.deltas}|${shape.maxTokens}`;
    presigned.set(shape.key, signed);
    return shape;
  };

  const plain = await prepared({});
  const streamed = await prepared({ stream: true, deltas: 200, maxTokens: 4096 });
  // Warm every target (JIT, pools, caches) before anything is measured.
  await interleaved(targets, plain, 8, 1, QUICK ? 500 : 1500);
  await interleaved(targets, streamed, 8, 1, QUICK ? 300 : 800);

  const results = {
    date: new Date().toISOString(),
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    node: process.version,
    quick: QUICK,
    rounds: ROUNDS,
    sliceMs: SLICE_MS,
    portkey: portkey ? PORTKEY_VERSION : null,
    notes,
    scenarios: [],
    held: {},
    growth: {},
    targets: {},
  };
  const run = async (name, shape, c) => {
    const s = { name, stream: shape.stream, concurrency: c, targets: await interleaved(targets, shape, c) };
    results.scenarios.push(s);
    process.stderr.write(`  ${name} done (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
    return s;
  };
  // Held streams first: after heavy load a process keeps its grown heap, which would hide what each stream costs.
  for (const t of targets.filter((x) => x.name !== "direct")) {
    results.held[t.name] = await heldStreams(t, t.name === "portkey" ? portkeySim : simUrl);
    process.stderr.write(`  held streams ${t.name} done (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
  }
  await run("non-stream c1", plain, 1);
  await run("non-stream c64", plain, 64);
  await run("non-stream c256", plain, 256);
  await run("stream 200 deltas c1", streamed, 1);
  await run("stream 200 deltas c64", streamed, 64);

  // Cost growth on the first gateway target against direct: request body size, then reply length.
  const gw = targets.find((t) => t.name.startsWith("gateway"));
  const pair = [targets[0], gw];
  const growthRounds = QUICK ? 1 : 2;
  const growthMs = QUICK ? 800 : 1500;
  const bodies = [];
  for (const kb of [1, 100, 1024, 5120]) {
    const r = await interleaved(pair, await prepared({ bodyBytes: kb * 1024 }), 1, growthRounds, growthMs);
    bodies.push({ kb, addedP50Us: added(r[gw.name].p50, r.direct.p50) * 1000, cpuUs: r[gw.name].cpuUsPerRequest, errors: r[gw.name].errors });
  }
  const replies = [];
  for (const deltas of [10, 1000, 10000]) {
    const shape = await prepared({ stream: true, deltas, maxTokens: 64000 });
    const r = await interleaved(pair, shape, 1, growthRounds, growthMs);
    replies.push({ deltas, addedP50Us: added(r[gw.name].p50, r.direct.p50) * 1000, cpuUs: r[gw.name].cpuUsPerRequest, errors: r[gw.name].errors });
  }
  results.growth = {
    target: gw.name,
    bodies,
    replies,
    addedUsPerKB: slope(bodies.map((b) => ({ x: b.kb, y: b.addedP50Us }))),
    cpuUsPerKB: slope(bodies.map((b) => ({ x: b.kb, y: b.cpuUs }))),
    addedUsPerDelta: slope(replies.map((b) => ({ x: b.deltas, y: b.addedP50Us }))),
    cpuUsPerDelta: slope(replies.map((b) => ({ x: b.deltas, y: b.cpuUs }))),
  };

  const scenario = (name) => results.scenarios.find((s) => s.name === name).targets;
  for (const g of gateways) {
    const c1 = scenario("non-stream c1");
    const c64 = scenario("non-stream c64");
    const s1 = scenario("stream 200 deltas c1");
    const held = results.held[g.name];
    results.targets[g.name] = judgeTargets({
      c1: { addedP50: added(c1[g.name].p50, c1.direct.p50), addedP99: added(c1[g.name].p99, c1.direct.p99) },
      c64: { rps: c64[g.name].rps, directRps: c64.direct.rps, portkeyRps: c64.portkey?.rps ?? null },
      streamC1: { addedTtftP50: added(s1[g.name].ttftP50, s1.direct.ttftP50) },
      held: { kibPerStream: held.kibPerStream, opened: held.opened, count: held.count, errors: held.errors },
      disconnects: { cancelled: held.cancelledWithin1s, dropped: held.upstreamOpenAtDrop },
    });
  }
  results.seconds = (performance.now() - t0) / 1000;

  mkdirSync(path.join(ROOT, "bench/results"), { recursive: true });
  const file = path.join(ROOT, "bench/results", `${results.date.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2));

  console.log(
    `\nbedrock-gateway bench: ${results.cores} cores, Node ${process.version}, ${ROUNDS} round(s) of ${SLICE_MS} ms per target${QUICK ? " (--quick)" : ""}, ${results.seconds.toFixed(0)} s`,
  );
  console.log("direct = signed Converse straight to the simulator; other rows show what they add to it (+ms). CPU = the target process's own.");
  for (const n of notes) console.log(`note: ${n}`);
  console.log("");
  printTable(results);
  const g = results.growth;
  console.log(
    `\ncost growth (${g.target}, c1): +${f2(g.addedUsPerKB)} µs latency and ${f2(g.cpuUsPerKB)} µs CPU per KB of request body; +${f2(g.addedUsPerDelta)} µs latency and ${f2(g.cpuUsPerDelta)} µs CPU per streamed delta`,
  );
  console.log(`  bodies: ${g.bodies.map((b) => `${b.kb} KB +${f2(b.addedP50Us / 1000)} ms ${f2(b.cpuUs, 0)} µs CPU`).join("; ")}`);
  console.log(`  replies: ${g.replies.map((b) => `${b.deltas} deltas +${f2(b.addedP50Us / 1000)} ms ${f2(b.cpuUs, 0)} µs CPU`).join("; ")}`);
  for (const [name, verdicts] of Object.entries(results.targets)) {
    console.log(`\ntargets (${name}):`);
    for (const v of verdicts) console.log(`  ${v.verdict === "met" ? "MET   " : v.verdict === "missed" ? "MISSED" : "n/a   "}  ${v.target}: ${v.value}`);
  }
  console.log(`\nresults: ${path.relative(ROOT, file)}`);
}

try {
  await main();
} finally {
  loader.disconnect();
  for (const c of children) c.kill("SIGTERM");
  await Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once("exit", r)))));
  for (const fn of cleanups) await fn();
  rmSync(work, { recursive: true, force: true });
}
