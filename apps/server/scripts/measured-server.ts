import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { type LocalDatabase, type LocalMailServer, repoRoot } from "@usersvc/local-stack";

/**
 * What the load test and the benchmark share: the environment of a server measured on its
 * own FerretDB + Mailpit, and starting a process that waits for its liveness route.
 * `loginMaxFailures` raises the throttle's limit for loads that log one account in from
 * many connections at once (each attempt holds a slot until it succeeds), and lifts the
 * day's bound on wrong passwords.
 */
export function measuredEnv(input: {
  db: LocalDatabase;
  mail: LocalMailServer;
  dbName: string;
  loginMaxFailures?: number;
}) {
  const apiKey = `measure-${randomBytes(12).toString("hex")}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    ENV_FILE: "/nonexistent",
    APP_ENV: "test",
    SECRET_KEY: randomBytes(32).toString("hex"),
    API_KEYS: apiKey,
    MONGODB_URI: input.db.uri,
    MONGODB_DB: input.dbName,
    MAIL_SERVER: input.mail.smtpHost,
    MAIL_PORT: String(input.mail.smtpPort),
    LOG_LEVEL: "warn",
    ...(input.loginMaxFailures
      ? { LOGIN_MAX_FAILURES: String(input.loginMaxFailures), LOGIN_MAX_FAILURES_PER_DAY: "1000" }
      : {}),
  };
  return { apiKey, env };
}

/** Runs `node <args>` in apps/server on `port`; resolves once /api/users/health/live answers. */
export async function startMeasured(
  args: string[],
  port: number,
  env: Record<string, string>,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, {
    cwd: path.join(repoRoot, "apps/server"),
    env: { ...env, PORT: String(port) },
    stdio: ["ignore", "ignore", "inherit"],
  });
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) break;
    if (await fetch(`http://127.0.0.1:${port}/api/users/health/live`).catch(() => null)) return child;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill("SIGKILL");
  throw new Error(`node ${args.join(" ")} did not start`);
}
