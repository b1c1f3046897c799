import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { testEnv } from "./harness";

const serverDir = path.resolve(import.meta.dirname, "..");

/** Runs the real entry point (`src/main.ts`) with exactly `env`; resolves at exit or when `until` matches. */
function runServer(env: Record<string, string>, until?: RegExp) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: serverDir,
      env: { PATH: process.env.PATH ?? "", ENV_FILE: "/nonexistent", ...env },
    });
    let stdout = "";
    let stderr = "";
    let signalled = false;
    const check = () => {
      if (!signalled && until?.test(stdout + stderr)) {
        signalled = true;
        child.kill("SIGTERM");
      }
    };
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
      check();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
      check();
    });
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("start-up", () => {
  it("stops with one message naming every bad variable, and no stack trace", async () => {
    const result = await runServer({
      APP_ENV: "production",
      SECRET_KEY: "short",
      MAIL_PORT: "not-a-port",
      MAIL_USE_TLS: "maybe",
      MONGODB_URI: "postgres://nope",
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Invalid configuration");
    for (const name of ["SECRET_KEY", "MAIL_PORT", "MAIL_USE_TLS", "MONGODB_URI", "API_KEYS"]) {
      expect(result.stderr).toContain(`- ${name}:`);
    }
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it("refuses to start without an API key", async () => {
    const result = await runServer({ ...testEnv(), API_KEYS: "" });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/- API_KEYS: is required/);
  });

  it("starts without keys only when auth is explicitly disabled in development, and warns", async () => {
    const result = await runServer(
      { ...testEnv(), APP_ENV: "development", API_KEYS: "", AUTH_DISABLED: "true", LOG_LEVEL: "info" },
      /users service listening/,
    );
    expect(result.stdout).toContain("AUTH_DISABLED=true");
    expect(result.stdout).toContain("users service listening");
    expect(result.code).toBe(0);
  });

  it("warns once in production that plain API_KEYS entries are full-access keys, naming them but not the keys", async () => {
    const pages = {
      RESET_PASSWORD_URL: "https://app.example.com/reset-password",
      ACTIVATION_URL: "https://app.example.com/activate",
      EMAIL_CONFIRM_URL: "https://app.example.com/confirm-email",
      EMAIL_REVERT_URL: "https://app.example.com/revert-email",
    };
    const env: Record<string, string> = {
      ...testEnv(),
      ...pages,
      APP_ENV: "production",
      LOG_LEVEL: "info",
      SECRET_KEY: "s".repeat(40),
    };
    const result = await runServer(env, /users service listening/);
    expect(result.stdout.match(/API_KEYS holds plain keys/g)).toHaveLength(1);
    expect(result.stdout).toContain('"apiKeys":["legacy-1"]');
    expect(result.stdout).not.toContain(env.API_KEYS ?? "unset");
    expect(result.code).toBe(0);
  });
});
