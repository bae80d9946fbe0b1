// The words of `models set` (its flags) as the change setModel applies. Pure, with no I/O, so the admin console
// builds its model changes with exactly these functions on every runtime.
import type { ModelChange } from "../db/models";
import type { PriceRow } from "../db/schema";
import type { FlagSpec, FlagValues } from "./args";
import { UsageError } from "./format";
import { isNone, parseUsd } from "./values";

export const MODEL_SET_FLAGS = {
  target: "multiple",
  input: "string",
  output: "string",
  "cache-read": "string",
  "cache-write": "string",
  "target-price": "multiple",
  alias: "multiple",
  kind: "string",
  json: "boolean",
} satisfies FlagSpec;

export type ModelSetFlags = FlagValues<typeof MODEL_SET_FLAGS>;

// Bedrock model ids, inference profile ids and ARNs; the region after `@` is an AWS Region code.
const MODEL_ID = /^[A-Za-z0-9._:/-]{1,256}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const NAME = /^[A-Za-z0-9._:/-]{1,200}$/;

/** `BEDROCK_ID` or `BEDROCK_ID@REGION`. */
export function parseTarget(value: string, flag = "--target"): { modelId: string; region?: string } {
  const v = value.trim();
  const at = v.lastIndexOf("@");
  const modelId = at === -1 ? v : v.slice(0, at);
  const region = at === -1 ? undefined : v.slice(at + 1);
  if (!MODEL_ID.test(modelId) || (region !== undefined && !REGION.test(region))) {
    throw new UsageError(`${flag} must be a Bedrock model id, optionally with @REGION (us.anthropic.claude-sonnet-4-6@us-east-1) (got "${value}")`);
  }
  return region ? { modelId, region } : { modelId };
}

const TARGET_PRICE_HINT = "BEDROCK_ID[@REGION]=INPUT,OUTPUT[,CACHE_READ[,CACHE_WRITE]] or BEDROCK_ID[@REGION]=none";

/**
 * `--target-price BEDROCK_ID[@REGION]=INPUT,OUTPUT[,CACHE_READ[,CACHE_WRITE]]`: a target's own price, whole (an
 * empty or missing cache rate is charged at the input rate); `=none` removes it, so the target costs the model's price.
 */
export function parseTargetPrice(value: string): NonNullable<ModelChange["targetPrices"]>[number] {
  const eq = value.indexOf("=");
  if (eq === -1) throw new UsageError(`--target-price must be ${TARGET_PRICE_HINT} (got "${value}")`);
  const target = parseTarget(value.slice(0, eq), "--target-price");
  const spec = value.slice(eq + 1).trim();
  if (isNone(spec)) return { ...target, price: null };
  const parts = spec.split(",").map((p) => p.trim());
  if (parts.length < 2 || parts.length > 4 || parts[0] === "" || parts[1] === "") {
    throw new UsageError(`--target-price must be ${TARGET_PRICE_HINT} (got "${value}")`);
  }
  const price: PriceRow = { input: parseUsd(parts[0], "--target-price input"), output: parseUsd(parts[1], "--target-price output") };
  if (parts[2]) price.cacheRead = parseUsd(parts[2], "--target-price cache read");
  if (parts[3]) price.cacheWrite = parseUsd(parts[3], "--target-price cache write");
  return { ...target, price };
}

/** The change `models set` asks for, from its flags. Pure. */
export function modelChangeFromFlags(alias: string, values: ModelSetFlags): ModelChange {
  if (!NAME.test(alias)) throw new UsageError(`ALIAS must be a model name of letters, digits and . _ : / - (got "${alias}")`);
  const change: ModelChange = { alias };
  if (values.target) change.targets = values.target.map((t) => parseTarget(t));
  const price: NonNullable<ModelChange["price"]> = {};
  if (values.input !== undefined) price.input = parseUsd(values.input, "--input");
  if (values.output !== undefined) price.output = parseUsd(values.output, "--output");
  // A cache rate can be removed (`none`): such tokens are then charged at the input rate.
  if (values["cache-read"] !== undefined) price.cacheRead = isNone(values["cache-read"]) ? null : parseUsd(values["cache-read"], "--cache-read");
  if (values["cache-write"] !== undefined) price.cacheWrite = isNone(values["cache-write"]) ? null : parseUsd(values["cache-write"], "--cache-write");
  if (Object.keys(price).length > 0) change.price = price;
  if (values["target-price"]) change.targetPrices = values["target-price"].map(parseTargetPrice);
  if (values.alias) {
    const names = values.alias.length === 1 && isNone(values.alias[0]) ? [] : values.alias.flatMap((a) => a.split(",")).map((a) => a.trim());
    const bad = names.find((n) => !NAME.test(n));
    if (bad !== undefined) throw new UsageError(`--alias must be a model name of letters, digits and . _ : / - (got "${bad}")`);
    change.aliases = names;
  }
  if (values.kind !== undefined) {
    if (values.kind !== "chat" && values.kind !== "embedding") throw new UsageError(`--kind must be chat or embedding (got "${values.kind}")`);
    change.kind = values.kind;
  }
  return change;
}
