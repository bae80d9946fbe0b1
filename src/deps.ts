import type { AdmissionLeases } from "./db/admit";
import type { Config } from "./config";
import type { CatalogueSource } from "./models/source";
import type { Change } from "./db/notify";

export type ChangeFeed = { subscribe(onChange: (change: Change) => void): void };
import type { Db } from "./db/client";
import type { BedrockClient } from "./bedrock/client";
import type { Logger } from "./logger";
import type { Metrics } from "./metrics";
import type { ReasoningStore } from "./reasoning-store";
import type { ResolveRemoteImage } from "./translate/remote-images";
import type { UsageWriter } from "./usage/batch-writer";
import type { ShutdownSignal } from "./gateway/shutdown-signal";

export type Clock = { now(): number };
export type Ids = { requestId(): string; completionId(): string };

/** Every collaborator the app needs. Runtime entry points build it; tests pass real Postgres/PGlite and a simulator-backed client. */
export type Deps = {
  config: Config;
  /**
   * The process-wide database (Node, Bun). Absent where each request brings its own (Workers: a RequestScope in
   * Hono's env); request code never reads this field, only `c.var.scope` (see scopeOf).
   */
  db?: Db;
  bedrock: BedrockClient;
  /** The model catalogue: the `models` table, cached and reloaded when an admin changes it. */
  catalogue: CatalogueSource;
  /** Admin changes announced by the database (Postgres LISTEN/NOTIFY on Node and Bun); absent on Workers, whose caches expire instead. */
  changes?: ChangeFeed;
  clock: Clock;
  ids: Ids;
  /** Keeps work (usage rows) alive after the response: ExecutionContext.waitUntil on Workers, a tracked set on Node/Bun. */
  waitUntil(promise: Promise<unknown>): void;
  logger: Logger;
  reasoningStore: ReasoningStore;
  /** Batches usage rows on long-lived servers; without it each row is inserted on its own through waitUntil. */
  usageWriter?: UsageWriter;
  /**
   * Hex SHA-256 of an API key. Defaults to Web Crypto; Node passes node:crypto's synchronous hash, which skips
   * Web Crypto's thread-pool round trip on every request.
   */
  hashApiKey?: (key: string) => string | Promise<string>;
  /** Request counts, latencies, tokens and streams for operators (Prometheus on Node and Bun); absent: none kept. */
  metrics?: Metrics;
  /** The connection's peer address from Hono's `env`, where the runtime exposes it (for the audit line). */
  clientAddress?: (env: unknown) => string | null;
  /** Readiness checks for `/readyz` besides the database (Node, Bun: whether AWS credentials are loaded). */
  readiness?: { credentials?(): Promise<boolean> };
  /**
   * Fetches a client's `https://` image when ALLOW_REMOTE_IMAGES is on: public addresses only, connected to the
   * address it vetted, capped in size and time. Node and Bun pass one; Workers none (remote URLs then stay a 400).
   */
  fetchRemoteImage?: ResolveRemoteImage;
  /**
   * Raised by a graceful stop at its drain deadline (Node, Bun): each stream still open ends itself with its door's
   * error event and a `shutdown` row; each request still waiting for Bedrock has its call aborted and answers its
   * door's 503 `shutting_down` (gateway/in-flight.ts). Absent on Workers, whose runtime ends requests itself.
   */
  shutdown?: ShutdownSignal;
  /**
   * Resolves on the runtime's next turn of its event loop, once the I/O written so far has been handed to the
   * sockets (Node and Bun: setImmediate; node:http holds a response's writes until its current turn ends). The
   * stream relay waits for one after a stream's first content, so the first token leaves before the events queued
   * behind it are translated. Absent: a zero-delay timer.
   */
  nextTurn?: () => Promise<void>;
  /**
   * Admission leases of a long-lived instance (Node, Bun; ADMISSION_LEASE_MAX): a caller sending many requests is
   * admitted from room taken in advance, in memory (db/admit.ts). Absent on Workers: every admission is a statement.
   */
  admissionLeases?: AdmissionLeases;
};

/** What belongs to one request where the runtime cannot share it across requests (Workers: the database socket). */
export type RequestScope = { db: Db; waitUntil(promise: Promise<unknown>): void; usageWriter?: UsageWriter };

/** Key under which a runtime passes a RequestScope as Hono's `env` (`app.fetch(request, { [REQUEST_SCOPE]: scope })`). */
export const REQUEST_SCOPE = "bedrockGatewayRequestScope";

/** This request's scope: the runtime's per-request one if it passed one, else the process-wide deps. */
export function scopeOf(env: unknown, deps: Pick<Deps, "db" | "waitUntil" | "usageWriter">): RequestScope {
  const scope = (env as Record<string, RequestScope | undefined> | undefined)?.[REQUEST_SCOPE];
  if (scope) return scope;
  if (!deps.db) throw new Error("no database for this request: the runtime must pass a RequestScope");
  return { db: deps.db, waitUntil: deps.waitUntil, usageWriter: deps.usageWriter };
}

export const systemClock: Clock = { now: () => Date.now() };

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
// Random bytes are drawn from the CSPRNG a few kilobytes at a time and each byte is used once: one
// getRandomValues call per id cost more than the id itself (about 2.5% of the CPU under load).
const POOL_BYTES = 4096;
let pool = new Uint8Array(0);
let pooled = 0;

export function randomId(length: number): string {
  if (pooled + length > pool.length) {
    pool = crypto.getRandomValues(new Uint8Array(Math.max(POOL_BYTES, length)));
    pooled = 0;
  }
  let out = "";
  for (let i = pooled, end = pooled + length; i < end; i++) out += ALPHABET[pool[i]! % 62];
  pooled += length;
  return out;
}

export const randomIds: Ids = {
  requestId: () => `req_${randomId(24)}`,
  completionId: () => `chatcmpl-${randomId(29)}`,
};
