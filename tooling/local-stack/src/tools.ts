import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The repository root (this file lives in tooling/local-stack/src). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** Git-ignored folder where `go install` puts the binaries. */
export const toolsBin = path.join(repoRoot, ".tools", "bin");

const modules = {
  ferretdb: { module: "github.com/FerretDB/FerretDB", version: "v1.24.2", pkg: "./cmd/ferretdb" },
  mailpit: { module: "github.com/axllent/mailpit", version: "v1.33.1", pkg: "." },
} as const;

export type ToolName = keyof typeof modules;

/**
 * Source edits applied to the pinned FerretDB before it is built, each with its reason. A
 * `from` that is not found fails the build, so a version bump cannot silently drop one.
 */
export const ferretdbPatches = [
  {
    // The SQLite backend creates the `_id` index on `_ferretdb_sjson->"_id"` but queries,
    // updates and deletes by `_ferretdb_sjson->'$._id'`. SQLite matches index expressions
    // by their text, so every operation by `_id` scanned the whole table (73 ms for the
    // last of 10,000 users, 0.01 ms through the index). Query with the indexed expression.
    file: "internal/backends/sqlite/metadata/metadata.go",
    from: `IDColumn = DefaultColumn + "->'$._id'"`,
    to: `IDColumn = DefaultColumn + \`->"_id"\``,
  },
] as const;

/** What a built binary was built from; a different stamp means build again. */
function buildStamp(name: ToolName): string {
  const { module, version } = modules[name];
  const patches = name === "ferretdb" ? ferretdbPatches : [];
  const digest = createHash("sha256").update(JSON.stringify(patches)).digest("hex").slice(0, 12);
  return `${module}@${version} patches:${digest}\n`;
}

/** Returns the path of a pinned Go tool, building it once with `go install` if missing. */
export async function ensureTool(name: ToolName, log: (line: string) => void = () => {}): Promise<string> {
  const binary = path.join(toolsBin, name);
  const stampFile = `${binary}.stamp`;
  const stamp = buildStamp(name);
  if (existsSync(binary) && existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp) return binary;
  mkdirSync(toolsBin, { recursive: true });
  const { module, version, pkg } = modules[name];
  log(`building ${module}@${version} (once; reused from .tools/bin afterwards)`);
  const env = { ...process.env, GOBIN: toolsBin, CGO_ENABLED: "0", GOFLAGS: "-trimpath" };
  if (name === "mailpit") {
    await run("go", ["install", `${module}@${version}`], { env, maxBuffer: 16 * 1024 * 1024 });
    writeFileSync(stampFile, stamp);
    return binary;
  }
  // FerretDB panics at start when built by `go install module@version`: it wants the
  // build/version/version.txt that its release tooling generates. Build the same pinned
  // module from a copy of its source with that file written and our patches applied.
  const { stdout } = await run("go", ["mod", "download", "-json", `${module}@${version}`], { env });
  const source = (JSON.parse(stdout) as { Dir: string }).Dir;
  const work = mkdtempSync(path.join(os.tmpdir(), "ferretdb-src-"));
  try {
    cpSync(source, work, { recursive: true });
    chmodTree(work);
    writeFileSync(path.join(work, "build/version/version.txt"), `${version}\n`);
    for (const patch of ferretdbPatches) {
      const file = path.join(work, patch.file);
      const text = readFileSync(file, "utf8");
      if (!text.includes(patch.from)) throw new Error(`FerretDB patch no longer applies to ${patch.file}`);
      writeFileSync(file, text.replace(patch.from, patch.to));
    }
    await run("go", ["build", "-o", binary, pkg], { cwd: work, env, maxBuffer: 16 * 1024 * 1024 });
    writeFileSync(stampFile, stamp);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return binary;
}

/** Module-cache copies are read-only; make the copy writable. */
function chmodTree(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) chmodTree(full);
    else chmodSync(full, 0o644);
  }
}

/** Finds an executable on PATH, or returns undefined. */
export async function which(command: string): Promise<string | undefined> {
  try {
    const { stdout } = await run("sh", ["-c", `command -v ${command}`]);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}
