/**
 * Bedrock Runtime over aws4fetch: signs with SigV4 (service `bedrock`), sends with an injected fetch,
 * retries transient failures before the first byte only, and turns every failure into a GatewayError.
 */
import { AwsClient } from "aws4fetch";
import { GatewayError } from "../errors";
import type { Logger } from "../logger";
import { mapBedrockErrorType } from "./error-map";
import { createEventStreamDecoder, type DecodedItem } from "./event-stream";
import type { ConverseRequest, ConverseResponse, ConverseStreamEvent } from "./converse-types";

export type BedrockClient = {
  converse(modelId: string, body: ConverseRequest, signal?: AbortSignal): Promise<ConverseResponse>;
  /** Resolves once Bedrock answered 200; the stream yields decoded events and errors with a GatewayError on exception frames. */
  converseStream(modelId: string, body: ConverseRequest, signal?: AbortSignal): Promise<ReadableStream<ConverseStreamEvent>>;
  invokeModel(modelId: string, body: unknown, signal?: AbortSignal): Promise<{ body: unknown; inputTokens: number | null }>;
  listFoundationModels(signal?: AbortSignal): Promise<FoundationModelSummary[]>;
  listInferenceProfiles(signal?: AbortSignal): Promise<InferenceProfileSummary[]>;
};

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
  region: string;
  runtimeEndpoint: string;
  controlEndpoint: string;
  credentials: CredentialsProvider;
  fetch: typeof fetch;
  logger: Logger;
  /** Time allowed until response headers arrive. */
  timeoutMs: number;
  /** Longest gap between stream chunks. */
  idleTimeoutMs: number;
  retries: number;
  /** Backoff before retry n (0-based); injectable so tests need not wait. */
  backoffMs?: (attempt: number) => number;
};

