// One HTTP exchange with a credential endpoint: a short timeout per attempt and a bounded number of attempts,
// as the SDKs use for instance metadata, container endpoints and STS.
import { CredentialsError } from "./types";

export type Attempts = {
  /** What to call the endpoint in errors, e.g. "instance metadata". */
  what: string;
  timeoutMs: number;
  /** Total attempts (2 = one retry). */
  attempts: number;
  /** Whether an answer is worth another attempt; network errors and timeouts always are. */
  retryable?: (res: Response, body: string) => boolean;
  /** Pause before a retry. */
  backoffMs?: number;
};

export type Answer = { status: number; body: string; headers: Headers };

/** Sends `build()` (called again for each attempt, so signatures stay fresh) and reads the body as text. */
export async function exchange(fetchImpl: typeof fetch, build: () => Promise<Request> | Request, opts: Attempts): Promise<Answer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < opts.attempts; attempt++) {
    if (attempt > 0 && opts.backoffMs) await new Promise((r) => setTimeout(r, opts.backoffMs));
    const request = await build();
    try {
      const res = await fetchImpl(request, { signal: AbortSignal.timeout(opts.timeoutMs) });
      const body = await res.text();
      if (attempt + 1 < opts.attempts && (res.status >= 500 || opts.retryable?.(res, body))) {
        lastError = new CredentialsError(`${opts.what} answered ${res.status}`);
        continue;
      }
      return { status: res.status, body, headers: res.headers };
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError instanceof CredentialsError ? lastError : new CredentialsError(`${opts.what}: ${describeNetworkError(lastError, opts.timeoutMs)}`);
}

function describeNetworkError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } } | undefined;
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return `no answer within ${timeoutMs} ms`;
  const cause = e?.cause;
  if (cause?.code) return `unreachable (${cause.code})`;
  return cause?.message ?? e?.message ?? String(err);
}
