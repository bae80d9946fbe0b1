// Replays the Dockerfile without Docker (no engine, no base images here): each stage gets a folder standing for
// its filesystem, COPY copies from the build context or an earlier stage, RUN runs the commands it knows, and
// the final stage's CMD is started with the image's ENV. Then it checks the running gateway: /healthz, the
// image's HEALTHCHECK command, /v1/models without a key (401), a clean exit 0 on SIGTERM, and that the image's
// postgres.js is the patched one (scripts/patch-postgres.mjs; the Dockerfile installs with --ignore-scripts).
//   node scripts/docker-mirror.mjs [--database-url URL] [--fresh-build-install] [--keep]
// Prints one JSON summary line on stdout; exit 0 when every check passed.
//
// Differences from a real build, on purpose:
//   - `npm ci` in a non-final stage links the project's own node_modules (same lockfile) unless
//     --fresh-build-install is given: a fresh dev install takes minutes. The final stage's `npm ci --omit=dev`
//     always runs for real: proving the production install is enough is the point.
//   - USER is recorded, not switched to; chown is skipped; the node binary is this machine's.
//   - RUN accepts only the commands below; a new kind of RUN step must be taught here first.
//   - `node scripts/patch-postgres.mjs` runs for real on the stage's node_modules; in a linked build stage that is
//     the project's own (already patched by its postinstall, so it only reports "already applied").
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseDockerfile, stagesOf } from "./dockerfile-lint.mjs";
import { COPIES as POSTGRES_COPIES, patchConnectionSource } from "./patch-postgres.mjs";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const argv = process.argv.slice(2);
const option = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const databaseUrl = option("--database-url") ?? process.env.DATABASE_URL;
const freshBuildInstall = argv.includes("--fresh-build-install");
const keep = argv.includes("--keep");

const _log = (msg) => process.stderr.write(`docker-mirror: ${msg}\n`);
const work = mkdtempSync(path.join(tmpdir(), "bedrock-gateway-docker-mirror-"));
const summary = { ok: false, workDir: work, steps: [], checks: {}, timingsMs: {} };

try {
  await mirror();
  summary.ok = Object.values(summary.checks).every((c) => c.ok);
} catch (err) {
  summary.error = err instanceof Error ? err.message : String(err);
} finally {
  if (!keep) rmSync(work, { recursive: true, force: true });
  console.log(JSON.stringify(summary));
  process.exitCode = summary.ok ? 0 : 1;
}

async function mirror() {
  const stages = stagesOf(parseDockerfile(readFileSync(path.join(root, "Dockerfile"), "utf8")));
  const ignored = dockerignore();
  const fs = new Map();
  let final;
  for (const [index, stage] of stages.entries()) {
    const isFinal = index === stages.length - 1;
    const state = {
      name: stage.name,
      dir: path.join(work, `stage-${stage.name}`),
      workdir: "/",
      env: {},
      user: "root",
      cmd: null,
      healthcheck: null,
      exposed: [],
    };
    mkdirSync(state.dir, { recursive: true });
    fs.set(stage.name, state);
    const started = Date.now();
    for (const ins of stage.instructions) await apply(ins, state, { fs, ignored, isFinal });
    summary.timingsMs[`stage ${stage.name}`] = Date.now() - started;
    final = state;
  }
  await runImage(final);
}

/** Maps a path inside a stage's filesystem to the folder standing for it. */
function inStage(state, p) {
  const absolute = path.posix.isAbsolute(p) ? p : path.posix.join(state.workdir, p);
  return path.join(state.dir, absolute);
}

async function apply(ins, state, ctx) {
  const step = `${state.name}:${ins.line} ${ins.keyword} ${ins.args}`.slice(0, 200);
  summary.steps.push(step);
  switch (ins.keyword) {
    case "ENV":
      Object.assign(state.env, parseEnv(ins.args));
      return;
    case "WORKDIR":
      state.workdir = path.posix.resolve(state.workdir, ins.args);
      mkdirSync(inStage(state, "."), { recursive: true });
      return;
    case "COPY":
      return copy(ins, state, ctx);
    case "RUN":
      return run(ins.args, state, ctx);
    case "USER":
      state.user = ins.args;
      return;
    case "EXPOSE":
      state.exposed.push(...ins.args.split(/\s+/));
      return;
    case "VOLUME":
      for (const v of ins.json ?? ins.args.split(/\s+/)) mkdirSync(inStage(state, v), { recursive: true });
      return;
    case "HEALTHCHECK": {
      const m = /^CMD\s+(\[.*\])$/s.exec(ins.args);
      if (!m) throw new Error(`line ${ins.line}: HEALTHCHECK must use CMD in exec form`);
      state.healthcheck = JSON.parse(m[1]);
      return;
    }
    case "CMD":
      if (!ins.json) throw new Error(`line ${ins.line}: CMD must use the exec form`);
      state.cmd = ins.json;
      return;
    case "LABEL":
    case "ARG":
    case "STOPSIGNAL":
      return;
    default:
      throw new Error(`line ${ins.line}: the mirror does not handle ${ins.keyword}`);
  }
}

