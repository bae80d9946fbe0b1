/**
 * Bedrock Runtime over aws4fetch: one attempt per call, signed with SigV4 (service `bedrock`) for the attempt's
 * region and sent to that region's endpoint with an injected fetch, every failure a GatewayError that says whether
 * it may be retried (src/routing decides where and when). Each phase has its own limit: the connection (until a
 * stream's response headers), the first byte (the whole answer of Converse and InvokeModel, a stream's first
 * event) and, inside a stream, the longest silence. A limit that passes aborts the upstream request.
 */
import { AwsClient } from "aws4fetch";
import { GatewayError } from "../errors";
import type { Logger } from "../logger";
import { AttemptError, classifyBedrockError, classifyGatewayError } from "../routing/classify";
import { mapBedrockErrorType, normaliseErrorType } from "./error-map";
import { type EventStream, IdleLimitReader } from "./event-reader";
import { type DecodedItem, type DecodedReader, decodeEventStream, INVOKE_EVENT_TYPES } from "./event-stream";
import { boundedMemo } from "./memo";
import { amzDate, createSigV4Signer, type SyncCrypto } from "./sigv4";
import type { ConverseRequest, ConverseResponse, ConverseStreamEvent } from "./converse-types";

/** Where one attempt goes and how long its phases may take; unset fields take the client's defaults. */
export type AttemptOptions = {
  /** The region to sign for and send to (the target's); default the client's region. */
  region?: string | null;
  connectTimeoutMs?: number;
  firstByteTimeoutMs?: number;
  idleTimeoutMs?: number;
};

export type BedrockClient = {
  converse(modelId: string, body: ConverseRequest, signal?: AbortSignal, attempt?: AttemptOptions): Promise<ConverseResponse>;
  /**
   * Resolves once Bedrock's first event past `messageStart` has arrived (so a stream that fails before any content
   * can still be retried); the stream (read once, by one reader) yields every event, and errors with a GatewayError on
   * exception frames or silence. Cancelling its reader aborts the Bedrock request.
   */
  converseStream(modelId: string, body: ConverseRequest, signal?: AbortSignal, attempt?: AttemptOptions): Promise<EventStream<ConverseStreamEvent>>;
  invokeModel(
    modelId: string,
    body: unknown,
    signal?: AbortSignal,
    attempt?: AttemptOptions,
  ): Promise<{ body: unknown; inputTokens: number | null; headers?: Headers }>;
  /** InvokeModelWithResponseStream: like converseStream, yielding Bedrock's `chunk` events (`{bytes}`: base64 of the model's own event). */
  invokeModelStream(modelId: string, body: unknown, signal?: AbortSignal, attempt?: AttemptOptions): Promise<EventStream<InvokeStreamChunk>>;
  /** CountTokens for an InvokeModel body; `modelId` is a foundation model id (no inference profile). */
  countTokens(modelId: string, invokeBody: unknown, signal?: AbortSignal): Promise<number>;
  /**
   * The Bedrock-native door's relay: a caller's own body sent to `/model/{modelId}/{op}` as it is (signed by the
   * gateway, with the given request headers), Bedrock's 200 answer read whole under the first-byte limit. Errors
   * are thrown as by the other calls.
   */
  sendRaw(modelId: string, op: string, body: string, headers: Record<string, string>, signal?: AbortSignal, attempt?: AttemptOptions): Promise<RawAnswer>;
  /**
   * The same for a streaming operation: resolves with Bedrock's 200 response once its headers are in, its body
   * unread; the caller reads the frames and applies the first-byte and idle limits to them.
   */
  openRawStream(modelId: string, op: string, body: string, headers: Record<string, string>, signal?: AbortSignal, attempt?: AttemptOptions): Promise<Response>;
  listFoundationModels(signal?: AbortSignal): Promise<FoundationModelSummary[]>;
  listInferenceProfiles(signal?: AbortSignal): Promise<InferenceProfileSummary[]>;
};

export type InvokeStreamChunk = { type: "chunk"; body: { bytes?: unknown } };

/** A whole 200 answer of sendRaw: Bedrock's headers and body bytes. */
export type RawAnswer = { headers: Headers; body: Uint8Array };

