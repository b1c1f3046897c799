import { defineConfig } from "vitest/config";

/**
 * Two projects: `unit` (beside the code, no services) and `integration` (real HTTP against
 * the real server, FerretDB and Mailpit, started once by the global setup; files run one at
 * a time, each test on its own database).
 */
export default defineConfig({
  test: {
    coverage: {
      provider: "v8",
      include: ["apps/server/src/**", "packages/*/src/**"],
      exclude: ["**/*.test.ts"],
      reporter: ["text-summary", "html", "json-summary"],
      reportsDirectory: "coverage",
      // Core's rules are its product: the whole suite (unit + integration) must cover them.
      thresholds: { "packages/core/src/**": { lines: 90 } },
    },
    projects: [
      {
        test: {
          name: "unit",
          include: ["{apps,packages,tooling}/*/src/**/*.test.ts"],
          exclude: ["**/*.integration.test.ts", "**/node_modules/**"],
          // Pure tests (in-memory fakes, timers restored after each): one module graph for
          // all files instead of one per file, 2 s instead of 10 s on two cores.
          isolate: false,
        },
      },
      {
        test: {
          name: "integration",
          include: [
            "{apps,packages,tooling}/*/test/**/*.integration.test.ts",
            "examples/test/**/*.integration.test.ts",
          ],
          globalSetup: ["apps/server/test/global-setup.ts"],
          // The examples import the SDK as an app does; here, its source rather than a build.
          alias: { "@usersvc/sdk": new URL("packages/sdk/src/index.ts", import.meta.url).pathname },
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
