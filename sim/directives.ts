/**
 * Test hooks: `[sim:name]` or `[sim:name=value]` anywhere in the text of the LAST user message (text blocks and
 * text inside toolResult blocks), so any client that can send a prompt can trigger them. They are removed from the
 * text the simulator echoes. An unknown or malformed directive is a 400 ValidationException, so typos fail loudly.
 * InvokeModel (embeddings) honours error, fail-first and ttfb in `inputText` / `texts` (removed before embedding).
 *
 *   error=Name                       fail with that exception (service model status, or a 403 auth error)
 *   fail-first=N:Name[:nonce]        fail the first N requests carrying this exact directive text, then succeed
 *   stream-error-after=N:type        ConverseStream: N contentBlockDelta frames, then an exception frame
 *   reset-after=N                    ConverseStream: TCP reset after N frames
 *   truncate-after=N                 ConverseStream: clean end of the HTTP response after N frames
 *   corrupt-crc-after=N              ConverseStream: frame N+1 carries a bad message CRC
 *   corrupt-prelude-after=N          ConverseStream: frame N+1 carries a bad prelude CRC
 *   unknown-event-after=N            ConverseStream: an event with an unknown `:event-type` after N frames
 *   delay=MS                         ConverseStream: pause between frames
 *   first-frame-delay=MS             ConverseStream: pause after the response headers, before the first frame
 *   ttfb=MS                          pause before the response headers (any operation)
 *   chunk-bytes=N                    ConverseStream: write the bytes in N-byte TCP writes (dribble)
 *   stop=REASON                      force the stopReason
 *   words=N                          reply with N deterministic words
 *   unicode                          reply rich in multibyte UTF-8, cut across frames and TCP writes
 *   no-output                        Converse: 200 without `output`; ConverseStream: no content blocks
 *   echo-request                     reply text is the JSON of the received request body
 *   parallel-tools                   two toolUse blocks instead of one
 *   when-model=ID                    the fault and timing directives above apply only to requests for this model id
 *                                    (as sent in the path); other requests get only the reply-shaping ones
 *   when-region=REGION               likewise, only to requests signed for this region
 */
import { isExceptionName, STREAM_EXCEPTIONS, validation, type ExceptionName, type StreamExceptionType } from "./errors";

export type Directives = {
  error?: ExceptionName;
  failFirst?: { count: number; error: ExceptionName; key: string };
  streamErrorAfter?: { deltas: number; type: StreamExceptionType };
  resetAfter?: number;
  truncateAfter?: number;
  corruptCrcAfter?: number;
  corruptPreludeAfter?: number;
  unknownEventAfter?: number;
  delayMs?: number;
  firstFrameDelayMs?: number;
  ttfbMs?: number;
  chunkBytes?: number;
  stop?: string;
  words?: number;
  unicode?: boolean;
  noOutput?: boolean;
  echoRequest?: boolean;
  parallelTools?: boolean;
  whenModel?: string;
  whenRegion?: string;
};

/** What a request is, for the `when-*` directives. */
export type DirectiveScope = { modelId: string | null; region: string };

/** Directives that fail, slow or cut a request; `when-*` limits them to matching requests. */
const FAULTS = [
  "error",
  "failFirst",
  "streamErrorAfter",
  "resetAfter",
  "truncateAfter",
  "corruptCrcAfter",
  "corruptPreludeAfter",
  "unknownEventAfter",
  "delayMs",
  "firstFrameDelayMs",
  "ttfbMs",
  "chunkBytes",
] as const satisfies readonly (keyof Directives)[];

type Parser = (value: string | undefined, raw: string) => Partial<Directives>;

function int(value: string | undefined, raw: string, min = 0, max = 10_000_000): number {
  const n = Number(value);
  if (value === undefined || !/^\d+$/.test(value) || n < min || n > max) throw bad(raw, `expects an integer in ${min}..${max}`);
  return n;
}

function exception(name: string | undefined, raw: string): ExceptionName {
  if (!name || !isExceptionName(name)) throw bad(raw, "names no exception of the Bedrock Runtime service model");
  return name;
}

