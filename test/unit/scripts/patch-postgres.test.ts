import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { COPIES, EDITS, MARKER, patchConnectionSource, patchPostgresPackage } from "../../../scripts/patch-postgres.mjs";
import { ROOT } from "../../support/gateway-process";

/** The three connection.js copies of postgres 3.4.9 as npm ships them (`.orig` keeps them out of biome and tsc). */
const FIXTURES = path.join(ROOT, "test/fixtures/postgres-3.4.9");
const pristine = (copy: string) => readFileSync(path.join(FIXTURES, `${copy}.orig`), "utf8");
const SCRIPT = path.join(ROOT, "scripts/patch-postgres.mjs");

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
/** A postgres package folder holding the pristine copies. */
function pristinePackage(version = "3.4.9"): string {
  const dir = mkdtempSync(path.join(tmpdir(), "patch-postgres-"));
  dirs.push(dir);
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "postgres", version }));
  for (const copy of COPIES) {
    mkdirSync(path.dirname(path.join(dir, copy)), { recursive: true });
    writeFileSync(path.join(dir, copy), pristine(copy));
  }
  return dir;
}
const run = (...args: string[]) => spawnSync(process.execPath, [SCRIPT, ...args], { encoding: "utf8" });

describe("scripts/patch-postgres.mjs", () => {
  it.each(COPIES)("patches the pristine %s: nextWrite settles without a socket, teardown forgets the deferred write", (copy) => {
    const original = pristine(copy);
    const { status, text } = patchConnectionSource(original);
    expect(status).toBe("patched");
    for (const edit of EDITS) {
      expect(original.split(edit.from)).toHaveLength(2);
      expect(text.split(edit.to)).toHaveLength(2);
      expect(text).not.toContain(edit.from);
    }
    expect(text).toMatch(
      /function nextWrite\(fn\) \{\n\s+if \(!socket\) \{[\s\S]*?error\(Errors\.connection\('CONNECTION_CLOSED', options\)\)\n\s+return false\n\s+\}\n\s+const x = socket\.write\(chunk, fn\)/,
    );
    // Both teardown paths: the cancelled immediate and the buffered chunk are forgotten.
    expect(text).toMatch(/function terminate\(\) \{[\s\S]*?clearImmediate\(nextWriteTimer\)\n\s+nextWriteTimer = chunk = null/);
    expect(text).toMatch(/async function closed\(hadError\) \{[\s\S]*?clearImmediate\(nextWriteTimer\)\n\s+nextWriteTimer = chunk = null/);
    // Nothing else changes.
    expect(text.replace(/\n +if \(!socket\) \{[\s\S]*?return false\n +\}/, "").replaceAll(`\n    nextWriteTimer = chunk = null // ${MARKER}`, "")).toBe(
      original,
    );
  });

  it.each(COPIES)("leaves an already-patched %s alone", (copy) => {
    const once = patchConnectionSource(pristine(copy)).text;
    expect(patchConnectionSource(once)).toEqual({ status: "already-patched", text: once });
  });

  it.each(COPIES)("the patched %s still parses", (copy) => {
    const dir = mkdtempSync(path.join(tmpdir(), "patch-postgres-parse-"));
    dirs.push(dir);
    const file = path.join(dir, copy.startsWith("cjs/") ? "connection.cjs" : "connection.mjs");
    writeFileSync(file, patchConnectionSource(pristine(copy)).text);
    const r = spawnSync(process.execPath, ["--check", file], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("refuses a connection.js it does not know (another version, or half patched)", () => {
    const original = pristine("src/connection.js");
    const changed = original.replace("const x = socket.write(chunk, fn)", "const x = socket && socket.write(chunk, fn)");
    expect(() => patchConnectionSource(changed, "postgres 3.5.0 src/connection.js")).toThrow(
      /postgres 3\.5\.0 src\/connection\.js: not the postgres 3\.4\.9 text this patch knows: nextWrite settles when the socket is gone \(original text found 0×, patched 0×\)/,
    );
    const half = original.replace(EDITS[0].from, EDITS[0].to);
    expect(() => patchConnectionSource(half)).toThrow(/terminate\(\) forgets the deferred write \(original text found 1×, patched 0×\)/);
    expect(() => patchConnectionSource("")).toThrow(/not the postgres 3\.4\.9 text/);
  });

  it("patches a package's three copies once, prints one line, then recognises them", () => {
    const dir = pristinePackage();
    const first = run(dir);
    expect(first.status).toBe(0);
    expect(first.stdout.trim().split("\n")).toEqual([
      "patch-postgres: postgres 3.4.9 nextWrite guard (porsager/postgres#1208): applied to 3 of 3 copies (src/connection.js, cjs/src/connection.js, cf/src/connection.js)",
    ]);
    for (const copy of COPIES) expect(readFileSync(path.join(dir, copy), "utf8")).toBe(patchConnectionSource(pristine(copy)).text);
    const second = run(dir);
    expect(second.status).toBe(0);
    expect(second.stdout.trim().split("\n")).toHaveLength(1);
    expect(second.stdout).toContain("already applied");
    expect(patchPostgresPackage(dir).results.every((r) => r.status === "already-patched")).toBe(true);
  });

  it("fails loudly on another postgres release and writes none of its copies", () => {
    const dir = pristinePackage("3.5.0");
    const cf = path.join(dir, "cf/src/connection.js");
    writeFileSync(cf, readFileSync(cf, "utf8").replace("    clearImmediate(nextWriteTimer)\n    if (socket) {", "    if (socket) {"));
    const r = run(dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^patch-postgres: FAILED: postgres 3\.5\.0 cf\/src\/connection\.js: not the postgres 3\.4\.9 text/);
    expect(r.stderr).toContain("not patched against the nextWrite null-socket crash");
    for (const copy of ["src/connection.js", "cjs/src/connection.js"]) expect(readFileSync(path.join(dir, copy), "utf8")).toBe(pristine(copy));
  });

  it("fails loudly when there is no postgres package", () => {
    const r = run(path.join(tmpdir(), "no-such-postgres-package"));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^patch-postgres: FAILED: no postgres package at /);
  });

  it("the installed postgres is patched, every copy the runtimes load (npm install runs it as postinstall)", () => {
    const dir = path.join(ROOT, "node_modules/postgres");
    const version = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).version;
    for (const copy of COPIES) {
      expect(patchConnectionSource(readFileSync(path.join(dir, copy), "utf8"), `postgres ${version} ${copy}`).status, copy).toBe("already-patched");
    }
  });

  it("the fixtures are the copies postgres 3.4.9 ships (same text once patched as the installed ones)", () => {
    const dir = path.join(ROOT, "node_modules/postgres");
    for (const copy of COPIES) expect(patchConnectionSource(pristine(copy)).text).toBe(readFileSync(path.join(dir, copy), "utf8"));
  });
});
