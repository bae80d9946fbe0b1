/**
 * A strict reader of Prometheus's text exposition format (version 0.0.4,
 * https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format), for tests: it throws on any
 * line a Prometheus server would reject or misread, and returns the families with their samples.
 */
export type Sample = { name: string; labels: Record<string, string>; value: number };
export type Family = { name: string; type: string; help: string; samples: Sample[] };

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

export function parsePrometheusText(text: string): Map<string, Family> {
  if (text.length > 0 && !text.endsWith("\n")) throw new Error("the exposition must end with a line feed");
  const families = new Map<string, Family>();
  const lines = text.split("\n").slice(0, -1);
  let current: Family | null = null;
  lines.forEach((line, i) => {
    const where = `line ${i + 1} (${JSON.stringify(line)})`;
    if (line.trim() === "") return;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return; // other comments are allowed and ignored
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad metric name`);
      let family = families.get(name);
      if (!family) {
        family = { name, type: "untyped", help: "", samples: [] };
        families.set(name, family);
      } else if (family.samples.length > 0) throw new Error(`${where}: ${kind} after samples of ${name}`);
      if (kind === "TYPE") {
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type`);
        family.type = rest;
      } else family.help = rest;
      current = family;
      return;
    }
    const sample = parseSample(line, where);
    const family = familyOf(sample.name, families, current);
    if (!family) throw new Error(`${where}: sample without a TYPE for its family`);
    family.samples.push(sample);
  });
  for (const f of families.values()) if (f.type === "histogram") checkHistogram(f);
  return families;
}

function familyOf(sampleName: string, families: Map<string, Family>, current: Family | null): Family | undefined {
  if (families.has(sampleName)) return families.get(sampleName);
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (sampleName.endsWith(suffix)) {
      const f = families.get(sampleName.slice(0, -suffix.length));
      if (f && (f.type === "histogram" || f.type === "summary")) return f;
    }
  }
  return current?.name === sampleName ? current : undefined;
}

function parseSample(line: string, where: string): Sample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)( -?\d+)?$/.exec(line);
  if (!m) throw new Error(`${where}: not a sample line`);
  const labels = m[2] ? parseLabels(m[2], where) : {};
  return { name: m[1]!, labels, value: parseValue(m[3]!, where) };
}

function parseLabels(block: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 1;
  const end = block.length - 1;
  while (i < end) {
    const eq = block.indexOf("=", i);
    if (eq < 0) throw new Error(`${where}: label without a value`);
    const name = block.slice(i, eq);
    if (!LABEL_NAME.test(name)) throw new Error(`${where}: bad label name ${JSON.stringify(name)}`);
    if (name in labels) throw new Error(`${where}: label ${name} repeated`);
    if (block[eq + 1] !== '"') throw new Error(`${where}: label value not quoted`);
    let value = "";
    let j = eq + 2;
    for (; ; j++) {
      if (j >= end) throw new Error(`${where}: unterminated label value`);
      const ch = block[j]!;
      if (ch === "\\") {
        const next = block[++j];
        if (next === "n") value += "\n";
        else if (next === "\\" || next === '"') value += next;
        else throw new Error(`${where}: bad escape \\${next}`);
      } else if (ch === '"') break;
      else if (ch === "\n") throw new Error(`${where}: raw line feed in a label value`);
      else value += ch;
    }
    labels[name] = value;
    i = j + 1;
    if (block[i] === ",") i++;
    else if (i !== end) throw new Error(`${where}: expected , or } after a label`);
  }
  return labels;
}

function parseValue(text: string, where: string): number {
  if (text === "+Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  if (text === "NaN") return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`${where}: bad value ${text}`);
  return Number(text);
}

/** Buckets per label set rise with `le`, end with +Inf, and the +Inf bucket equals `_count`. */
function checkHistogram(f: Family): void {
  const groups = new Map<string, { le: number; value: number }[]>();
  const counts = new Map<string, number>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    if (s.name.endsWith("_bucket")) {
      if (le === undefined) throw new Error(`${f.name}: bucket without le`);
      groups.set(key, [...(groups.get(key) ?? []), { le: parseValue(le, f.name), value: s.value }]);
    } else if (s.name.endsWith("_count")) counts.set(key, s.value);
  }
  for (const [key, buckets] of groups) {
    for (let k = 1; k < buckets.length; k++) {
      if (!(buckets[k]!.le > buckets[k - 1]!.le)) throw new Error(`${f.name}: le not increasing`);
      if (buckets[k]!.value < buckets[k - 1]!.value) throw new Error(`${f.name}: buckets not cumulative`);
    }
    const last = buckets[buckets.length - 1]!;
    if (last.le !== Number.POSITIVE_INFINITY) throw new Error(`${f.name}: no +Inf bucket`);
    if (counts.get(key) !== last.value) throw new Error(`${f.name}: _count differs from the +Inf bucket`);
  }
}

/** The sum of a family's samples whose labels include `match` (and, for histograms, of one suffix). */
export function total(families: Map<string, Family>, name: string, match: Record<string, string> = {}, sampleName = name): number {
  const f = families.get(name);
  if (!f) return 0;
  return f.samples.filter((s) => s.name === sampleName && Object.entries(match).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
}