function flag(field: "unicode" | "noOutput" | "echoRequest" | "parallelTools"): Parser {
  return (value, raw) => {
    if (value !== undefined) throw bad(raw, "takes no value");
    return { [field]: true };
  };
}

const count =
  (
    field:
      | "resetAfter"
      | "truncateAfter"
      | "corruptCrcAfter"
      | "corruptPreludeAfter"
      | "unknownEventAfter"
      | "delayMs"
      | "firstFrameDelayMs"
      | "ttfbMs"
      | "words",
  ): Parser =>
  (value, raw) => ({ [field]: int(value, raw) });

const PARSERS: Record<string, Parser> = {
  error: (value, raw) => ({ error: exception(value, raw) }),
  "fail-first": (value, raw) => {
    const [n, name] = (value ?? "").split(":");
    return { failFirst: { count: int(n, raw), error: exception(name, raw), key: raw } };
  },
  "stream-error-after": (value, raw) => {
    const [n, type = ""] = (value ?? "").split(":");
    const t = (type[0]?.toLowerCase() ?? "") + type.slice(1);
    if (!(STREAM_EXCEPTIONS as readonly string[]).includes(t)) throw bad(raw, `expects one of ${STREAM_EXCEPTIONS.join(", ")}`);
    return { streamErrorAfter: { deltas: int(n, raw), type: t as StreamExceptionType } };
  },
  "reset-after": count("resetAfter"),
  "truncate-after": count("truncateAfter"),
  "corrupt-crc-after": count("corruptCrcAfter"),
  "corrupt-prelude-after": count("corruptPreludeAfter"),
  "unknown-event-after": count("unknownEventAfter"),
  delay: count("delayMs"),
  "first-frame-delay": count("firstFrameDelayMs"),
  ttfb: count("ttfbMs"),
  "chunk-bytes": (value, raw) => ({ chunkBytes: int(value, raw, 1, 65536) }),
  stop: (value, raw) => {
    if (!value || !/^[a-z_]+$/.test(value)) throw bad(raw, "expects a stop reason such as guardrail_intervened");
    return { stop: value };
  },
  words: count("words"),
  unicode: flag("unicode"),
  "no-output": flag("noOutput"),
  "echo-request": flag("echoRequest"),
  "parallel-tools": flag("parallelTools"),
  "when-model": (value, raw) => {
    if (!value) throw bad(raw, "expects a model id");
    return { whenModel: value };
  },
  "when-region": (value, raw) => {
    if (!value || !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(value)) throw bad(raw, "expects a region such as us-west-2");
    return { whenRegion: value };
  },
};

/** The directives that apply to this request: without a matching `when-*`, the faults are dropped. */
export function scopeDirectives(d: Directives, scope: DirectiveScope): Directives {
  const matches = (d.whenModel === undefined || d.whenModel === scope.modelId) && (d.whenRegion === undefined || d.whenRegion === scope.region);
  if (matches) return d;
  const out = { ...d };
  for (const k of FAULTS) delete out[k];
  return out;
}

const DIRECTIVE = /\[sim:([a-z-]+)(?:=([^\]\s]*))?\]/g;

function bad(raw: string, why: string) {
  return validation(`bedrock-simulator: directive ${raw} ${why}.`);
}

/** Removes directives without interpreting them (for text quoted back, such as tool results). */
export function stripDirectives(text: string): string {
  return text
    .replace(DIRECTIVE, "")
    .replace(/[ \t]{2,}/g, " ")
    .trim();
}

/** Parses every directive in `texts` (later ones win) and returns the texts with the directives removed. */
export function parseDirectives(texts: string[]): { directives: Directives; cleaned: string[] } {
  const directives: Directives = {};
  const cleaned = texts.map((text) =>
    text
      .replace(DIRECTIVE, (raw, name: string, value: string | undefined) => {
        const parse = PARSERS[name];
        if (!parse) throw bad(raw, `is unknown (known: ${Object.keys(PARSERS).join(", ")})`);
        Object.assign(directives, parse(value, raw));
        return "";
      })
      .replace(/[ \t]{2,}/g, " ")
      .trim(),
  );
  return { directives, cleaned };
}