export type FoundationModelSummary = {
  modelId: string;
  modelName?: string;
  providerName?: string;
  inputModalities?: string[];
  outputModalities?: string[];
  responseStreamingSupported?: boolean;
};

export type InferenceProfileSummary = {
  inferenceProfileId: string;
  inferenceProfileName?: string;
  status?: string;
  type?: string;
};

export type AwsCredentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
/** Returns current credentials; runtimes may refresh them (env, container, instance role). */
export type CredentialsProvider = () => Promise<AwsCredentials>;

export type BedrockClientOptions = {
  /** The default region (AWS_REGION). */
  region: string;
  /**
   * The runtime endpoint of the default region. When it is AWS's regional endpoint, other regions get theirs;
   * anything else (AWS_ENDPOINT_URL_BEDROCK_RUNTIME) serves every region, as AWS's endpoint override does.
   */
  runtimeEndpoint: string;
  /** The runtime endpoint of a region, when the rule above does not fit. */
  runtimeEndpointFor?: (region: string) => string;
  controlEndpoint: string;
  credentials: CredentialsProvider;
  fetch: typeof fetch;
  logger: Logger;
  /** Default time allowed until Bedrock's first byte (an attempt may set its own). */
  timeoutMs: number;
  /** Default time allowed until a stream's response headers; defaults to timeoutMs. */
  connectTimeoutMs?: number;
  /** Longest gap between stream chunks. */
  idleTimeoutMs: number;
  /**
   * Synchronous SHA-256 and HMAC from the runtime (node:crypto): requests are then signed without Web Crypto's
   * promise round trips and without building a Request just to sign it. Absent (Workers): aws4fetch signs.
   */
  syncCrypto?: SyncCrypto;
  /** @deprecated Ignored: the client makes one attempt per call; retries and fallback live in src/routing. */
  retries?: number;
  /** @deprecated Ignored, like retries. */
  backoffMs?: (attempt: number) => number;
};

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
/** InvalidSignatureException's messages for a signature dated too far from AWS's clock. */
const SKEW_MESSAGE = /^Signature (expired|not yet current)/;

type Limits = { connectMs: number; firstByteMs: number; idleMs: number };

