/**
 * `pnpm dev`: starts FerretDB (or mongod, or uses MONGODB_URI) and Mailpit (unless
 * MAIL_SERVER is set), then the server in watch mode with a development API key. Everything
 * it started stops when it stops (Ctrl-C included).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { parseEnv } from "node:util";
import { freePort, repoRoot, startLocalDatabase, startLocalMailServer } from "@usersvc/local-stack";

const envFile = path.join(repoRoot, ".env");
const configured = {
  ...(existsSync(envFile) ? parseEnv(readFileSync(envFile, "utf8")) : {}),
  ...process.env,
};
const log = (line: string) => process.stdout.write(`[dev] ${line}\n`);

const portIsFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = net.createServer().once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });

const cleanups: (() => Promise<void>)[] = [];
let stopping = false;
async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  }
  process.exit(code);
}
process.once("SIGINT", () => void stopAll(0));
process.once("SIGTERM", () => void stopAll(0));

try {
  const env: Record<string, string> = { APP_ENV: "development", ENV_FILE: envFile };
  if (!configured.MONGODB_URI) {
    const db = await startLocalDatabase(log);
    cleanups.push(db.stop);
    env.MONGODB_URI = db.uri;
    env.MONGODB_DB = configured.MONGODB_DB ?? "users_dev";
    log(`${db.kind} on ${db.uri} (throw-away data)`);
  }
  let inbox = "(MAIL_SERVER is set: using it)";
  if (!configured.MAIL_SERVER) {
    const mail = await startLocalMailServer(log);
    cleanups.push(mail.stop);
    env.MAIL_SERVER = mail.smtpHost;
    env.MAIL_PORT = String(mail.smtpPort);
    inbox = mail.webUrl;
  }
  // Named entries hold only a digest: the key to print is the first plain one (or a new one).
  const plainKey = configured.API_KEYS?.split(",")
    .map((entry) => entry.trim())
    .find((entry) => entry.length > 0 && !/sha256:/i.test(entry));
  const apiKey = plainKey || `dev-${randomBytes(16).toString("hex")}`;
  if (!plainKey) env.API_KEYS = [configured.API_KEYS, apiKey].filter(Boolean).join(",");
  if (!configured.SECRET_KEY) env.SECRET_KEY = randomBytes(32).toString("base64url");
  const port = Number(configured.PORT ?? ((await portIsFree(8000)) ? 8000 : await freePort()));
  env.PORT = String(port);
  const host = configured.HOST ?? "127.0.0.1";
  const url = `http://${host}:${port}`;

  const server = spawn(
    process.execPath,
    ["--import", "tsx", "--watch", "--watch-preserve-output", "src/main.ts"],
    {
      cwd: path.join(repoRoot, "apps/server"),
      env: { ...process.env, ...env },
      stdio: "inherit",
    },
  );
  cleanups.push(async () => {
    server.kill("SIGTERM");
  });
  server.once("exit", (code) => void stopAll(code ?? 0));

  process.stdout.write(
    [
      "",
      "  Users service (development)",
      `  API         ${url}/api/users/...   (tRPC at ${url}/trpc)`,
      `  Docs        ${url}/api/docs`,
      `  Health      ${url}/api/users/health`,
      `  Mail inbox  ${inbox}`,
      `  API key     ${apiKey}`,
      "",
      `  try: curl -H 'Authorization: Bearer ${apiKey}' ${url}/api/users/health`,
      "",
    ].join("\n"),
  );
} catch (error) {
  process.stderr.write(`[dev] failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  await stopAll(1);
}