function copy(ins, state, { fs, ignored }) {
  const parts = ins.json ?? ins.args.split(/\s+/);
  const dest = parts.pop();
  const from = ins.flags.from;
  const source = from ? fs.get(from) : null;
  if (from && !source) throw new Error(`line ${ins.line}: unknown stage ${from}`);
  const intoDir = dest.endsWith("/") || parts.length > 1;
  const target = inStage(state, dest);
  for (const src of parts) {
    let origin;
    if (source) origin = inStage(source, src);
    else {
      const top = src.replace(/^\.\//, "").split("/")[0];
      if (ignored.has(top)) throw new Error(`line ${ins.line}: ${src} is excluded by .dockerignore`);
      origin = path.join(root, src);
    }
    if (!existsSync(origin)) throw new Error(`line ${ins.line}: COPY source ${src} does not exist`);
    const isDir = statSync(origin).isDirectory();
    // Docker copies a folder's contents (not the folder) into the destination.
    const to = isDir || !intoDir ? target : path.join(target, path.basename(src));
    mkdirSync(isDir ? to : path.dirname(to), { recursive: true });
    cpSync(origin, to, { recursive: true });
  }
}

/** RUN, for the commands the Dockerfile uses: npm, node (the postgres patch, a script), mkdir -p, chown (skipped), joined with &&. */
function run(command, state, { isFinal }) {
  for (const part of command.split("&&").map((s) => s.trim())) {
    const words = part.split(/\s+/);
    const cwd = inStage(state, ".");
    if (words[0] === "mkdir") {
      for (const p of words.slice(1).filter((w) => !w.startsWith("-"))) mkdirSync(inStage(state, p), { recursive: true });
    } else if (words[0] === "chown") {
      // No `node` user on this machine: ownership is checked only in a real build.
    } else if (words[0] === "npm" && words[1] === "ci" && !isFinal && !freshBuildInstall) {
      symlinkSync(path.join(root, "node_modules"), path.join(cwd, "node_modules"), "dir");
    } else if (words[0] === "node" && words[1] === "scripts/patch-postgres.mjs") {
      // The postinstall step `npm ci --ignore-scripts` skipped: patches the stage's postgres.js, one line out.
      if (words.length !== 2) throw new Error(`RUN ${part}: scripts/patch-postgres.mjs takes no arguments in the image`);
      const r = spawnSync(process.execPath, [words[1]], { cwd, env: { ...baseEnv(), ...state.env }, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
      if (r.status !== 0) throw new Error(`RUN ${part} failed (${r.status}):\n${(r.stdout + r.stderr).slice(-3000)}`);
      (summary.postgresPatch ??= []).push(`${state.name}: ${r.stdout.trim()}`);
    } else if (words[0] === "npm" || words[0] === "node") {
      const started = Date.now();
      const r = spawnSync(words[0] === "node" ? process.execPath : "npm", words.slice(1), {
        cwd,
        env: { ...baseEnv(), ...state.env },
        stdio: ["ignore", "pipe", "pipe"],
        encoding: "utf8",
      });
      summary.timingsMs[`${state.name}: ${part}`] = Date.now() - started;
      if (r.status !== 0) throw new Error(`RUN ${part} failed (${r.status}):\n${(r.stdout + r.stderr).slice(-3000)}`);
    } else {
      throw new Error(`RUN ${part}: the mirror does not know this command; teach scripts/docker-mirror.mjs`);
    }
  }
}

async function runImage(image) {
  if (!image.cmd) throw new Error("the final stage has no CMD");
  const appDir = inStage(image, ".");
  const devDeps = Object.keys(JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).devDependencies ?? {});
  const presentDev = devDeps.filter((d) => existsSync(path.join(appDir, "node_modules", d)));
  summary.checks.noDevDependencies = { ok: !["esbuild", "typescript", "vitest", "wrangler", "bun"].some((d) => presentDev.includes(d)), present: presentDev };
  summary.checks.postgresPatched = postgresPatched(appDir);

  const port = await freePort();
  const env = { ...baseEnv(), ...mapPaths(image, image.env), PORT: String(port) };
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  // The mirror must never reach a real AWS address or read this machine's AWS files: no IMDS, no shared files.
  Object.assign(env, { AWS_EC2_METADATA_DISABLED: "true", AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/credentials", AWS_CONFIG_FILE: "/nonexistent/config" });
  const [cmd, ...args] = image.cmd;
  const started = Date.now();
  let output = "";
  const child = spawn(cmd === "node" ? process.execPath : cmd, args, { cwd: appDir, env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  let exited = false;
  const exit = new Promise((r) => child.once("exit", (code, signal) => ((exited = true), r({ code, signal }))));
  const url = `http://127.0.0.1:${port}`;
  try {
    const ready = await waitFor(`${url}/healthz`, 30_000, () => !exited);
    summary.timingsMs.startToHealthy = Date.now() - started;
    summary.checks.healthz = { ok: ready };
    if (image.healthcheck) {
      const [hc, ...hcArgs] = image.healthcheck;
      const r = spawnSync(hc === "node" ? process.execPath : hc, hcArgs, { cwd: appDir, env, timeout: 10_000 });
      summary.checks.healthcheckCommand = { ok: r.status === 0, status: r.status };
    }
    const models = await fetch(`${url}/v1/models`).catch((err) => ({ status: String(err) }));
    summary.checks.modelsWithoutKey = { ok: models.status === 401, status: models.status };
  } finally {
    const stopAt = Date.now();
    if (!exited) child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const { code, signal } = await exit;
    clearTimeout(timer);
    summary.timingsMs.sigtermToExit = Date.now() - stopAt;
    summary.checks.sigtermExit = { ok: code === 0, code, signal };
    if (!Object.values(summary.checks).every((c) => c.ok)) summary.output = output.slice(-4000);
  }
}

/** Every copy of postgres.js's connection.js in the image carries the nextWrite guard (porsager/postgres#1208). */
function postgresPatched(appDir) {
  const copies = {};
  for (const copy of POSTGRES_COPIES) {
    try {
      copies[copy] = patchConnectionSource(readFileSync(path.join(appDir, "node_modules", "postgres", copy), "utf8"), copy).status;
    } catch (err) {
      copies[copy] = err instanceof Error ? err.message : String(err);
    }
  }
  return { ok: Object.values(copies).every((s) => s === "already-patched"), copies };
}

/** ENV values naming a path inside the image (e.g. DATA_DIR=/data) point into the stage's folder. */
function mapPaths(state, env) {
  const out = {};
  for (const [k, v] of Object.entries(env)) out[k] = v.startsWith("/") && existsSync(inStage(state, v)) ? inStage(state, v) : v;
  return out;
}

/** `ENV A=1 B="two words"` (the key=value form only). */
function parseEnv(args) {
  const out = {};
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|'([^']*)'|(\S*))/g)) out[m[1]] = m[3] ?? m[4] ?? m[5];
  return out;
}

/** The top-level names .dockerignore excludes (patterns without wildcards; enough to catch a COPY of one). */
function dockerignore() {
  const file = path.join(root, ".dockerignore");
  if (!existsSync(file)) return new Set();
  return new Set(
    readFileSync(file, "utf8")
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#") && !l.startsWith("!") && !/[*?[]/.test(l))
      .map((l) => l.replace(/^\/|\/$/g, "")),
  );
}

/** A container starts with an empty environment but for the image's ENV: only what npm and node need here. */
function baseEnv() {
  const env = { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", HOME: process.env.HOME ?? "/root" };
  for (const k of ["npm_config_cache", "npm_config_registry", "NPM_CONFIG_REGISTRY", "TMPDIR"]) if (process.env[k]) env[k] = process.env[k];
  return env;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(url, timeoutMs, alive) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && alive()) {
    try {
      if ((await fetch(url)).ok) return true;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
