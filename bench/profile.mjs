// Summarises V8 CPU profiles (node --cpu-prof) by where the self time goes: the bundle's own code, each dependency,
// Node's internals by module, garbage collection, idle. Usage: node bench/profile.mjs DIR_OR_FILE... [--top N]
// With the benchmark: BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench -- --quick, then
// node bench/profile.mjs /tmp/prof (one profile per gateway process; the largest is summarised unless files are named).
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const args = process.argv.slice(2);
const topAt = args.indexOf("--top");
const TOP = topAt >= 0 ? Number(args[topAt + 1]) : 25;
const inputs = args.filter((a, i) => !a.startsWith("--") && (topAt < 0 || i !== topAt + 1));
if (inputs.length === 0) {
  console.error("usage: node bench/profile.mjs DIR_OR_FILE... [--top N]");
  process.exit(2);
}

function files(p) {
  if (!statSync(p).isDirectory()) return [p];
  return readdirSync(p)
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => path.join(p, f));
}

/** The bucket a frame's self time is counted in. */
export function bucketOf(frame) {
  const { url, functionName } = frame;
  if (functionName === "(garbage collector)") return "garbage collection";
  if (functionName === "(idle)") return "idle";
  if (functionName === "(program)") return "program (native, unattributed)";
  if (!url) return `native: ${functionName || "(anonymous)"}`;
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split("/");
    return `dep: ${rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (url.startsWith("node:")) return `node: ${url.slice(5).split("/").slice(0, 2).join("/")}`;
  if (url.includes("/dist/")) return `gateway: ${functionName || "(anonymous)"}`;
  return `other: ${path.basename(url)}`;
}

function summarise(file) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  // Self time per node from the sample intervals.
  const deltas = profile.timeDeltas ?? [];
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const b = bucketOf(node.callFrame);
    self.set(b, (self.get(b) ?? 0) + (deltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = self.get("idle") ?? 0;
  const busy = total - idle;
  const gatewayTotal = [...self.entries()].filter(([k]) => k.startsWith("gateway:")).reduce((a, [, v]) => a + v, 0);
  const rows = [...self.entries()].filter(([k]) => k !== "idle").sort((a, b) => b[1] - a[1]);
  console.log(`\n${path.basename(file)}: ${(total / 1e6).toFixed(1)} s sampled, ${((100 * idle) / total).toFixed(0)}% idle; busy time by self time:`);
  console.log(`  ${"all of the bundle's own code".padEnd(60)} ${((100 * gatewayTotal) / busy).toFixed(1).padStart(5)}%`);
  for (const [k, v] of rows.slice(0, TOP)) console.log(`  ${k.slice(0, 60).padEnd(60)} ${((100 * v) / busy).toFixed(1).padStart(5)}%`);
}

const all = inputs.flatMap(files);
const chosen = inputs.length === 1 && statSync(inputs[0]).isDirectory() ? all.sort((a, b) => statSync(b).size - statSync(a).size) : all;
for (const f of chosen) summarise(f);
