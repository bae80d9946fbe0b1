import { defineConfig } from "vitest/config";

// unit: pure modules. integration: real Postgres / PGlite, the simulator, the app in-process.
// e2e-*: the same suite, driven by real clients, against the gateway started on each runtime.
const e2e = (runtime: "node" | "node-pglite" | "bun" | "workerd") => ({
  test: {
    name: `e2e-${runtime}`,
    include: ["test/e2e/**/*.test.ts"],
    globalSetup: ["test/support/e2e-global-setup.ts"],
    provide: { runtime },
    testTimeout: 30_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});

export default defineConfig({
  test: {
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      // fast-check properties: FUZZ_RUNS cases each (a bounded default in npm test; npm run fuzz runs many more).
      { test: { name: "property", include: ["test/property/**/*.test.ts"], testTimeout: 600_000 } },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts", "test/sim/**/*.test.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The admin console in a real headless Chromium (Debian's package); skips with one line when it is missing.
        test: { name: "browser", include: ["test/browser/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 240_000, fileParallelism: false },
      },
      e2e("node"),
      e2e("node-pglite"),
      e2e("bun"),
      e2e("workerd"),
    ],
  },
});
