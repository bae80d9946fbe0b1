import { describe, expect, it } from "vitest";
import { checkDatabaseUrl, classifyDatabaseError, maskDatabaseUrl, permanentDatabaseError } from "../../../../src/runtimes/node/database-errors";

/** The shape postgres.js gives a server error (PostgresError: message, code = SQLSTATE, severity). */
const pgError = (code: string, message: string) => Object.assign(new Error(message), { name: "PostgresError", code, severity: "FATAL" });
/** A socket error as Node raises it. */
const sysError = (code: string, message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), { code, ...extra });
/** Drizzle's wrapper around a driver error. */
const wrapped = (cause: Error) => new Error("Failed query: select 1\nparams: ", { cause });

describe("database start-up failures", () => {
  it.each([
    ["unknown database", pgError("3D000", 'database "gateway" does not exist'), 'database "gateway" does not exist (3D000)', /Create the database/],
    ["unknown role", pgError("28000", 'role "gateway" does not exist'), 'role "gateway" does not exist (28000)', /Create the role .* user name/],
    [
      "pg_hba refusal",
      pgError("28000", 'no pg_hba.conf entry for host "10.0.0.7", user "gateway", database "gateway", no encryption'),
      expect.stringContaining("no pg_hba.conf entry"),
      /pg_hba.conf, or add \?sslmode=require/,
    ],
    [
      "wrong password",
      pgError("28P01", 'password authentication failed for user "gateway"'),
      expect.stringContaining("password authentication failed"),
      /Correct the password/,
    ],
    [
      "no CONNECT privilege",
      pgError("42501", 'permission denied for database "gateway"'),
      expect.stringContaining("permission denied"),
      /Grant the user CONNECT/,
    ],
    [
      "unknown host",
      sysError("ENOTFOUND", "getaddrinfo ENOTFOUND db.internal", { hostname: "db.internal" }),
      "host db.internal not found (ENOTFOUND)",
      /host name/,
    ],
    [
      "untrusted certificate",
      sysError("SELF_SIGNED_CERT_IN_CHAIN", "self-signed certificate in certificate chain"),
      expect.stringContaining("TLS certificate"),
      /NODE_EXTRA_CA_CERTS/,
    ],
    ["wrapped by drizzle", wrapped(pgError("3D000", 'database "x" does not exist')), 'database "x" does not exist (3D000)', /Create the database/],
  ])("%s fails at once", (_name, err, problem, fix) => {
    const failure = classifyDatabaseError(err);
    expect(failure).toEqual({ kind: "permanent", problem, fix: expect.stringMatching(fix) });
  });

  it.each([
    ["connection refused", sysError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5432")],
    ["timed out", sysError("ETIMEDOUT", "connect ETIMEDOUT 10.0.0.5:5432")],
    ["host unreachable", sysError("EHOSTUNREACH", "connect EHOSTUNREACH 10.0.0.5:5432")],
    ["postgres.js connect timeout", sysError("CONNECT_TIMEOUT", "write CONNECT_TIMEOUT 10.0.0.5:5432")],
    ["server starting up", pgError("57P03", "the database system is starting up")],
    ["too many connections", pgError("53300", "sorry, too many clients already")],
    ["temporary DNS failure", sysError("EAI_AGAIN", "getaddrinfo EAI_AGAIN db")],
    ["wrapped refusal", wrapped(sysError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5432"))],
    ["something unknown", new Error("boom")],
  ])("%s is waited for", (_name, err) => {
    expect(classifyDatabaseError(err).kind).toBe("wait");
  });

  it("writes one line naming DATABASE_URL with the password masked", () => {
    const err = permanentDatabaseError("postgres://gateway:hunter2@db.internal:5432/gateway", {
      kind: "permanent",
      problem: 'role "gateway" does not exist (28000)',
      fix: "Create the role.",
    });
    expect(err.message).toBe('DATABASE_URL postgres://gateway:***@db.internal:5432/gateway: role "gateway" does not exist (28000). Create the role.');
    expect(err.message).not.toContain("\n");
  });
});

describe("DATABASE_URL checks", () => {
  it.each([
    ["postgres://u:p@127.0.0.1:5432/db"],
    ["postgresql://u@db.internal/db?sslmode=verify-full"],
    ["postgres://u@h1:5432,h2:5433/db"],
    ["POSTGRES://u@host/db"],
  ])("accepts %s", (url) => {
    expect(() => checkDatabaseUrl(url)).not.toThrow();
  });

  it.each([
    ["mysql://u:secret@127.0.0.1/db", undefined, /must start with postgres:\/\/ or postgresql:\/\/ \(got mysql:\/\/u:\*\*\*@127.0.0.1\/db\)/],
    ["db.internal:5432/gateway", undefined, /must start with postgres:\/\//],
    [
      "postgres://u:p%zz@127.0.0.1/db",
      new URIError("URI malformed"),
      /a % in it is not followed by two hexadecimal digits \(got postgres:\/\/u:\*\*\*@127.0.0.1\/db\)/,
    ],
    ["postgres://127.0.0.1:99999/db", new TypeError("Invalid URL"), /cannot be parsed as a URL \(got postgres:\/\/127.0.0.1:99999\/db\)/],
  ])("rejects %s", (url, parseError, message) => {
    expect(() => checkDatabaseUrl(url, parseError)).toThrow(message);
    expect(() => checkDatabaseUrl(url, parseError)).toThrow(/Use postgres:\/\/USER:PASSWORD@HOST:5432\/DATABASE/);
  });

  it.each([
    ["postgres://gateway:hunter2@db:5432/g", "postgres://gateway:***@db:5432/g"],
    ["postgres://gateway@db:5432/g", "postgres://gateway@db:5432/g"],
    ["postgres://db:5432/g", "postgres://db:5432/g"],
    // Unencoded @ / ? # in a password: everything up to the last @ is treated as the password.
    ["postgres://gateway:p@ss/w?rd#x@db:5432/g", "postgres://gateway:***@db:5432/g"],
    ["postgres://gateway@db/g?password=hunter2&sslmode=require", "postgres://gateway@db/g?password=***&sslmode=require"],
    ["hunter2", "a value that is not a URL (7 characters)"],
    ["", "a value that is not a URL (0 characters)"],
  ])("masks %s", (url, masked) => {
    expect(maskDatabaseUrl(url)).toBe(masked);
  });
});
