import { readFileSync } from "node:fs";
import { defineConfig } from "tsup";

const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };

// Types of the server are bundled into the SDK's .d.ts from the server's and core's emitted
// declarations (their `typings`, built first by turbo's ^build), following their relative
// imports too; only @trpc/* stay imports. A check in CI greps the output to keep it so.
export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: { resolve: [/^@usersvc\//, /^\.\.?\//] },
  clean: true,
  sourcemap: true,
  target: "es2022",
  external: ["@trpc/client", "@trpc/server"],
  // The version in the user agent header (see src/version.ts).
  define: { __SDK_VERSION__: JSON.stringify(version) },
});
