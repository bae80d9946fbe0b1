// Lints the Dockerfile without Docker: syntax and flags with dockerfile-utils (the validator behind VS Code's
// Docker support; hadolint ships only as binaries from GitHub, unreachable here), then the rules this image
// must keep, named after hadolint's where one exists. Also exports the small parser docker-mirror.mjs uses.
//   node scripts/dockerfile-lint.mjs [Dockerfile]     exit 0 when clean, 1 with one line per problem
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Parses a Dockerfile into instructions: `{ line, keyword, flags, args, json }`, where `flags` are the leading
 * `--name=value` options, `args` the rest as written and `json` the exec form's strings (or null).
 * Handles comments, `\` continuations and parser directives; enough for this project's Dockerfile.
 */
export function parseDockerfile(text) {
  const out = [];
  let pending = null;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trimEnd();
    if (pending === null && (line.trim() === "" || line.trim().startsWith("#"))) return;
    if (pending !== null && line.trim().startsWith("#")) return; // comments inside a continued instruction
    const continued = line.endsWith("\\");
    const part = continued ? line.slice(0, -1) : line;
    if (pending === null) pending = { line: index + 1, text: part.trim() };
    else pending.text += ` ${part.trim()}`;
    if (!continued) {
      out.push(toInstruction(pending));
      pending = null;
    }
  });
  if (pending) out.push(toInstruction(pending));
  return out;
}

function toInstruction({ line, text }) {
  const match = /^(\S+)\s*(.*)$/.exec(text);
  const keyword = match[1].toUpperCase();
  let rest = match[2];
  const flags = {};
  for (;;) {
    const flag = /^--([a-z-]+)(?:=(\S*))?\s+/.exec(rest);
    if (!flag) break;
    flags[flag[1]] = flag[2] ?? true;
    rest = rest.slice(flag[0].length);
  }
  let json = null;
  if (rest.startsWith("[")) {
    try {
      const parsed = JSON.parse(rest);
      if (Array.isArray(parsed) && parsed.every((s) => typeof s === "string")) json = parsed;
    } catch {}
  }
  return { line, keyword, flags, args: rest, json };
}

/** Groups instructions by FROM: `{ name, image, instructions }` per stage. */
export function stagesOf(instructions) {
  const stages = [];
  for (const ins of instructions) {
    if (ins.keyword === "FROM") {
      const [image, as, name] = ins.args.split(/\s+/);
      stages.push({ name: as?.toUpperCase() === "AS" ? name : String(stages.length), image, line: ins.line, instructions: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1].instructions.push(ins);
    }
  }
  return stages;
}

/** The project's rules for its image. Returns problems as `{ line, rule, message }`. */
export function checkPolicies(instructions) {
  const problems = [];
  const add = (line, rule, message) => problems.push({ line, rule, message });
  const stages = stagesOf(instructions);
  const stageNames = new Set(stages.map((s) => s.name));
  if (stages.length === 0) return [{ line: 1, rule: "no-from", message: "no FROM instruction" }];

  for (const stage of stages) {
    if (stageNames.has(stage.image)) continue;
    const [, tag] = stage.image.split(":");
    if (!tag && !stage.image.includes("@")) add(stage.line, "DL3006", `tag the base image explicitly: ${stage.image}`);
    if (tag === "latest") add(stage.line, "DL3007", `do not use the latest tag: ${stage.image}`);
  }
  for (const ins of instructions) {
    if (ins.keyword === "ADD") add(ins.line, "DL3020", "use COPY instead of ADD for files and folders");
    if (ins.keyword === "MAINTAINER") add(ins.line, "DL4000", "MAINTAINER is deprecated");
    if (ins.keyword === "RUN" && /\bnpm (install|i)\b/.test(ins.args)) add(ins.line, "npm-ci", "install from the lockfile with `npm ci`");
    if (ins.keyword === "RUN" && /\bsudo\b/.test(ins.args)) add(ins.line, "DL3004", "do not use sudo");
    if (ins.keyword === "RUN" && /\bcurl\b.*\|\s*(ba)?sh/.test(ins.args)) add(ins.line, "pipe-to-shell", "do not pipe downloads into a shell");
    if (ins.keyword === "WORKDIR" && !ins.args.startsWith("/")) add(ins.line, "DL3000", "use an absolute WORKDIR");
  }

  const final = stages[stages.length - 1];
  const finalOf = (keyword) => final.instructions.filter((i) => i.keyword === keyword);
  const users = finalOf("USER");
  const lastUser = users[users.length - 1];
  if (!lastUser) add(final.line, "DL3002", "the final stage must switch to a non-root USER");
  else if (/^(root|0)(:|$)/.test(lastUser.args)) add(lastUser.line, "DL3002", "the last USER must not be root");
  const cmds = finalOf("CMD");
  if (cmds.length === 0) add(final.line, "cmd", "the final stage needs a CMD");
  if (cmds.length > 1) add(cmds[1].line, "DL4003", "more than one CMD: only the last takes effect");
  for (const i of [...cmds, ...finalOf("ENTRYPOINT")]) {
    // Exec form keeps node as PID 1, so SIGTERM reaches it and the graceful drain runs.
    if (!i.json) add(i.line, "DL3025", `use the JSON (exec) form for ${i.keyword} so signals reach the process`);
  }
  const healthchecks = finalOf("HEALTHCHECK");
  if (healthchecks.length === 0) add(final.line, "healthcheck", "the final stage needs a HEALTHCHECK");
  for (const h of healthchecks) {
    if (/\b(curl|wget)\b/.test(h.args)) add(h.line, "healthcheck-tool", "slim images have no curl or wget: check health with node");
  }
  if (finalOf("EXPOSE").length === 0) add(final.line, "expose", "the final stage should EXPOSE the gateway's port");
  const env = finalOf("ENV")
    .map((i) => i.args)
    .join(" ");
  for (const name of ["NODE_ENV", "HOST", "PORT"]) {
    if (!new RegExp(`\\b${name}=`).test(env)) add(final.line, "env", `the final stage should set ${name}`);
  }
  // `npm ci --ignore-scripts` skips the project's postinstall, which patches postgres.js (scripts/patch-postgres.mjs):
  // every stage that installs must run it itself, after its last `npm ci`, or the image ships the unpatched driver.
  for (const stage of stages) {
    const runs = stage.instructions.filter((i) => i.keyword === "RUN");
    const installs = runs.filter((i) => /\bnpm ci\b/.test(i.args));
    if (installs.length === 0) continue;
    const lastInstall = installs[installs.length - 1];
    const patch = runs.find((i) => i.line > lastInstall.line && /^node scripts\/patch-postgres\.mjs$/.test(i.args.trim()));
    if (/--ignore-scripts\b/.test(lastInstall.args) && !patch)
      add(lastInstall.line, "postgres-patch", "run `node scripts/patch-postgres.mjs` after `npm ci --ignore-scripts` (postinstall is skipped)");
    if (patch && !stage.instructions.some((i) => i.keyword === "COPY" && i.line < patch.line && /\bscripts\/patch-postgres\.mjs\b/.test(i.args)))
      add(patch.line, "postgres-patch", "COPY scripts/patch-postgres.mjs into the stage before running it");
  }
  for (const i of finalOf("RUN")) {
    if (/\bnpm ci\b/.test(i.args) && !/--omit=dev\b/.test(i.args))
      add(i.line, "prod-deps", "the final stage installs production dependencies only (--omit=dev)");
  }
  return problems;
}

/** Syntax problems from dockerfile-utils plus the policy problems, sorted by line. */
export function lintDockerfile(text) {
  const require = createRequire(import.meta.url);
  const { validate } = require("dockerfile-utils");
  // Severity 1 = error, 2 = warning (LSP); both count.
  const syntax = validate(text).map((d) => ({ line: d.range.start.line + 1, rule: "syntax", message: d.message, severity: d.severity }));
  return [...syntax.filter((d) => d.severity <= 2), ...checkPolicies(parseDockerfile(text))].sort((a, b) => a.line - b.line);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = process.argv[2] ?? path.join(path.dirname(path.dirname(fileURLToPath(import.meta.url))), "Dockerfile");
  const problems = lintDockerfile(readFileSync(file, "utf8"));
  for (const p of problems) console.log(`${file}:${p.line} ${p.rule}: ${p.message}`);
  if (problems.length > 0) process.exit(1);
  console.log(`${file}: no problems`);
}