export function createBedrockClient(opts: BedrockClientOptions): BedrockClient {
  let signer: { key: string; client: AwsClient } | null = null;
  const defaultEndpoint = `https://bedrock-runtime.${opts.region}.amazonaws.com`;
  const endpointFor =
    opts.runtimeEndpointFor ??
    ((region: string) => (opts.runtimeEndpoint === defaultEndpoint ? `https://bedrock-runtime.${region}.amazonaws.com` : opts.runtimeEndpoint));

  const signSync = opts.syncCrypto ? createSigV4Signer(opts.syncCrypto) : null;
  /**
   * AWS refuses a signature dated more than 5 minutes from its own clock. When it does, the offset is learnt from
   * its answer's `Date` header (as the AWS SDKs do), signatures are dated by AWS's clock from then on, and the
   * refused attempt is sent once more.
   */
  let clockOffsetMs = 0;
  const awsNow = () => Date.now() + clockOffsetMs;

  async function credentials(): Promise<AwsCredentials> {
    const c = await opts.credentials();
    if (!c.accessKeyId || !c.secretAccessKey) {
      throw GatewayError.upstream("The gateway has no AWS credentials configured.", "upstream_auth_failed");
    }
    return c;
  }

  // The URLs called, parsed once each (one per model, operation and region): only the signer reads them.
  const parsedUrl = boundedMemo(
    256,
    (url: string) => url,
    (url) => new URL(url),
  );

  /** The signed request as fetch's arguments. */
  async function signed(
    url: string,
    region: string,
    method: string,
    headers: Record<string, string>,
    body: string | undefined,
  ): Promise<[RequestInfo, RequestInit]> {
    if (signSync) {
      const c = await credentials();
      const signedHeaders = signSync({ method, url: parsedUrl(url), headers, body, credentials: c, region, service: "bedrock", datetime: amzDate(awsNow()) });
      return [url, { method, headers: signedHeaders, body }];
    }
    const request = await (await awsClient()).sign(url, { method, headers, body, aws: { region, datetime: amzDate(awsNow()) } });
    return [request, {}];
  }

  async function awsClient(): Promise<AwsClient> {
    const c = await credentials();
    const key = `${c.accessKeyId}\0${c.secretAccessKey}\0${c.sessionToken ?? ""}`;
    // One AwsClient per identity: it caches the derived signing key per day and region.
    if (!signer || signer.key !== key) {
      signer = { key, client: new AwsClient({ ...c, service: "bedrock", region: opts.region, retries: 0 }) };
    }
    return signer.client;
  }

  const limitsOf = (a: AttemptOptions | undefined): Limits => ({
    connectMs: a?.connectTimeoutMs ?? opts.connectTimeoutMs ?? opts.timeoutMs,
    firstByteMs: a?.firstByteTimeoutMs ?? opts.timeoutMs,
    idleMs: a?.idleTimeoutMs ?? opts.idleTimeoutMs,
  });

  /** Sends one signed request; resolves with the 200 response and its still-running first-byte timer. */
  async function send(
    url: string,
    region: string,
    init: { method: string; body?: string; accept: string; headers?: Record<string, string> },
    signal: AbortSignal | undefined,
    limits: Limits,
    stream: boolean,
    skewRetried = false,
  ): Promise<{ res: Response; timers: AttemptTimers }> {
    const headers: Record<string, string> = { accept: init.accept };
    if (init.body !== undefined) headers["content-type"] = "application/json";
    if (init.headers) Object.assign(headers, init.headers);
    const [input, requestInit] = await signed(url, region, init.method, headers, init.body);
    // Converse and InvokeModel send their headers only with the finished answer, so only a stream's headers
    // tell that Bedrock accepted the request; there the first-byte limit alone applies.
    const timers = attemptTimers(signal, stream ? limits.connectMs : null, limits.firstByteMs);
    let res: Response;
    try {
      res = await opts.fetch(input, { ...requestInit, signal: timers.signal });
    } catch (err) {
      timers.clear();
      if (signal?.aborted) throw abortedError(signal);
      if (timers.expired) throw timeoutError(timers.expired, limits);
      opts.logger.warn("bedrock request failed", { url: redactUrl(url), region, error: String(err) });
      throw new AttemptError(GatewayError.upstream("Bedrock could not be reached.", "upstream_unavailable"), "same");
    }
    timers.connected();
    if (res.ok) return { res, timers };

    let failure: { errorType: string | null; message: string | null };
    try {
      failure = await readError(res);
    } finally {
      timers.clear();
    }
    if (!skewRetried && learnClockSkew(res, failure)) return send(url, region, init, signal, limits, stream, true);
    const mapping = mapBedrockErrorType(failure.errorType, res.status);
    if (mapping.code === "upstream_auth_failed") {
      opts.logger.error("bedrock rejected the gateway's credentials", { status: res.status, errorType: failure.errorType, message: failure.message });
    }
    throw new AttemptError(GatewayError.fromBedrock(res.status, failure.errorType, failure.message), classifyBedrockError(failure.errorType, res.status));
  }

  /** True when AWS refused the signature for its date and its clock is known: the offset is then updated. */
  function learnClockSkew(res: Response, failure: { errorType: string | null; message: string | null }): boolean {
    if (res.status !== 403 || normaliseErrorType(failure.errorType) !== "InvalidSignatureException" || !SKEW_MESSAGE.test(failure.message ?? "")) return false;
    const serverTime = Date.parse(res.headers.get("date") ?? "");
    if (Number.isNaN(serverTime)) return false;
    const offset = serverTime - Date.now();
    // The Date header has whole seconds; a refusal with no real difference is not a clock problem.
    if (Math.abs(offset - clockOffsetMs) < 2_000) return false;
    opts.logger.warn("clock skew: AWS's clock differs from this machine's; signing by AWS's clock", {
      offsetMs: offset,
      previousOffsetMs: clockOffsetMs,
    });
    clockOffsetMs = offset;
    return true;
  }

  /** Reads a whole answer under the attempt's first-byte limit. */
  async function readAnswer(res: Response, timers: AttemptTimers, signal: AbortSignal | undefined, limits: Limits): Promise<unknown> {
    let text: string;
    try {
      text = await res.text();
    } catch {
      if (signal?.aborted) throw abortedError(signal);
      if (timers.expired) throw timeoutError(timers.expired, limits);
      throw new AttemptError(GatewayError.upstream("Bedrock's answer was cut off.", "upstream_unavailable"), "same");
    } finally {
      timers.clear();
    }
    try {
      return JSON.parse(text);
    } catch {
      throw GatewayError.upstream("Bedrock returned a response that is not JSON.", "upstream_invalid_response");
    }
  }

  function target(modelId: string, op: string, a: AttemptOptions | undefined): { url: string; region: string } {
    const region = a?.region ?? opts.region;
    if (!REGION.test(region)) {
      throw new AttemptError(GatewayError.upstream(`The gateway's model catalogue names an invalid region for ${modelId}.`, "invalid_target_region"), "never");
    }
    return { url: `${endpointFor(region)}/model/${encodeURIComponent(modelId)}/${op}`, region };
  }

  return {
    async converse(modelId, body, signal, a) {
      const limits = limitsOf(a);
      const { url, region } = target(modelId, "converse", a);
      const { res, timers } = await send(url, region, { method: "POST", body: JSON.stringify(body), accept: "application/json" }, signal, limits, false);
      return (await readAnswer(res, timers, signal, limits)) as ConverseResponse;
    },

    async converseStream(modelId, body, signal, a) {
      const limits = limitsOf(a);
      const { url, region } = target(modelId, "converse-stream", a);
      const { res, timers } = await send(
        url,
        region,
        { method: "POST", body: JSON.stringify(body), accept: "application/vnd.amazon.eventstream" },
        signal,
        limits,
        true,
      );
      if (!res.body) {
        timers.clear();
        throw GatewayError.upstream("Bedrock answered the stream request without a body.", "upstream_invalid_response");
      }
      const reader = decodeEventStream(res.body);
      const first = await readFirst(reader, timers, signal, limits);
      return new IdleLimitReader(reader, limits.idleMs, acceptEvent, first);
    },

    async invokeModel(modelId, body, signal, a) {
      const limits = limitsOf(a);
      const { url, region } = target(modelId, "invoke", a);
      const { res, timers } = await send(url, region, { method: "POST", body: JSON.stringify(body), accept: "application/json" }, signal, limits, false);
      const count = res.headers.get("x-amzn-bedrock-input-token-count");
      return { body: await readAnswer(res, timers, signal, limits), inputTokens: count === null ? null : Number(count), headers: res.headers };
    },

    async invokeModelStream(modelId, body, signal, a) {
      const limits = limitsOf(a);
      const { url, region } = target(modelId, "invoke-with-response-stream", a);
      const init = { method: "POST", body: JSON.stringify(body), accept: "application/vnd.amazon.eventstream" };
      const { res, timers } = await send(url, region, init, signal, limits, true);
      if (!res.body) {
        timers.clear();
        throw GatewayError.upstream("Bedrock answered the stream request without a body.", "upstream_invalid_response");
      }
      const reader = decodeEventStream(res.body, INVOKE_EVENT_TYPES);
      const first = await readFirst(reader, timers, signal, limits);
      return new IdleLimitReader(reader, limits.idleMs, acceptEvent, first) as unknown as EventStream<InvokeStreamChunk>;
    },

    async countTokens(modelId, invokeBody, signal) {
      const limits = limitsOf(undefined);
      const { url, region } = target(modelId, "count-tokens", undefined);
      // The body to count travels base64-encoded (CountTokens, service model `CountTokensInput.invokeModel.body`).
      const bytes = new TextEncoder().encode(JSON.stringify(invokeBody));
      let bin = "";
      for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      const payload = JSON.stringify({ input: { invokeModel: { body: btoa(bin) } } });
      const { res, timers } = await send(url, region, { method: "POST", body: payload, accept: "application/json" }, signal, limits, false);
      const json = (await readAnswer(res, timers, signal, limits)) as { inputTokens?: unknown };
      if (typeof json.inputTokens !== "number") throw GatewayError.upstream("Bedrock's CountTokens answer has no inputTokens.", "upstream_invalid_response");
      return json.inputTokens;
    },

    async sendRaw(modelId, op, body, headers, signal, a) {
      const limits = limitsOf(a);
      const { url, region } = target(modelId, op, a);
      const { res, timers } = await send(url, region, { method: "POST", body, accept: headers.accept ?? "application/json", headers }, signal, limits, false);
      try {
        return { headers: res.headers, body: new Uint8Array(await res.arrayBuffer()) };
      } catch {
        if (signal?.aborted) throw abortedError(signal);
        if (timers.expired) throw timeoutError(timers.expired, limits);
        throw new AttemptError(GatewayError.upstream("Bedrock's answer was cut off.", "upstream_unavailable"), "same");
      } finally {
        timers.clear();
      }
    },

    async openRawStream(modelId, op, body, headers, signal, a) {
      const limits = limitsOf(a);
      const { url, region } = target(modelId, op, a);
      const init = { method: "POST", body, accept: headers.accept ?? "application/vnd.amazon.eventstream", headers };
      const { res, timers } = await send(url, region, init, signal, limits, true);
      // The limits end here (the caller's abort still reaches the body): the caller times the frames itself.
      timers.clear();
      if (!res.body) throw GatewayError.upstream("Bedrock answered the stream request without a body.", "upstream_invalid_response");
      return res;
    },

    async listFoundationModels(signal) {
      const limits = limitsOf(undefined);
      const { res, timers } = await send(
        `${opts.controlEndpoint}/foundation-models`,
        opts.region,
        { method: "GET", accept: "application/json" },
        signal,
        limits,
        false,
      );
      const json = (await readAnswer(res, timers, signal, limits)) as { modelSummaries?: FoundationModelSummary[] };
      return Array.isArray(json.modelSummaries) ? json.modelSummaries : [];
    },

    async listInferenceProfiles(signal) {
      const limits = limitsOf(undefined);
      const { res, timers } = await send(
        `${opts.controlEndpoint}/inference-profiles?maxResults=1000`,
        opts.region,
        { method: "GET", accept: "application/json" },
        signal,
        limits,
        false,
      );
      const json = (await readAnswer(res, timers, signal, limits)) as { inferenceProfileSummaries?: InferenceProfileSummary[] };
      return Array.isArray(json.inferenceProfileSummaries) ? json.inferenceProfileSummaries : [];
    },
  };
}

