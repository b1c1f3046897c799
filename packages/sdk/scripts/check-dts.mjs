// Fails when the built SDK pulls in anything but its peer dependencies: its declarations
// must type-check with only @trpc/client and @trpc/server installed, and its JavaScript must
// run with only them.
import { readdirSync, readFileSync } from "node:fs";

const peer = (specifier) => /^@trpc\/(client|server)(\/|$)/.test(specifier);
const files = readdirSync("dist").filter((f) => /\.(d\.c?ts|c?js)$/.test(f));
if (!files.some((f) => f.endsWith(".d.ts"))) throw new Error("no .d.ts in dist/: run the build first");
const problems = [];
for (const file of files) {
  const text = readFileSync(`dist/${file}`, "utf8");
  const specifiers = [...text.matchAll(/(?:from\s*|import\s*\(\s*|require\(\s*)['"]([^'"]+)['"]/g)].map(
    (m) => m[1],
  );
  for (const specifier of specifiers) {
    if (!peer(specifier)) problems.push(`${file}: imports ${specifier}`);
  }
  if (file.includes(".d.")) {
    for (const word of ["mongoose", "trpc-to-openapi", "@usersvc/", "zod"]) {
      if (text.includes(word)) problems.push(`${file}: mentions ${word}`);
    }
  }
}
if (problems.length > 0) {
  console.error(`The SDK's build is not self-contained:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(`SDK build is self-contained (${files.join(", ")})`);
