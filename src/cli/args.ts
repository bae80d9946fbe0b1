// Flag parsing for the CLI: pure, so its messages are table-tested. node:util's parseArgs is not used because its
// errors advise about positional arguments starting with a dash, where an admin needs the flag they mistyped.
import { UsageError } from "./format";

/** `string`: one value; `multiple`: repeatable, values kept in order; `boolean`: no value. */
export type FlagKind = "string" | "multiple" | "boolean";
export type FlagSpec = Record<string, FlagKind>;

export type FlagValues<S extends FlagSpec> = {
  [K in keyof S]?: S[K] extends "boolean" ? boolean : S[K] extends "multiple" ? string[] : string;
};

export type ParsedArgs<S extends FlagSpec> = { values: FlagValues<S>; positionals: string[] };

/**
 * Parses `--flag value`, `--flag=value` and positionals. A string flag takes the next argument as its value even when
 * it starts with a dash (so `--budget-daily -5` reaches the value check), unless that argument is a known flag.
 */
export function parseFlags<S extends FlagSpec>(args: readonly string[], spec: S, maxPositionals = 0): ParsedArgs<S> {
  const values: Record<string, string | string[] | boolean> = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = (eq === -1 ? arg : arg.slice(0, eq)).replace(/^--?/, "");
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (kind === undefined) throw new UsageError(unknownFlagMessage(arg.slice(0, eq === -1 ? undefined : eq), Object.keys(spec)));
    if (kind === "boolean") {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      values[name] = true;
      continue;
    }
    let value: string;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      const next = args[i + 1];
      if (next === undefined || next === "--" || isKnownFlag(next, spec)) throw new UsageError(`--${name} needs a value`);
      value = next;
      i++;
    }
    if (kind === "multiple") values[name] = [...((values[name] as string[] | undefined) ?? []), value];
    else if (values[name] !== undefined) throw new UsageError(`--${name} is given more than once`);
    else values[name] = value;
  }
  if (positionals.length > maxPositionals) throw new UsageError(`unexpected argument "${positionals[maxPositionals]}"`);
  return { values: values as FlagValues<S>, positionals };
}

function isKnownFlag(arg: string, spec: FlagSpec): boolean {
  if (!arg.startsWith("--")) return false;
  const eq = arg.indexOf("=");
  return Object.hasOwn(spec, arg.slice(2, eq === -1 ? undefined : eq));
}

/** `unknown flag --rmp (did you mean --rpm?)`, or the list of known flags when none is close. */
export function unknownFlagMessage(flag: string, known: readonly string[]): string {
  if (known.length === 0) return `unknown flag ${flag} (this command takes no flags)`;
  const closest = closestName(flag.replace(/^--?/, ""), known);
  if (closest) return `unknown flag ${flag} (did you mean --${closest}?)`;
  return `unknown flag ${flag} (known flags: ${known.map((k) => `--${k}`).join(", ")})`;
}

/** The known name nearest to `name` by edit distance, when near enough to be a likely typo (or `name` starts it). */
export function closestName(name: string, known: readonly string[]): string | null {
  const n = name.toLowerCase();
  let best: { name: string; d: number } | null = null;
  for (const k of known) {
    const d = k.startsWith(n) && n.length >= 2 ? 0.5 : editDistance(n, k);
    if (!best || d < best.d) best = { name: k, d };
  }
  if (!best) return null;
  return best.d <= Math.max(2, Math.ceil(best.name.length / 3)) ? best.name : null;
}

/** Levenshtein distance, with a swap of two adjacent characters counted as one edit (Damerau's restricted form). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** A subcommand name, or a one-line error suggesting the closest one. */
export function pickSubcommand<T extends string>(command: string, sub: string | undefined, known: readonly T[]): T {
  if (sub === undefined) throw new UsageError(`${command} needs a subcommand: ${known.join(", ")}`);
  if ((known as readonly string[]).includes(sub)) return sub as T;
  const closest = closestName(sub, known);
  throw new UsageError(`unknown ${command} subcommand "${sub}" (${closest ? `did you mean "${closest}"?` : `expected ${known.join(", ")}`})`);
}
