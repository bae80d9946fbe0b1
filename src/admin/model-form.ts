// The model form's fields (a browser form or a JSON body) as the words of `bedrock-gateway models set`, parsed by the
// CLI's own modelChangeFromFlags, so a price typed in the console is stored exactly as the CLI stores it. Pure.
import { describeTarget } from "../cli/commands/describe";
import { UsageError } from "../cli/format";
import { type ModelSetFlags, modelChangeFromFlags } from "../cli/model-flags";
import type { ModelChange } from "../db/models";
import type { TargetRow } from "../db/schema";
import type { FieldError, Parsed } from "./forms";

/** The price fields of the model, and of target N as `target_N_<field>`; the form field names the CLI flag's. */
export const PRICE_FIELDS = [
  ["input", "input"],
  ["output", "output"],
  ["cache_read", "cache-read"],
  ["cache_write", "cache-write"],
] as const;

type Fields = Record<string, unknown>;
const text = (v: unknown) => (v == null ? undefined : typeof v === "number" ? String(v) : typeof v === "string" ? v.trim() : undefined);

/** The form field a CLI message is about (`--cache-read must be…` is the field cache_read). */
function fieldOfMessage(message: string): string {
  const m = /^--([a-z-]+)/.exec(message);
  return m ? m[1].replace(/-/g, "_") : "alias";
}

/** The CLI words the fields stand for; `targets` are the model's targets, in the form's order. */
export function modelFlagsFromFields(f: Fields, targets: readonly TargetRow[]): Parsed<ModelSetFlags> {
  const flags: ModelSetFlags = {};
  const names = Array.isArray(f.aliases) ? f.aliases.map(text).join(",") : text(f.aliases);
  if (names !== undefined) {
    const list = names.split(/[\s,]+/).filter(Boolean);
    flags.alias = [list.length === 0 ? "none" : list.join(",")];
  }
  const given = PRICE_FIELDS.map(([field]) => text(f[field]));
  // All four empty: no price change (a model with no price keeps none).
  if (given.some((v) => v !== undefined && v !== "")) {
    PRICE_FIELDS.forEach(([, flag], i) => {
      const v = given[i];
      if (v === undefined) return;
      // An empty cache rate is removed (charged at the input rate); an empty input or output is refused by the parser.
      flags[flag] = v === "" && flag.startsWith("cache") ? "none" : v;
    });
  }
  const targetPrices: string[] = [];
  for (let i = 0; i < targets.length; i++) {
    const parts = PRICE_FIELDS.map(([field]) => text(f[`target_${i}_${field}`]));
    if (parts.every((p) => p === undefined)) continue;
    const desc = text(f[`target_${i}`]) ?? describeTarget(targets[i]);
    if (parts.every((p) => !p)) {
      targetPrices.push(`${desc}=none`);
      continue;
    }
    if (!parts[0] || !parts[1]) {
      const field = `target_${i}_${parts[0] ? "output" : "input"}`;
      return { ok: false, field, message: `${desc}: a price of its own needs both input and output; leave all four empty for the model's price` };
    }
    targetPrices.push(`${desc}=${parts.map((p) => p ?? "").join(",")}`);
  }
  if (targetPrices.length > 0) flags["target-price"] = targetPrices;
  return { ok: true, value: flags };
}

/** The change the fields ask of model `alias`, as `models set ALIAS …` with the same words would make it. */
export function modelChangeFromFields(alias: string, f: Fields, targets: readonly TargetRow[]): Parsed<ModelChange> {
  const flags = modelFlagsFromFields(f, targets);
  if (!flags.ok) return flags;
  try {
    return { ok: true, value: modelChangeFromFlags(alias, flags.value) };
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    const e: FieldError = { field: fieldOfMessage(err.message), message: err.message };
    return { ok: false, ...e };
  }
}

const quote = (v: string) => (/^[A-Za-z0-9._:/@=,+-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);

/** The same change as a command line, shown beside the form. */
export function modelSetCommand(alias: string, flags: ModelSetFlags): string {
  const words = ["bedrock-gateway", "models", "set", quote(alias)];
  for (const [, flag] of PRICE_FIELDS) if (flags[flag] !== undefined) words.push(`--${flag}`, quote(flags[flag]!));
  for (const tp of flags["target-price"] ?? []) words.push("--target-price", quote(tp));
  for (const a of flags.alias ?? []) words.push("--alias", quote(a));
  return words.join(" ");
}
