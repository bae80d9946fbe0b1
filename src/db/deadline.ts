/**
 * Bounded database calls and the one question every caller asks of a database error: is the database unavailable
 * (retry later, answer 503), or did it refuse what it was sent (retrying the same thing fails forever)?
 */

/** The database did not answer in time or could not be reached. Requests answer 503 `service_unavailable`. */
export class DatabaseUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DatabaseUnavailableError";
  }
}

/**
 * `work`, or a DatabaseUnavailableError after `ms` (or at once, when `work` fails because the database is
 * unavailable). postgres.js has no query timeout of its own, and a partitioned network leaves an open socket that
 * never answers; the call itself is not cancelled, only no longer waited for. Other failures pass unchanged.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseUnavailableError(`The database did not answer within ${ms} ms.`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } catch (err) {
    if (err instanceof DatabaseUnavailableError || !databaseUnavailable(err)) throw err;
    throw new DatabaseUnavailableError(`The database cannot be reached (${rootMessage(err)}).`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * SQLSTATE classes that say the database is unavailable or busy, not that the statement is wrong
 * (https://www.postgresql.org/docs/current/errcodes-appendix.html): connection exception, invalid authorization,
 * invalid catalog name, transaction rollback (serialization failure, deadlock), insufficient resources, object
 * not in prerequisite state (lock not available), operator intervention (shutdown, cancel), system error and
 * internal error.
 */
const UNAVAILABLE_CLASSES = new Set(["08", "28", "3D", "40", "53", "55", "57", "58", "XX"]);
/** read_only_sql_transaction: the server became a standby (a failover); the new primary will take the write. */
const UNAVAILABLE_CODES = new Set(["25006"]);

/**
 * True when the database refused the statement for what it holds (data exception, integrity constraint violation,
 * syntax or access rule, program limit, ...). Errors without an SQLSTATE from the server (refused or reset
 * connections, timeouts) are not refusals: the database is unavailable.
 */
export function refusedByDatabase(err: unknown): boolean {
  const state = sqlStateOf(err);
  if (state === null) return false;
  return !UNAVAILABLE_CLASSES.has(state.slice(0, 2)) && !UNAVAILABLE_CODES.has(state);
}

/** The other side of refusedByDatabase: the call may succeed later, unchanged. */
export function databaseUnavailable(err: unknown): boolean {
  return err instanceof DatabaseUnavailableError || !refusedByDatabase(err);
}

/**
 * The SQLSTATE of a server error, looked for along the `cause` chain (drizzle wraps driver errors). Server errors
 * carry a `severity` as well, in postgres.js and PGlite alike; socket errors such as `EPIPE` do not.
 */
export function sqlStateOf(err: unknown): string | null {
  let e = err as { code?: unknown; severity?: unknown; cause?: unknown } | null | undefined;
  for (let depth = 0; e && typeof e === "object" && depth < 5; depth++, e = e.cause as typeof e) {
    if (typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === "string") return e.code;
  }
  return null;
}

/** The driver's own message: drizzle's wrapper repeats the statement and all its parameters. */
export function rootMessage(err: unknown): string {
  let e = err;
  for (let depth = 0; e instanceof Error && e.cause instanceof Error && depth < 5; depth++) e = e.cause;
  return (e instanceof Error ? e.message : String(e)).slice(0, 500);
}

/** postgres.js `connect_timeout` (whole seconds) for a pool on the request path: no longer than the query deadline. */
export function connectTimeoutSeconds(queryTimeoutMs: number): number {
  return Math.max(1, Math.ceil(queryTimeoutMs / 1000));
}
