// The bench's load generator: a separate process (forked by bench/run.mjs, jobs over IPC), so the CPU the
// targets use is measured apart from the CPU spent making the load.
import http from "node:http";

const agent = new http.Agent({ keepAlive: true, maxSockets: 4096, scheduling: "lifo" });
let held = [];

function once(spec) {
  return new Promise((resolve) => {
    const started = performance.now();
    let ttft = 0;
    let bytes = 0;
    const done = (status) => resolve({ status, ms: performance.now() - started, ttft: ttft || performance.now() - started, bytes });
    const req = http.request(spec.url, { method: "POST", agent, headers: spec.headers }, (res) => {
      res.on("data", (d) => {
        bytes += d.length;
        if (!ttft && (!spec.marker || d.includes(spec.marker))) ttft = performance.now() - started;
      });
      res.on("end", () => done(res.statusCode));
      res.on("error", () => done(0));
    });
    req.on("error", () => done(0));
    req.end(spec.body);
  });
}

/** Closed-loop load: `concurrency` workers, each sending its next request when the last one ends. */
async function load(id, spec) {
  const latencies = [];
  const ttfts = [];
  const statuses = {};
  let errors = 0;
  let bytes = 0;
  let measuring = false;
  let measuredFrom = 0;
  const start = performance.now();
  const end = start + spec.warmMs + spec.ms;
  setTimeout(() => {
    measuring = true;
    measuredFrom = performance.now();
    process.send({ id, phase: "measure" });
  }, spec.warmMs);
  const worker = async () => {
    while (performance.now() < end) {
      const r = await once(spec);
      if (!measuring) continue;
      if (r.status !== 200) {
        errors++;
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        continue;
      }
      latencies.push(r.ms);
      ttfts.push(r.ttft);
      bytes += r.bytes;
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, worker));
  return { latencies, ttfts, errors, statuses, bytes, seconds: (performance.now() - measuredFrom) / 1000 };
}

/** Opens `count` streams at once and keeps reading them; answers when every one has its headers or the time is up. */
async function hold(spec) {
  const t0 = performance.now();
  const state = { opened: 0, errors: 0, statuses: {}, openMs: [] };
  const opening = [];
  for (let i = 0; i < spec.count; i++) {
    opening.push(
      new Promise((resolve) => {
        const req = http.request(spec.url, { method: "POST", agent: false, headers: spec.headers }, (res) => {
          if (res.statusCode === 200) {
            state.opened++;
            state.openMs.push(performance.now() - t0);
          } else {
            state.errors++;
            state.statuses[res.statusCode] = (state.statuses[res.statusCode] ?? 0) + 1;
          }
          res.on("data", () => {});
          res.on("error", () => {});
          resolve();
        });
        req.on("error", () => {
          if (!req.dropped) state.errors++;
          resolve();
        });
        req.end(spec.body);
        held.push(req);
      }),
    );
  }
  await Promise.race([Promise.all(opening), new Promise((r) => setTimeout(r, spec.openTimeoutMs))]);
  state.openMs.sort((a, b) => a - b);
  return { opened: state.opened, errors: state.errors, statuses: state.statuses, lastOpenMs: state.openMs.at(-1) ?? null };
}

function drop() {
  const n = held.length;
  for (const req of held) {
    req.dropped = true;
    req.destroy();
  }
  held = [];
  return { dropped: n };
}

process.on("message", async (msg) => {
  try {
    const result = msg.kind === "load" ? await load(msg.id, msg.spec) : msg.kind === "hold" ? await hold(msg.spec) : drop();
    process.send({ id: msg.id, result });
  } catch (err) {
    process.send({ id: msg.id, error: String(err?.stack ?? err) });
  }
});
process.on("disconnect", () => process.exit(0));
