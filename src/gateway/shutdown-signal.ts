/**
 * How a graceful stop reaches the streams still open at its drain deadline: each relay registers while it runs
 * (and each door request while its handler waits for Bedrock, gateway/in-flight.ts), and the runtime's shutdown
 * ends them all at once, so each sends its door's error, cancels its Bedrock call and writes its row before the
 * connections are closed. A plain set rather than an AbortSignal: thousands
 * of open streams would each add a listener to one process-wide signal.
 */
export type ShutdownSignal = {
  /** True once the stop began ending streams: a stream or request that starts after it ends at once. */
  readonly requested: boolean;
  /** Calls `fn` when the stop ends open streams; the returned function unregisters (call it when the stream ends). */
  onShutdown(fn: () => void): () => void;
};

export type ShutdownTrigger = ShutdownSignal & {
  /** Ends every registered stream and request; returns how many there were. */
  trigger(): number;
  readonly open: number;
};

export function createShutdownSignal(): ShutdownTrigger {
  const listeners = new Set<() => void>();
  let requested = false;
  return {
    get requested() {
      return requested;
    },
    get open() {
      return listeners.size;
    },
    onShutdown(fn) {
      listeners.add(fn);
      return () => void listeners.delete(fn);
    },
    trigger() {
      requested = true;
      const all = [...listeners];
      listeners.clear();
      for (const fn of all) fn();
      return all.length;
    },
  };
}
