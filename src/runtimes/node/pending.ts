import type { Logger } from "../../logger";

/** `waitUntil` for long-lived servers: tracks background work (usage rows) so shutdown can flush it. */
export function createPendingTracker(logger: Logger) {
  const pending = new Set<Promise<unknown>>();
  return {
    waitUntil(promise: Promise<unknown>): void {
      const tracked = promise.catch((err) => logger.error("background task failed", { error: err })).finally(() => pending.delete(tracked));
      pending.add(tracked);
    },
    get size(): number {
      return pending.size;
    },
    /** Resolves when all tracked work settled, or after `timeoutMs` (returns how many were still running). */
    async drain(timeoutMs: number): Promise<number> {
      const deadline = Date.now() + timeoutMs;
      while (pending.size > 0 && Date.now() < deadline) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([Promise.allSettled([...pending]), new Promise((r) => (timer = setTimeout(r, deadline - Date.now())))]);
        clearTimeout(timer);
      }
      return pending.size;
    },
  };
}
