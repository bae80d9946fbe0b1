// `npm run bench`: the gateway's overhead, measured against the simulator called directly in the same run.
// Figures are ratios to that baseline, so they compare across machines; raw numbers are kept in bench/results/.
// Settings: BENCH_SECONDS (default 5), BENCH_CONCURRENCY (default "16,64"), BENCH_STREAMS (default 500),
// DATABASE_URL (otherwise PGlite in a temp folder).
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { AwsClient } from "aws4fetch";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? "16,64").split(",").map(Number);
const OPEN_STREAMS = Number(process.env.BENCH_STREAMS ?? 500);
const SIM = { accessKeyId: "AKIASIMULATOR000000", secretAccessKey: "simulator-secret-access-key" };
const MODEL = "claude-sonnet-4-5";
const BEDROCK_ID = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const PROMPT = "Benchmark prompt [sim:words=20]";

const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
const children = [];

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function start(cmd, args, env, readyUrl) {
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  children.push(child);
  for (let i = 0; i < 300; i++) {
    try {
      const res = await fetch(readyUrl);
      if (res.status < 500) return child;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${args.join(" ")} did not start:\n${out}`);
}

function request({ url, headers, body }) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let ttfb = 0;
    const req = http.request(url, { method: "POST", agent, headers: { ...headers, "content-length": Buffer.byteLength(body) } }, (res) => {
      let bytes = 0;
      res.on("data", (d) => {
        if (!ttfb) ttfb = performance.now() - started;
        bytes += d.length;
      });
      res.on("end", () => resolve({ status: res.statusCode, ms: performance.now() - started, ttfb, bytes }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function load(makeRequest, concurrency, seconds) {
  const latencies = [];
  const ttfbs = [];
  let errors = 0;
  const until = performance.now() + seconds * 1000;
  const warmUntil = performance.now() + 500;
  const worker = async () => {
    while (performance.now() < until) {
      const r = await makeRequest();
      if (performance.now() < warmUntil) continue;
      if (r.status !== 200) errors++;
      latencies.push(r.ms);
      ttfbs.push(r.ttfb);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - Math.max(t0, warmUntil - 500) - 500) / 1000;
  const q = (arr, p) => {
    const s = [...arr].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
  };
  return { rps: latencies.length / elapsed, p50: q(latencies, 0.5), p99: q(latencies, 0.99), ttfbP50: q(ttfbs, 0.5), errors, n: latencies.length };
}

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

async function main() {
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, stdio: "inherit" });
  const simPort = await freePort();
  const gwPort = await freePort();
  const simUrl = `http://127.0.0.1:${simPort}`;
  const gwUrl = `http://127.0.0.1:${gwPort}`;
  await start(process.execPath, ["dist/sim.js"], { SIM_PORT: String(simPort), SIM_HOST: "127.0.0.1" }, `${simUrl}/__sim/stats`);

  const dataDir = process.env.DATABASE_URL ? null : mkdtempSync(path.join(tmpdir(), "bgw-bench-"));
  const dbEnv = process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : { DATA_DIR: dataDir };
  const gateway = await start(
    process.execPath,
    ["dist/node.js"],
    {
      ...dbEnv,
      PORT: String(gwPort),
      HOST: "127.0.0.1",
      LOG_LEVEL: "error",
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: simUrl,
      AWS_ACCESS_KEY_ID: SIM.accessKeyId,
      AWS_SECRET_ACCESS_KEY: SIM.secretAccessKey,
      NODE_ENV: "production",
    },
    `${gwUrl}/healthz`,
  );
  const cliEnv = { ...process.env, ...dbEnv };
  const key = JSON.parse(
    execFileSync(process.execPath, ["dist/cli.js", "keys", "create", "--user", "bench@example.com", "--json"], { cwd: ROOT, env: cliEnv }),
  ).key;

  const aws = new AwsClient({ ...SIM, service: "bedrock", region: "us-east-1", retries: 0 });
  const converseBody = JSON.stringify({ messages: [{ role: "user", content: [{ text: PROMPT }] }], inferenceConfig: { maxTokens: 256 } });
  const direct = async (op) => {
    const signed = await aws.sign(`${simUrl}/model/${encodeURIComponent(BEDROCK_ID)}/${op}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: converseBody,
    });
    return { url: signed.url, headers: Object.fromEntries(signed.headers), body: converseBody };
  };
  // Pre-signed once: the simulator accepts a signature for 5 minutes, so the baseline client spends no CPU on signing.
  const directConverse = await direct("converse");
  const directStream = await direct("converse-stream");
  const gwHeaders = { authorization: `Bearer ${key}`, "content-type": "application/json" };
  const gwPlain = {
    url: `${gwUrl}/v1/chat/completions`,
    headers: gwHeaders,
    body: JSON.stringify({ model: MODEL, max_tokens: 256, messages: [{ role: "user", content: PROMPT }] }),
  };
  const gwStream = { ...gwPlain, body: JSON.stringify({ model: MODEL, max_tokens: 256, stream: true, messages: [{ role: "user", content: PROMPT }] }) };

  const idleRss = rssMiB(gateway.pid);
  const results = {
    date: new Date().toISOString(),
    node: process.version,
    seconds: SECONDS,
    database: dataDir ? "pglite" : "postgres",
    idleRssMiB: idleRss,
    runs: [],
  };
  for (const c of CONCURRENCY) {
    for (const [name, base, via] of [
      ["converse", directConverse, gwPlain],
      ["converse-stream", directStream, gwStream],
    ]) {
      const b = await load(() => request(base), c, SECONDS);
      const cpu0 = cpuSeconds(gateway.pid);
      const g = await load(() => request(via), c, SECONDS);
      // Includes the warm-up requests the latency figures leave out: a slight overestimate per request.
      const gatewayCpuUsPerRequest = ((cpuSeconds(gateway.pid) - cpu0) * 1e6) / (g.n * (SECONDS / (SECONDS - 0.5)));
      const rss = rssMiB(gateway.pid);
      results.runs.push({
        op: name,
        concurrency: c,
        baseline: b,
        gateway: g,
        throughputRatio: g.rps / b.rps,
        addedP50Ms: g.p50 - b.p50,
        gatewayCpuUsPerRequest,
        gatewayRssMiB: rss,
      });
    }
  }

  // Memory per open stream: hold many slow streams open at once and compare RSS.
  const before = rssMiB(gateway.pid);
  const slow = { ...gwStream, body: JSON.stringify({ model: MODEL, stream: true, messages: [{ role: "user", content: "[sim:delay=50] [sim:words=60]" }] }) };
  const streams = Array.from({ length: OPEN_STREAMS }, () => request(slow));
  await new Promise((r) => setTimeout(r, 1500));
  const during = rssMiB(gateway.pid);
  await Promise.all(streams);
  results.openStreams = { count: OPEN_STREAMS, rssBeforeMiB: before, rssDuringMiB: during, kibPerStream: ((during - before) * 1024) / OPEN_STREAMS };

  mkdirSync(path.join(ROOT, "bench/results"), { recursive: true });
  const file = path.join(ROOT, "bench/results", `${results.date.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2));

  console.log(`\nbedrock-gateway benchmark (${results.database}, ${SECONDS}s per run, Node ${process.version})`);
  console.log("op               conc  baseline rps  gateway rps  ratio   +p50 ms  gw p99 ms  gw CPU µs/req  gw RSS MiB");
  for (const r of results.runs) {
    console.log(
      `${r.op.padEnd(16)} ${String(r.concurrency).padStart(4)}  ${r.baseline.rps.toFixed(0).padStart(12)}  ${r.gateway.rps.toFixed(0).padStart(11)}  ${r.throughputRatio.toFixed(2).padStart(5)}  ${r.addedP50Ms.toFixed(2).padStart(8)}  ${r.gateway.p99.toFixed(1).padStart(9)}  ${r.gatewayCpuUsPerRequest.toFixed(0).padStart(13)}  ${r.gatewayRssMiB.toFixed(0).padStart(10)}` +
        (r.gateway.errors ? `  (${r.gateway.errors} errors)` : ""),
    );
  }
  console.log(
    `idle RSS ${idleRss.toFixed(0)} MiB; ${OPEN_STREAMS} open streams: +${(results.openStreams.rssDuringMiB - before).toFixed(0)} MiB (${results.openStreams.kibPerStream.toFixed(0)} KiB/stream)`,
  );
  console.log(`results: ${path.relative(ROOT, file)}`);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}

try {
  await main();
} finally {
  for (const c of children) c.kill("SIGTERM");
  agent.destroy();
}
