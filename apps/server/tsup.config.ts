import { defineConfig } from "tsup";

// The runnable server: one ESM bundle of our workspace code; third-party packages stay
// external and come from node_modules (pnpm deploy installs them in the image).
export default defineConfig({
  entry: ["src/main.ts"],
  format: ["esm"],
  target: "node20",
  platform: "node",
  clean: false,
  sourcemap: true,
  noExternal: [/^@usersvc\//],
  outDir: "dist",
});