/**
 * Waits, under the first-byte limit, for a stream's first event past `messageStart` (which only names the role):
 * an exception Bedrock sends before any content can then still be retried, since nothing has reached the client.
 * Every failure here is an ordinary attempt failure, and on any of them the upstream body is cancelled.
 */
async function readFirst(reader: DecodedReader, timers: AttemptTimers, signal: AbortSignal | undefined, limits: Limits): Promise<ConverseStreamEvent[]> {
  const events: ConverseStreamEvent[] = [];
  try {
    for (;;) {
      const r = await Promise.race([reader.read(), timers.expiry]);
      if (r.done) throw new AttemptError(GatewayError.upstream("Bedrock ended the stream before its first event.", "upstream_stream_error"), "same");
      if (r.value.type === "error") throw new AttemptError(r.value.error, classifyGatewayError(r.value.error));
      events.push(r.value);
      if (r.value.type !== "messageStart" || events.length > 1) break;
    }
  } catch (err) {
    timers.clear();
    reader.cancel(err).catch(() => {});
    if (err instanceof AttemptError) throw err;
    if (signal?.aborted) throw abortedError(signal);
    if (timers.expired) throw timeoutError(timers.expired, limits);
    throw new AttemptError(GatewayError.upstream("The Bedrock stream was cut off before its first event.", "upstream_unavailable"), "same");
  }
  timers.clear();
  return events;
}

