// Entry point of the `bedrock-gateway` command (bundled to dist/cli.js; bin/bedrock-gateway.js imports it).
import { userInfo } from "node:os";
import { systemClock } from "../deps";
import { runCli } from "./main";

function actor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return "cli"; // no passwd entry for the uid (some containers)
  }
}

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  io: { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) },
  clock: systemClock,
  actor: actor(),
});
process.exitCode = code;