export function createBedrockClient(opts: BedrockClientOptions): BedrockClient {
  let signer: { key: string; client: AwsClient } | null = null;
  const backoff = opts.backoffMs ?? ((n: number) => Math.min(2000, 100 * 2 ** n) * (0.5 + Math.random() / 2));

  async function awsClient(): Promise<AwsClient> {
    const c = await opts.credentials();
    if (!c.accessKeyId || !c.secretAccessKey) {
      throw GatewayError.upstream("The gateway has no AWS credentials configured.", "upstream_auth_failed");
    }
    const key = `${c.accessKeyId}\0${c.secretAccessKey}\0${c.sessionToken ?? ""}`;
    // One AwsClient per identity: it caches the derived signing key for the day.
    if (!signer || signer.key !== key) {
      signer = { key, client: new AwsClient({ ...c, service: "bedrock", region: opts.region, retries: 0 }) };
    }
    return signer.client;
  }

  /** Sends one signed request, retrying retryable failures; resolves with the 200 response. */
  async function send(url: string, init: { method: string; body?: string; accept: string }, signal?: AbortSignal): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const aws = await awsClient();
      const headers: Record<string, string> = { accept: init.accept };
      if (init.body !== undefined) headers["content-type"] = "application/json";
      const request = await aws.sign(url, { method: init.method, headers, body: init.body });
      const deadline = linkedAbort(signal, opts.timeoutMs);
      let res: Response;
      try {
        res = await opts.fetch(request, { signal: deadline.signal });
      } catch (err) {
        deadline.clear();
        if (signal?.aborted) throw abortedError(signal);
        const failure = deadline.timedOut
          ? new GatewayError({ status: 504, type: "timeout_error", code: "upstream_timeout", message: `Bedrock did not answer within ${opts.timeoutMs} ms.` })
          : GatewayError.upstream("Bedrock could not be reached.", "upstream_unavailable");
        opts.logger.warn("bedrock request failed", { url: redactUrl(url), attempt, error: String(err) });
        if (attempt < opts.retries && !deadline.timedOut) {
          await sleep(backoff(attempt), signal);
          continue;
        }
        throw failure;
      }
      deadline.clear();
      if (res.ok) return res;

      const { errorType, message } = await readError(res);
      const mapping = mapBedrockErrorType(errorType, res.status);
      if (mapping.code === "upstream_auth_failed") {
        opts.logger.error("bedrock rejected the gateway's credentials", { status: res.status, errorType, message });
      }
      if (mapping.retryable && attempt < opts.retries) {
        opts.logger.info("retrying bedrock request", { status: res.status, errorType, attempt });
        await sleep(backoff(attempt), signal);
        continue;
      }
      throw GatewayError.fromBedrock(res.status, errorType, message);
    }
  }

  const modelUrl = (modelId: string, op: string) => `${opts.runtimeEndpoint}/model/${encodeURIComponent(modelId)}/${op}`;

  return {
    async converse(modelId, body, signal) {
      const res = await send(modelUrl(modelId, "converse"), { method: "POST", body: JSON.stringify(body), accept: "application/json" }, signal);
      return (await readJson(res)) as ConverseResponse;
    },

    async converseStream(modelId, body, signal) {
      const res = await send(
        modelUrl(modelId, "converse-stream"),
        { method: "POST", body: JSON.stringify(body), accept: "application/vnd.amazon.eventstream" },
        signal,
      );
      if (!res.body) throw GatewayError.upstream("Bedrock answered the stream request without a body.", "upstream_invalid_response");
      return withIdleTimeout(res.body.pipeThrough(createEventStreamDecoder()), opts.idleTimeoutMs);
    },

    async invokeModel(modelId, body, signal) {
      const res = await send(modelUrl(modelId, "invoke"), { method: "POST", body: JSON.stringify(body), accept: "application/json" }, signal);
      const count = res.headers.get("x-amzn-bedrock-input-token-count");
      return { body: await readJson(res), inputTokens: count === null ? null : Number(count) };
    },

    async listFoundationModels(signal) {
      const res = await send(`${opts.controlEndpoint}/foundation-models`, { method: "GET", accept: "application/json" }, signal);
      const json = (await readJson(res)) as { modelSummaries?: FoundationModelSummary[] };
      return Array.isArray(json.modelSummaries) ? json.modelSummaries : [];
    },

    async listInferenceProfiles(signal) {
      const res = await send(`${opts.controlEndpoint}/inference-profiles?maxResults=1000`, { method: "GET", accept: "application/json" }, signal);
      const json = (await readJson(res)) as { inferenceProfileSummaries?: InferenceProfileSummary[] };
      return Array.isArray(json.inferenceProfileSummaries) ? json.inferenceProfileSummaries : [];
    },
  };
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw GatewayError.upstream("Bedrock returned a response that is not JSON.", "upstream_invalid_response");
  }
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
 * The consumer-facing event stream: one event per pull (so nothing sits in a queue when an error arrives),
 * the decoder's in-band error turned into a stream error, and a GatewayError when no chunk arrives for
 * `idleMs`. Cancelling it cancels the upstream body, which aborts the Bedrock request.
 */
function withIdleTimeout(source: ReadableStream<DecodedItem>, idleMs: number): ReadableStream<ConverseStreamEvent> {
  const reader = source.getReader();
  return new ReadableStream<ConverseStreamEvent>(
    {
      async pull(controller) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const idle = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new GatewayError({ status: 504, type: "timeout_error", code: "upstream_timeout", message: `Bedrock sent nothing for ${idleMs} ms.` })),
            idleMs,
          );
        });
        try {
          const r = await Promise.race([reader.read(), idle]);
          if (r.done) controller.close();
          else if (r.value.type === "error") throw r.value.error;
          else controller.enqueue(r.value);
        } catch (err) {
          reader.cancel(err).catch(() => {});
          controller.error(err);
        } finally {
          clearTimeout(timer);
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

function linkedAbort(parent: AbortSignal | undefined, timeoutMs: number) {
  const controller = new AbortController();
  const state = { signal: controller.signal, timedOut: false, clear: () => {} };
  const onAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener("abort", onAbort, { once: true });
  const timer = setTimeout(() => {
    state.timedOut = true;
    controller.abort(new Error("timeout"));
  }, timeoutMs);
  // Only the header deadline is cleared: the client's abort must still reach the body while it streams.
  state.clear = () => clearTimeout(timer);
  return state;
}

export function abortedError(signal?: AbortSignal): GatewayError {
  return new GatewayError({
    status: 499,
    type: "invalid_request_error",
    code: "client_closed_request",
    message: "The client closed the request.",
    cause: signal?.reason,
  });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError(signal));
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(abortedError(signal));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function redactUrl(url: string): string {
  return url.replace(/\/model\/[^/]+\//, "/model/…/");
}
