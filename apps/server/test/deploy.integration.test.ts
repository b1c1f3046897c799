import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort, repoRoot } from "@usersvc/local-stack";
import { afterAll, describe, expect, it } from "vitest";
import { testEnv } from "./harness";

const exec = promisify(execFile);
const localPnpm = path.join(repoRoot, ".tools/pnpm/node_modules/.bin/pnpm");
const pnpm = existsSync(localPnpm) ? localPnpm : "pnpm";
const dockerfile = readFileSync(path.join(repoRoot, "Dockerfile"), "utf8");

/** `docker compose config`'s checks without a Docker engine (compose-spec's own loader). */
async function composeConfig(env: Record<string, string>) {
  const binary = path.join(repoRoot, ".tools/bin/compose-check");
  await exec("go", ["build", "-o", binary, "."], { cwd: path.join(repoRoot, "tooling/compose-check") });
  return exec(binary, [path.join(repoRoot, "docker-compose.yml")], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...env },
  });
}

describe("deployment files", () => {
  const out = mkdtempSync(path.join(os.tmpdir(), "users-deploy-"));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("has a valid docker-compose.yml with MongoDB, Mailpit and the service", async () => {
    const { stdout } = await composeConfig({
      SECRET_KEY: "s".repeat(40),
      API_KEYS: "compose-key-0123456789",
    });
    expect(stdout.trim().split("\n").sort()).toEqual(["mailpit", "mongo", "users"]);
    const missing = await composeConfig({}).catch((error: { stderr: string }) => error);
    expect("stderr" in missing ? missing.stderr : "").toContain("required variable SECRET_KEY");
  }, 120_000);

  it("builds the image with CI's commands and runs as a non-root user with a liveness check", () => {
    const packageManager = (
      JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { packageManager: string }
    ).packageManager;
    expect(dockerfile).toContain(`npm install -g ${packageManager}`);
    expect(dockerfile).toContain("RUN pnpm install --frozen-lockfile");
    expect(dockerfile).toContain("RUN pnpm turbo run build --filter=@usersvc/server");
    expect(dockerfile).toContain("RUN pnpm --filter @usersvc/server deploy --prod --legacy /out");
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/HEALTHCHECK[\s\S]*\/api\/users\/health\/live/);
    expect(dockerfile).toContain(`FROM node:${process.versions.node.split(".").slice(0, 2).join(".")}`);
  });

  it("runs from exactly what `pnpm deploy` puts in the image, passing its own health check", async () => {
    await exec(
      pnpm,
      ["exec", "turbo", "run", "build", "--filter=@usersvc/server", "--output-logs=errors-only"],
      {
        cwd: repoRoot,
        env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" },
      },
    );
    await exec(pnpm, ["--filter", "@usersvc/server", "deploy", "--prod", "--legacy", out], { cwd: repoRoot });
    const port = String(await freePort());
    const child = spawn(process.execPath, ["dist/main.js"], {
      cwd: out,
      env: {
        PATH: process.env.PATH ?? "",
        ...testEnv(),
        PORT: port,
        LOG_LEVEL: "info",
        NODE_ENV: "production",
      },
    });
    try {
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk;
      });
      const deadline = Date.now() + 20_000;
      while (
        !output.includes("users service listening") &&
        Date.now() < deadline &&
        child.exitCode === null
      ) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const health = await fetch(`http://127.0.0.1:${port}/api/users/health`);
      expect(health.status).toBe(200);
      const healthcheck = /CMD \["node", "-e", "(.+)"\]/.exec(dockerfile)?.[1]?.replace(/\\"/g, '"') ?? "";
      const check = await exec(process.execPath, ["-e", healthcheck], {
        env: { ...process.env, PORT: port },
      });
      expect(check.stderr).toBe("");
    } finally {
      child.kill("SIGTERM");
    }
  }, 180_000);
});
