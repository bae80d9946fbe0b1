// Patches postgres.js (3.4.9) against a crash during database outages: a write smaller than 1 KiB is deferred to
// setImmediate(nextWrite); when the socket closes first, closed() sets `socket = null` and the deferred write (or any
// later write on that connection, e.g. a reserved connection's or a transaction's next query) calls `socket.write`
// on null from a timer callback: an uncaughtException, and the process exits. Upstream: porsager/postgres#1208,
// #1154, #1066 (open), fixes proposed in PRs #1209, #1168, #1176. This applies #1209's approach:
//   - nextWrite() with no socket settles instead of throwing: the connection's error() path rejects the pending
//     queries with CONNECTION_CLOSED (catchable); dropping the write alone would leave its caller waiting forever.
//   - terminate() and closed() forget the cancelled immediate and the buffered chunk, so a reconnected connection
//     schedules its writes again instead of waiting on a timer that will never run.
// Every copy the runtimes load is patched: src/ (Node and Bun, ESM), cjs/src/ (require) and cf/src/ (workerd; wrangler
// bundles it). The exact original text must match: another postgres version fails here, loudly, instead of
// shipping unpatched. Idempotent: an already-patched copy is recognised and left alone.
//   node scripts/patch-postgres.mjs [path/to/node_modules/postgres]     prints one line; exit 1 on any mismatch
// Runs as the `postinstall` script and explicitly in the Dockerfile (which installs with --ignore-scripts).
// Remove it once a postgres release guards nextWrite (check the issues above), with the fixtures under
// test/fixtures/postgres-3.4.9/ and test/unit/scripts/patch-postgres.test.ts.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const PATCHED_VERSION = "3.4.9";
export const COPIES = ["src/connection.js", "cjs/src/connection.js", "cf/src/connection.js"];
export const MARKER = "bedrock-gateway patch (porsager/postgres#1208)";

/** Each edit's original text must occur exactly once; its replacement marks the copy as patched. */
export const EDITS = [
  {
    name: "nextWrite settles when the socket is gone",
    from: `  function nextWrite(fn) {
    const x = socket.write(chunk, fn)
`,
    to: `  function nextWrite(fn) {
    if (!socket) {
      // ${MARKER}: the socket closed after this write was buffered. Reject the
      // pending queries (CONNECTION_CLOSED, catchable) instead of throwing from a timer callback.
      nextWriteTimer !== null && clearImmediate(nextWriteTimer)
      chunk = nextWriteTimer = null
      error(Errors.connection('CONNECTION_CLOSED', options))
      return false
    }
    const x = socket.write(chunk, fn)
`,
  },
  {
    name: "terminate() forgets the deferred write",
    from: `    clearImmediate(nextWriteTimer)
    if (socket) {
`,
    to: `    clearImmediate(nextWriteTimer)
    nextWriteTimer = chunk = null // ${MARKER}
    if (socket) {
`,
  },
  {
    name: "closed() forgets the deferred write",
    from: `    incomings = null
    clearImmediate(nextWriteTimer)
    socket.removeListener('data', data)
`,
    to: `    incomings = null
    clearImmediate(nextWriteTimer)
    nextWriteTimer = chunk = null // ${MARKER}
    socket.removeListener('data', data)
`,
  },
];

const count = (text, part) => text.split(part).length - 1;

/**
 * Patches one connection.js's text. Returns `{ status: "patched" | "already-patched", text }`; throws when the text
 * is neither the known original nor the patched form (another postgres version, or an edited file).
 */
export function patchConnectionSource(text, label = "connection.js") {
  const state = EDITS.map((e) => ({ edit: e, original: count(text, e.from), patched: count(text, e.to) }));
  if (state.every((s) => s.patched === 1 && s.original === 0)) return { status: "already-patched", text };
  if (!state.every((s) => s.original === 1 && s.patched === 0)) {
    const what = state.map((s) => `${s.edit.name} (original text found ${s.original}×, patched ${s.patched}×)`).join("; ");
    throw new Error(`${label}: not the postgres ${PATCHED_VERSION} text this patch knows: ${what}`);
  }
  let out = text;
  for (const { from, to } of EDITS) out = out.replace(from, () => to);
  return { status: "patched", text: out };
}

/** Patches the three copies in a postgres package folder. Returns the per-copy status; throws before writing any. */
export function patchPostgresPackage(dir) {
  let version = "unknown";
  try {
    version = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).version;
  } catch (err) {
    throw new Error(`no postgres package at ${dir}: ${err instanceof Error ? err.message : err}`);
  }
  const results = COPIES.map((copy) => {
    const file = path.join(dir, copy);
    const { status, text } = patchConnectionSource(readFileSync(file, "utf8"), `postgres ${version} ${copy}`);
    return { copy, file, status, text };
  });
  for (const r of results) if (r.status === "patched") writeFileSync(r.file, r.text);
  return { version, results: results.map(({ copy, status }) => ({ copy, status })) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
  const dir = path.resolve(process.argv[2] ?? path.join(root, "node_modules", "postgres"));
  try {
    const { version, results } = patchPostgresPackage(dir);
    const patched = results.filter((r) => r.status === "patched").length;
    console.log(
      `patch-postgres: postgres ${version} nextWrite guard (porsager/postgres#1208): ${
        patched === 0 ? "already applied" : `applied to ${patched} of ${results.length} copies`
      } (${results.map((r) => r.copy).join(", ")})`,
    );
  } catch (err) {
    console.error(
      `patch-postgres: FAILED: ${err instanceof Error ? err.message : err}\n` +
        "  postgres.js is not patched against the nextWrite null-socket crash (porsager/postgres#1208). If postgres was\n" +
        "  upgraded, check whether the new release fixes it (then delete this script and its postinstall/Dockerfile\n" +
        "  steps) or update the edits in scripts/patch-postgres.mjs and the fixtures in test/fixtures/.",
    );
    process.exit(1);
  }
}
