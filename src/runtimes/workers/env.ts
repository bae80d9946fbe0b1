/**
 * The Worker's bindings and the slice of the Workers runtime API this project uses. Declared here rather than
 * through @cloudflare/workers-types, whose global declarations clash with the DOM and Node types the rest of
 * the project compiles against.
 */

/** A Hyperdrive binding: a pooled, regional route to Postgres. */
export type HyperdriveBinding = { readonly connectionString: string };

/** Settings arrive as [vars] (wrangler.toml) and secrets (`wrangler secret put`), all strings. */
export type WorkerEnv = {
  HYPERDRIVE?: HyperdriveBinding;
  /** Used only when there is no HYPERDRIVE binding (e.g. a Postgres reachable over the public internet). */
  DATABASE_URL?: string;
  [name: string]: unknown;
};

export type ExecutionContext = {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
};
