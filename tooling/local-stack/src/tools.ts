import { execFile } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
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

/** Returns the path of a pinned Go tool, building it once with `go install` if missing. */
export async function ensureTool(name: ToolName, log: (line: string) => void = () => {}): Promise<string> {
  const binary = path.join(toolsBin, name);
  if (existsSync(binary)) return binary;
  mkdirSync(toolsBin, { recursive: true });
  const { module, version, pkg } = modules[name];
  log(`building ${module}@${version} (once; reused from .tools/bin afterwards)`);
  const env = { ...process.env, GOBIN: toolsBin, CGO_ENABLED: "0", GOFLAGS: "-trimpath" };
  if (name === "mailpit") {
    await run("go", ["install", `${module}@${version}`], { env, maxBuffer: 16 * 1024 * 1024 });
    return binary;
  }
  // FerretDB panics at start when built by `go install module@version`: it wants the
  // build/version/version.txt that its release tooling generates. Build the same pinned
  // module from a copy of its source with that file written.
  const { stdout } = await run("go", ["mod", "download", "-json", `${module}@${version}`], { env });
  const source = (JSON.parse(stdout) as { Dir: string }).Dir;
  const work = mkdtempSync(path.join(os.tmpdir(), "ferretdb-src-"));
  try {
    cpSync(source, work, { recursive: true });
    chmodTree(work);
    writeFileSync(path.join(work, "build/version/version.txt"), `${version}\n`);
    await run("go", ["build", "-o", binary, pkg], { cwd: work, env, maxBuffer: 16 * 1024 * 1024 });
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
