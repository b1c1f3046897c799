// Fails when the built SDK's declarations import anything but its peer dependencies:
// a consumer must be able to type-check it with only @trpc/client and @trpc/server installed.
import { readdirSync, readFileSync } from "node:fs";

const allowed = new Set(["@trpc/client", "@trpc/server"]);
const files = readdirSync("dist").filter((f) => /\.d\.c?ts$/.test(f));
if (files.length === 0) throw new Error("no .d.ts in dist/: run the build first");
const problems = [];
for (const file of files) {
  const text = readFileSync(`dist/${file}`, "utf8");
  for (const [, specifier] of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
    if (!allowed.has(specifier)) problems.push(`${file}: imports ${specifier}`);
  }
  for (const word of ["mongoose", "trpc-to-openapi", "@usersvc/", "zod"]) {
    if (text.includes(word)) problems.push(`${file}: mentions ${word}`);
  }
}
if (problems.length > 0) {
  console.error(`SDK declarations are not self-contained:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(`SDK declarations are self-contained (${files.join(", ")})`);
