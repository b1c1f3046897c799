import { cpSync, rmSync } from "node:fs";
import { defineConfig } from "tsup";

// The runnable server: one ESM bundle of our workspace code; every third-party package stays
// external and comes from node_modules, so each must be a dependency of this package.
export default defineConfig({
  // The server, and the commands operators run in the same image (key rotation, migration).
  entry: {
    main: "src/main.ts",
    "rotate-keys": "scripts/rotate-keys.ts",
    "migrate-from-python": "scripts/migrate-from-python.ts",
    // The image's start command asks it for the heap flags of the container's memory limit.
    "heap-flags": "scripts/heap-flags.ts",
  },
  format: ["esm"],
  target: "node20",
  platform: "node",
  clean: false,
  splitting: false, // each entry one self-contained file
  sourcemap: true,
  external: [/^(?!@usersvc\/)[^./]/],
  noExternal: [/^@usersvc\//],
  outDir: "dist",
  // The email templates we ship, next to the bundle (core's builtinTemplatesDir finds them
  // at dist/email-templates), so `pnpm deploy` and the image carry them.
  async onSuccess() {
    rmSync("dist/email-templates", { recursive: true, force: true });
    cpSync("../../packages/core/src/email/templates", "dist/email-templates", { recursive: true });
  },
});