/** The decoder's in-band error (an exception frame, corruption) ends the stream with that error. */
function acceptEvent(item: DecodedItem): ConverseStreamEvent {
  if (item.type === "error") throw item.error;
  return item;
}

/** Bedrock errors: `x-amzn-ErrorType: Type:namespace` and a JSON body with `message` (or `Message`, `__type`). */
async function readError(res: Response): Promise<{ errorType: string | null; message: string | null }> {
  let body: Record<string, unknown> = {};
  try {
    const text = await res.text();
    const parsed = text ? JSON.parse(text) : {};
    if (parsed && typeof parsed === "object") body = parsed;
  } catch {
    // Non-JSON error bodies (proxies, load balancers) leave only the status to go on.
  }
  const errorType = res.headers.get("x-amzn-errortype") ?? (typeof body.__type === "string" ? body.__type : null);
  const message = typeof body.message === "string" ? body.message : typeof body.Message === "string" ? body.Message : null;
  return { errorType, message };
}

/**
 * One attempt's abort signal: the caller's, plus the connect and first-byte limits. Passing a limit aborts the
 * request (and with it the response body), so Bedrock stops working on an answer nobody will read.
 */
class AttemptTimers {
  readonly #controller = new AbortController();
  /** Which limit passed, if one did. */
  expired: "connect" | "first-byte" | null = null;
  #connect: ReturnType<typeof setTimeout> | undefined;
  #firstByte: ReturnType<typeof setTimeout>;
  // The expiry promise is made only for the callers that race it (a stream's first event), not for every attempt.
  #expiry: Promise<never> | null = null;
  #rejectExpiry: ((err: Error) => void) | null = null;
  #error: Error | null = null;

