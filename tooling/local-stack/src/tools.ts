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
 * FerretDB source patches (`patches/*.patch`, unified diffs each opening with its reason),
 * applied in name order. One that does not apply fails the build, so a version bump cannot
 * silently drop one.
 */
export function ferretdbPatches(): string[] {
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "../patches");
  return readdirSync(dir)
    .filter((name) => name.endsWith(".patch"))
    .sort()
    .map((name) => path.join(dir, name));
}

/** What a built binary was built from; a different stamp means build again. */
function buildStamp(name: ToolName): string {
  const { module, version } = modules[name];
  const hash = createHash("sha256");
  for (const patch of name === "ferretdb" ? ferretdbPatches() : [])
    hash.update(`${path.basename(patch)}\n`).update(readFileSync(patch));
  const digest = hash.digest("hex").slice(0, 12);
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
    // git apply patches a plain folder (all of a patch or nothing) only outside any repository,
    // or it would skip the files silently: keep it from looking for one above the copy.
    const gitEnv = { ...env, GIT_CEILING_DIRECTORIES: path.dirname(work) };
    for (const patch of ferretdbPatches()) {
      await run("git", ["apply", patch], { cwd: work, env: gitEnv }).catch((error) => {
        const why = (error as { stderr?: string }).stderr || String(error);
        throw new Error(`FerretDB patch ${path.relative(repoRoot, patch)} does not apply:\n${why}`);
      });
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
