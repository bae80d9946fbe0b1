#!/usr/bin/env node
// The `bedrock-gateway` command: the CLI is bundled into dist/ by `npm install` (prepare) or `npm run build`.
import { existsSync } from "node:fs";

const cli = new URL("../dist/cli.js", import.meta.url);
if (!existsSync(cli)) {
  console.error("bedrock-gateway: dist/cli.js is missing; run `npm run build` (or `npm install`) in the package first.");
  process.exit(1);
}
await import(cli.href);