  constructor(parent: AbortSignal | undefined, connectMs: number | null, firstByteMs: number) {
    forwardAbort(parent, this.#controller);
    this.#connect = connectMs === null || connectMs >= firstByteMs ? undefined : setTimeout(() => this.#expire("connect"), connectMs);
    this.#firstByte = setTimeout(() => this.#expire("first-byte"), firstByteMs);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Rejects when a limit passes (never resolves). */
  get expiry(): Promise<never> {
    if (!this.#expiry) {
      this.#expiry = this.#error
        ? Promise.reject(this.#error)
        : new Promise<never>((_, reject) => {
            this.#rejectExpiry = reject;
          });
      this.#expiry.catch(() => {});
    }
    return this.#expiry;
  }

  /** Response headers arrived: the connect limit no longer applies. */
  connected(): void {
    clearTimeout(this.#connect);
  }

  /** The first byte is in: no limit applies any more (the caller's abort still does). */
  clear(): void {
    clearTimeout(this.#connect);
    clearTimeout(this.#firstByte);
  }

  #expire(which: "connect" | "first-byte"): void {
    this.expired = which;
    const err = new Error(`${which} timeout`);
    this.#error = err;
    this.#controller.abort(err);
    this.#rejectExpiry?.(err);
  }
}

function attemptTimers(parent: AbortSignal | undefined, connectMs: number | null, firstByteMs: number): AttemptTimers {
  return new AttemptTimers(parent, connectMs, firstByteMs);
}

/**
 * The caller's abort reaches the attempt's controller for as long as the request lives (a stream's body included).
 * The listener is made here so that it holds the controller alone, not the attempt's timers and promises.
 */
function forwardAbort(parent: AbortSignal | undefined, controller: AbortController): void {
  if (!parent) return;
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener("abort", () => controller.abort(parent.reason), { once: true });
}

function timeoutError(which: "connect" | "first-byte", limits: Limits): AttemptError {
  const message =
    which === "connect" ? `Bedrock did not accept the request within ${limits.connectMs} ms.` : `Bedrock did not answer within ${limits.firstByteMs} ms.`;
  return new AttemptError(new GatewayError({ status: 504, type: "timeout_error", code: "upstream_timeout", message }), "same");
}

/** The error of an aborted call: the client closed the request, or the graceful stop's drain deadline cut it. */
export function abortedError(signal?: AbortSignal): GatewayError {
  // Not the client: the server is stopping (gateway/in-flight.ts), and the request ends as `shutting_down`.
  if (signal?.reason instanceof GatewayError && signal.reason.code === "shutting_down") return signal.reason;
  return new GatewayError({
    status: 499,
    type: "invalid_request_error",
    code: "client_closed_request",
    message: "The client closed the request.",
    cause: signal?.reason,
  });
}

function redactUrl(url: string): string {
  return url.replace(/\/model\/[^/]+\//, "/model/…/");
}
