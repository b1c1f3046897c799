import { defineConfig } from "tsup";

// The runnable server: one ESM bundle of our workspace code; every third-party package stays
// external and comes from node_modules, so each must be a dependency of this package.
export default defineConfig({
  // The server, and the commands operators run in the same image (key rotation, migration).
  entry: {
    main: "src/main.ts",
    "rotate-keys": "scripts/rotate-keys.ts",
    "migrate-from-python": "scripts/migrate-from-python.ts",
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
});
