/**
 * One AbortSignal that aborts when any of `signals` does, with the first one's reason, and `dispose()` to let go
 * of them. Not AbortSignal.any: on Node 20 and 22 a composite signal that has an abort listener and is never
 * aborted is kept alive for as long as its sources are (nodejs/node#55328, #54614), about 2 KB a request, which
 * `npm run soak` measured as a heap that grew without end. Call `dispose()` once the work the signal guards is over.
 */
export type LinkedSignal = { signal: AbortSignal; dispose(): void };

export function linkedSignal(...signals: readonly (AbortSignal | null | undefined)[]): LinkedSignal {
  const controller = new AbortController();
  const sources = signals.filter((s): s is AbortSignal => s != null);
  const already = sources.find((s) => s.aborted);
  if (already) {
    controller.abort(already.reason);
    return { signal: controller.signal, dispose() {} };
  }
  const detach = () => {
    for (const [s, onAbort] of listeners) s.removeEventListener("abort", onAbort);
  };
  const listeners = sources.map((s) => {
    const onAbort = () => {
      detach();
      controller.abort(s.reason);
    };
    s.addEventListener("abort", onAbort, { once: true });
    return [s, onAbort] as const;
  });
  return { signal: controller.signal, dispose: detach };
}
