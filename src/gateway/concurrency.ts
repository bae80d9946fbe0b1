/**
 * How many requests run at once, per gateway instance and per caller (a key, or a JWT's user). A request past
 * either limit is refused at once, never queued: 503 with `retry-after` when the instance is full (another
 * instance can serve it), 429 when the caller holds its share. A slot is held until the request ends: a plain
 * request when its response is ready, a stream when it ends however it ends (its usage row is settled).
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { GatewayError } from "../errors";
import type { Logger } from "../logger";

export type ConcurrencyLimits = {
  /** Requests at once on this instance; 0: no limit. */
  instance: number;
  /** Requests at once per key (JWT callers: per user); 0: no limit. */
  perCaller: number;
};

export type Slot = { release(): void };
export type Refusal = { refused: "instance" | "caller" };

/** The counters, without HTTP: `acquire` takes a slot or says which limit is reached. */
export function createConcurrencyLimiter(limits: ConcurrencyLimits) {
  let total = 0;
  const byCaller = new Map<string, number>();
  return {
    acquire(caller: string): Slot | Refusal {
      if (limits.instance > 0 && total >= limits.instance) return { refused: "instance" };
      const held = byCaller.get(caller) ?? 0;
      if (limits.perCaller > 0 && held >= limits.perCaller) return { refused: "caller" };
      total++;
      byCaller.set(caller, held + 1);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          total--;
          const n = (byCaller.get(caller) ?? 1) - 1;
          if (n > 0) byCaller.set(caller, n);
          else byCaller.delete(caller);
        },
      };
    },
    get inFlight(): number {
      return total;
    },
    heldBy(caller: string): number {
      return byCaller.get(caller) ?? 0;
    },
  };
}

export type ConcurrencyLimiter = ReturnType<typeof createConcurrencyLimiter>;

export function concurrencyRefusal(refusal: Refusal, limits: ConcurrencyLimits): GatewayError {
  if (refusal.refused === "instance") {
    return new GatewayError({
      status: 503,
      type: "server_error",
      code: "gateway_at_capacity",
      message: `This gateway instance is serving its limit of ${limits.instance} concurrent requests. Retry shortly.`,
      retryAfter: 1,
    });
  }
  return GatewayError.rateLimited(
    `Your key already has ${limits.perCaller} requests in progress, its limit of concurrent requests. Wait for one to finish.`,
    1,
    "concurrency_limit_exceeded",
  );
}

/**
 * The middleware every door runs after authentication and the usage draft, so a refusal has its usage row
 * (`error`, 503 or 429) and its audit line, in the door's own error shape.
 */
export function concurrencyLimit(opts: { limiter: ConcurrencyLimiter; limits: ConcurrencyLimits; logger: Logger }): MiddlewareHandler<AppEnv> {
  let refusedAtCapacity = 0;
  return async function concurrencyLimit(c, next) {
    const who = c.get("identity");
    const slot = opts.limiter.acquire(who.keyId ? `key:${who.keyId}` : `user:${who.user}`);
    if ("refused" in slot) {
      const draft = c.get("usage");
      if (draft) draft.refusedBy = slot.refused === "instance" ? "concurrency:instance" : `concurrency:${who.keyId ? "key" : "user"}`;
      // One warning per burst, not one per refused request.
      if (slot.refused === "instance" && refusedAtCapacity++ % 1000 === 0) {
        opts.logger.warn("concurrency limit reached: refusing requests", { limit: opts.limits.instance, refused: refusedAtCapacity });
      }
      throw concurrencyRefusal(slot, opts.limits);
    }
    try {
      await next();
    } finally {
      const draft = c.get("usage");
      if (draft?.deferred && !draft.settled) {
        const after = draft.onSettled;
        draft.onSettled = () => {
          slot.release();
          after?.();
        };
      } else slot.release();
    }
  };
}
