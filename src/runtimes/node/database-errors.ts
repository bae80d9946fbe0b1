// Database failures at start, sorted into what waiting can fix (the server is not up yet) and what only the
// operator can (a malformed DATABASE_URL, a database or role that does not exist, a wrong password). The latter
// fail at once with one line naming DATABASE_URL, its password masked, and what to change.

/** A problem with DATABASE_URL itself or what it names: waiting will not fix it. */
export class DatabaseUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DatabaseUrlError";
  }
}

export type DatabaseFailure = { kind: "wait"; reason: string } | { kind: "permanent"; problem: string; fix: string };

const TLS_CODES = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/**
 * Sorts a connection failure (postgres.js or a socket error, possibly wrapped by drizzle). SQLSTATE codes are
 * PostgreSQL's (https://www.postgresql.org/docs/current/errcodes-appendix.html). Everything not listed here is
 * waited for: a server not up yet (ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH, 57P03 cannot_connect_now, …).
 */
export function classifyDatabaseError(err: unknown): DatabaseFailure {
  const e = rootCause(err) as { code?: string; message?: string; hostname?: string } | undefined;
  const code = typeof e?.code === "string" ? e.code : "";
  const message = e?.message ?? String(err);
  const withCode = code && !message.includes(code) ? `${message} (${code})` : message;
  switch (code) {
    case "3D000":
      return { kind: "permanent", problem: withCode, fix: "Create the database or correct its name in DATABASE_URL." };
    case "28000":
      return /role .* does not exist/.test(message)
        ? { kind: "permanent", problem: withCode, fix: "Create the role (CREATE ROLE … LOGIN) or correct the user name in DATABASE_URL." }
        : {
            kind: "permanent",
            problem: withCode,
            fix: "Allow this client in the server's pg_hba.conf, or add ?sslmode=require if the server accepts only TLS connections.",
          };
    case "28P01":
      return { kind: "permanent", problem: withCode, fix: "Correct the password in DATABASE_URL (percent-encode @ : / ? # in it)." };
    case "42501":
      return { kind: "permanent", problem: withCode, fix: "Grant the user CONNECT on the database." };
    case "ENOTFOUND":
      return { kind: "permanent", problem: `host ${e?.hostname ?? "in DATABASE_URL"} not found (ENOTFOUND)`, fix: "Correct the host name in DATABASE_URL." };
    case "AUTH_TYPE_NOT_IMPLEMENTED":
      return { kind: "permanent", problem: withCode, fix: "Use password, md5 or scram-sha-256 authentication for this user." };
  }
  if (TLS_CODES.has(code)) {
    return {
      kind: "permanent",
      problem: `the server's TLS certificate is not trusted (${code})`,
      fix: "Point NODE_EXTRA_CA_CERTS at the CA bundle that signed it (for RDS, Amazon's RDS CA bundle), or use sslmode=require to encrypt without verifying.",
    };
  }
  return { kind: "wait", reason: withCode };
}

/** One line for a permanent failure: `DATABASE_URL <masked>: <problem>. <fix>` */
export function permanentDatabaseError(url: string, failure: Extract<DatabaseFailure, { kind: "permanent" }>): DatabaseUrlError {
  return new DatabaseUrlError(`DATABASE_URL ${maskDatabaseUrl(url)}: ${failure.problem.replace(/\.$/, "")}. ${failure.fix}`);
}

/** Fails at once for a URL postgres.js cannot use; `parseError` is what its parser threw, if anything. */
export function checkDatabaseUrl(url: string, parseError?: unknown): void {
  const trimmed = url.trim();
  let problem: string | undefined;
  if (parseError instanceof URIError) problem = "a % in it is not followed by two hexadecimal digits";
  else if (parseError !== undefined) problem = "it cannot be parsed as a URL";
  else if (!/^postgres(ql)?:\/\//i.test(trimmed)) problem = "it must start with postgres:// or postgresql://";
  if (problem === undefined) return;
  throw new DatabaseUrlError(
    `DATABASE_URL is not a valid PostgreSQL URL: ${problem} (got ${maskDatabaseUrl(trimmed)}). Use postgres://USER:PASSWORD@HOST:5432/DATABASE, with special characters in the password percent-encoded.`,
  );
}

/**
 * The URL fit to print: the password (between the first `:` of the user part and the last `@`) and any
 * `password=` parameter become `***`. A value that is not a URL at all is not echoed: it may be a bare secret.
 */
export function maskDatabaseUrl(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([\s\S]*)$/i.exec(url.trim());
  if (!m) return `a value that is not a URL (${url.trim().length} characters)`;
  let body = m[2]!;
  const at = body.lastIndexOf("@");
  if (at >= 0) {
    const colon = body.slice(0, at).indexOf(":");
    if (colon >= 0) body = `${body.slice(0, colon)}:***${body.slice(at)}`;
  }
  return m[1] + body.replace(/([?&]password=)[^&#]*/gi, "$1***");
}

function rootCause(err: unknown): unknown {
  let e = err;
  // Drizzle wraps driver errors ("Failed query: …"); the driver's error with its code is the useful one.
  while (e instanceof Error && e.cause && !(e as { code?: unknown }).code) e = e.cause;
  return e;
}
