import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import path from "node:path";
import { freePort } from "@usersvc/local-stack";

const serverDir = path.resolve(import.meta.dirname, "..");

export type ServerProcess = {
  url: string;
  child: ChildProcessWithoutNullStreams;
  output(): string;
  /** Resolves with the exit code once the process ended. */
  exited: Promise<number | null>;
  [Symbol.asyncDispose](): Promise<void>;
};

/** Runs the real entry point (`src/main.ts`) as its own process, with exactly `env`. */
export async function spawnServer(
  env: Record<string, string>,
  options: { waitFor?: RegExp } = {},
): Promise<ServerProcess> {
  const port = env.PORT && env.PORT !== "0" ? env.PORT : String(await freePort());
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: serverDir,
    // Logs at info level: readiness is read from the "listening" line.
    env: { PATH: process.env.PATH ?? "", ENV_FILE: "/nonexistent", ...env, LOG_LEVEL: "info", PORT: port },
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk;
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const ready = options.waitFor ?? /users service listening/;
  const deadline = Date.now() + 30_000;
  while (!ready.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server process did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => output,
    exited,
    async [Symbol.asyncDispose]() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
