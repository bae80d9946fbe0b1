// Bundles the TypeScript sources for Node (the CLI, `npm start`, the demo and the simulator).
// Runs on `npm install` (prepare) so `npx bedrock-gateway` works on a fresh clone.
// Packages stay external: dist/ runs against node_modules, as the Docker image does.
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const entries = {
  node: "src/runtimes/node.ts",
  cli: "src/cli/bedrock-gateway.ts",
  demo: "src/runtimes/node/demo.ts",
  sim: "sim/main.ts",
};

if (process.argv.includes("--if-missing") && Object.keys(entries).every((n) => existsSync(path.join(root, "dist", `${n}.js`)))) {
  process.exit(0);
}

let esbuild;
try {
  esbuild = await import("esbuild");
} catch {
  // Production installs (`npm ci --omit=dev`) ship a prebuilt dist/ and have no esbuild.
  if (Object.keys(entries).every((n) => existsSync(path.join(root, "dist", `${n}.js`)))) process.exit(0);
  console.error("esbuild is not installed and dist/ is incomplete: run `npm install` first.");
  process.exit(1);
}

const present = Object.entries(entries).filter(([, src]) => existsSync(path.join(root, src)));
// Each output is written to a temporary name and renamed into place, so concurrent builds (parallel test
// projects) and a running gateway never see a half-written bundle.
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: Object.fromEntries(present),
  outdir: "dist",
  write: false,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
});
mkdirSync(path.join(root, "dist"), { recursive: true });
for (const file of result.outputFiles) {
  const tmp = `${file.path}.${process.pid}.tmp`;
  writeFileSync(tmp, file.contents);
  renameSync(tmp, file.path);
}
