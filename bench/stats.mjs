// The bench's pure maths: percentiles, slopes and the verdicts against the targets of issue 11.

/** Nearest-rank percentile (p in 0..1) of unsorted numbers; null for none. */
export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Least-squares slope of y over x; null with fewer than two distinct x. */
export function slope(points) {
  const pts = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  if (new Set(pts.map((p) => p.x)).size < 2) return null;
  const mx = pts.reduce((s, p) => s + p.x, 0) / pts.length;
  const my = pts.reduce((s, p) => s + p.y, 0) / pts.length;
  let num = 0;
  let den = 0;
  for (const p of pts) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return num / den;
}

/** `a - b`, or null when either is missing. */
export function added(a, b) {
  return a == null || b == null ? null : a - b;
}

/** `a / b`, or null when either is missing or b is 0. */
export function ratio(a, b) {
  return a == null || b == null || b === 0 ? null : a / b;
}

/**
 * One target's verdict: met when every check holds, missed when one fails, "not measured" when a value is missing.
 * A check is { value, op: "<=" | ">=" | "==", limit }.
 */
export function verdict(checks) {
  if (checks.some((c) => c.value == null || Number.isNaN(c.value))) return "not measured";
  const ok = checks.every((c) => (c.op === "<=" ? c.value <= c.limit : c.op === ">=" ? c.value >= c.limit : c.value === c.limit));
  return ok ? "met" : "missed";
}

const fmt = (v, digits = 2) => (v == null ? "n/a" : v.toFixed(digits));

/**
 * The targets of issue 11 for one gateway target, from the bench's summary figures:
 * { c1: {addedP50, addedP99}, c64: {rps, directRps, portkeyRps}, streamC1: {addedTtftP50}, held: {kibPerStream, opened, count, errors},
 *   disconnects: {cancelled, dropped} }.
 */
export function judgeTargets(f) {
  return [
    {
      target: "non-stream c1 added p50 / p99 <= +0.5 / +1.5 ms",
      value: `+${fmt(f.c1?.addedP50)} / +${fmt(f.c1?.addedP99)} ms`,
      verdict: verdict([
        { value: f.c1?.addedP50, op: "<=", limit: 0.5 },
        { value: f.c1?.addedP99, op: "<=", limit: 1.5 },
      ]),
    },
    {
      target: "non-stream c64 req/s >= 0.6x direct and >= 2x Portkey",
      value: `${fmt(f.c64?.rps, 0)} req/s = ${fmt(ratio(f.c64?.rps, f.c64?.directRps))}x direct, ${fmt(ratio(f.c64?.rps, f.c64?.portkeyRps))}x Portkey`,
      verdict: verdict([
        { value: ratio(f.c64?.rps, f.c64?.directRps), op: ">=", limit: 0.6 },
        { value: ratio(f.c64?.rps, f.c64?.portkeyRps), op: ">=", limit: 2 },
      ]),
    },
    {
      target: "stream c1 added TTFT p50 <= +1 ms",
      value: `+${fmt(f.streamC1?.addedTtftP50)} ms`,
      verdict: verdict([{ value: f.streamC1?.addedTtftP50, op: "<=", limit: 1 }]),
    },
    {
      target: "RSS per idle open stream <= 40 KiB",
      value: `${fmt(f.held?.kibPerStream, 1)} KiB`,
      // RSS that fell while streams opened (the heap shrank meanwhile) says nothing either way.
      verdict: f.held?.kibPerStream != null && f.held.kibPerStream < 0 ? "not measured" : verdict([{ value: f.held?.kibPerStream, op: "<=", limit: 40 }]),
    },
    {
      target: "1,000 held streams all open, 0 errors",
      value: `${f.held?.opened ?? "n/a"} of ${f.held?.count ?? "n/a"} open, ${f.held?.errors ?? "n/a"} errors`,
      verdict: verdict([
        { value: f.held?.opened, op: ">=", limit: 1000 },
        { value: f.held?.opened, op: "==", limit: f.held?.count },
        { value: f.held?.errors, op: "==", limit: 0 },
      ]),
    },
    {
      target: "every client disconnect cancels upstream within 1 s",
      value: `${f.disconnects?.cancelled ?? "n/a"} of ${f.disconnects?.dropped ?? "n/a"}`,
      verdict: verdict([
        { value: f.disconnects?.cancelled, op: ">=", limit: f.disconnects?.dropped ?? Number.NaN },
        { value: f.disconnects?.dropped, op: ">=", limit: 1 },
      ]),
    },
  ];
}
