import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { digestApiKey } from "./api-keys";
import { loadSettings, SettingsError } from "./settings";

const valid = {
  SECRET_KEY: "k".repeat(32),
  API_KEYS: "key-one-0123456789,key-two-0123456789",
  RESET_PASSWORD_URL: "https://app.example.com/reset-password",
  ACTIVATION_URL: "https://app.example.com/activate",
  EMAIL_CONFIRM_URL: "https://app.example.com/confirm-email",
  EMAIL_REVERT_URL: "https://app.example.com/revert-email",
};

const problemsOf = (env: Record<string, string>) => {
  try {
    loadSettings({ env, envFile: null });
  } catch (error) {
    if (error instanceof SettingsError) return error.problems.map((p) => p.variable);
    throw error;
  }
  return [];
};

describe("loadSettings", () => {
  it("applies the original service's defaults", () => {
    const settings = loadSettings({ env: valid, envFile: null });
    expect(settings.environment).toBe("production");
    expect(settings.activation.codeLifetimeMinutes).toBe(60);
    expect(settings.passwordReset.expirationMinutes).toBe(15);
    expect(settings.mongodb).toMatchObject({ uri: "mongodb://localhost:27017/", dbName: "users_db" });
    expect(settings.apiKeys.keys).toEqual([
      { name: "legacy-1", scopes: "all", sha256: digestApiKey("key-one-0123456789"), legacy: true },
      { name: "legacy-2", scopes: "all", sha256: digestApiKey("key-two-0123456789"), legacy: true },
    ]);
    expect(settings.http.bodyLimitBytes).toBe(16_384);
    expect(settings.outbox.retentionDays).toBe(7);
  });

  it("runs one password hash per core, leaving a thread of libuv's pool free, unless told", () => {
    const cores = os.availableParallelism();
    expect(loadSettings({ env: valid, envFile: null }).passwordHashing.concurrency).toBe(Math.min(cores, 3));
    expect(
      loadSettings({ env: { ...valid, UV_THREADPOOL_SIZE: "2" }, envFile: null }).passwordHashing.concurrency,
    ).toBe(1);
    const told = { ...valid, PASSWORD_HASH_CONCURRENCY: "6", UV_THREADPOOL_SIZE: "2" };
    expect(loadSettings({ env: told, envFile: null }).passwordHashing).toMatchObject({
      concurrency: 6,
      queueLimit: 300,
    });
    const queue = { ...valid, PASSWORD_HASH_QUEUE_LIMIT: "7" };
    expect(loadSettings({ env: queue, envFile: null }).passwordHashing.queueLimit).toBe(7);
    // Node reads UV_THREADPOOL_SIZE from the real environment only; a .env line changes nothing.
    const dir = mkdtempSync(path.join(os.tmpdir(), "settings-"));
    writeFileSync(path.join(dir, ".env"), "UV_THREADPOOL_SIZE=2\n");
    const fromFile = loadSettings({ env: valid, envFile: path.join(dir, ".env") });
    expect(fromFile.passwordHashing.concurrency).toBe(Math.min(cores, 3));
    rmSync(dir, { recursive: true });
  });

  it("builds the URI from MONGODB_* parts, escaping credentials, and lets MONGODB_URI win", () => {
    const parts = {
      ...valid,
      MONGODB_HOST: "db",
      MONGODB_PORT: "27018",
      MONGODB_USERNAME: "u@x",
      MONGODB_PASSWORD: "p/w",
    };
    expect(loadSettings({ env: parts, envFile: null }).mongodb.uri).toBe("mongodb://u%40x:p%2Fw@db:27018/");
    const withUri = { ...parts, MONGODB_URI: "mongodb://other:1/" };
    expect(loadSettings({ env: withUri, envFile: null }).mongodb.uri).toBe("mongodb://other:1/");
  });

  it("reads Flask-style names and booleans", () => {
    const settings = loadSettings({
      env: {
        ...valid,
        FLASK_ENV: "development",
        FLASK_DEBUG: "True",
        MAIL_USE_TLS: "True",
        MAIL_USE_SSL: "False",
      },
      envFile: null,
    });
    expect(settings.environment).toBe("development");
    expect(settings.debug).toBe(true);
    expect(settings.mail.useTls).toBe(true);
    expect(settings.mail.useSsl).toBe(false);
  });

  it("lists every bad variable at once", () => {
    expect(
      problemsOf({
        SECRET_KEY: "short",
        MAIL_PORT: "99999",
        LOG_LEVEL: "loud",
        MAIL_USE_TLS: "yes",
        MAIL_USE_SSL: "1",
      }),
    ).toEqual(expect.arrayContaining(["SECRET_KEY", "MAIL_PORT", "LOG_LEVEL", "MAIL_USE_SSL", "API_KEYS"]));
  });

  it("requires SECRET_KEY, and 32 characters of it outside development", () => {
    expect(problemsOf({ API_KEYS: valid.API_KEYS })).toContain("SECRET_KEY");
    expect(problemsOf({ ...valid, SECRET_KEY: "x".repeat(31) })).toEqual(["SECRET_KEY"]);
    expect(problemsOf({ ...valid, SECRET_KEY: "dev", APP_ENV: "development" })).toEqual([]);
  });

  it("reads SECRET_KEY_PREVIOUS as comma-separated keys, with SECRET_KEY's length rule", () => {
    const older = ["a".repeat(32), "b".repeat(40)];
    expect(loadSettings({ env: valid, envFile: null }).previousSecretKeys).toEqual([]);
    const settings = loadSettings({
      env: { ...valid, SECRET_KEY_PREVIOUS: ` ${older.join(" , ")}, ` },
      envFile: null,
    });
    expect(settings.previousSecretKeys).toEqual(older);
    expect(settings.secretKey).toBe(valid.SECRET_KEY);
    expect(problemsOf({ ...valid, SECRET_KEY_PREVIOUS: `${older[0]},${"c".repeat(31)}` })).toEqual([
      "SECRET_KEY_PREVIOUS",
    ]);
    expect(problemsOf({ ...valid, SECRET_KEY_PREVIOUS: "old", APP_ENV: "development" })).toEqual([]);
    expect(problemsOf({ ...valid, SECRET_KEY_PREVIOUS: `${older[0]},${valid.SECRET_KEY}` })).toEqual([
      "SECRET_KEY_PREVIOUS",
    ]);
    expect(() => loadSettings({ env: { ...valid, SECRET_KEY_PREVIOUS: "short" }, envFile: null })).toThrow(
      /SECRET_KEY_PREVIOUS: every key must be at least 32 characters outside development \(key 1 has 5\)/,
    );
  });

  it("refuses to run without API keys unless auth is disabled in development", () => {
    const { API_KEYS: _keys, ...noKeys } = valid;
    expect(problemsOf(noKeys)).toEqual(["API_KEYS"]);
    expect(problemsOf({ ...noKeys, AUTH_DISABLED: "true" })).toEqual(["AUTH_DISABLED"]);
    expect(problemsOf({ SECRET_KEY: "dev", APP_ENV: "development", AUTH_DISABLED: "true" })).toEqual([]);
    expect(problemsOf({ ...valid, API_KEYS: "short" })).toEqual(["API_KEYS"]);
  });

  it("reads named, scoped keys as digests from API_KEYS and API_KEYS_FILE, never the key itself", () => {
    const digest = digestApiKey("usk_billing-key-0123456789");
    const dir = mkdtempSync(path.join(os.tmpdir(), "keys-"));
    const file = path.join(dir, "keys.json");
    const ops = { name: "ops", scopes: ["*"], sha256: digestApiKey("usk_ops-key-0123456789").toUpperCase() };
    writeFileSync(file, JSON.stringify({ keys: [ops] }));
    const settings = loadSettings({
      env: {
        ...valid,
        API_KEYS: `billing/users:read+auth/sha256:${digest}, plain-key-0123456789`,
        API_KEYS_FILE: file,
      },
      envFile: null,
    });
    expect(settings.apiKeys.keys).toEqual([
      { name: "billing", scopes: ["users:read", "auth"], sha256: digest, legacy: false },
      { name: "legacy-2", scopes: "all", sha256: digestApiKey("plain-key-0123456789"), legacy: true },
      { name: "ops", scopes: "all", sha256: digestApiKey("usk_ops-key-0123456789"), legacy: false },
    ]);
    expect(JSON.stringify(settings)).not.toContain("plain-key-0123456789");
    // A file alone is enough.
    const { API_KEYS: _keys, ...noKeys } = valid;
    expect(problemsOf({ ...noKeys, API_KEYS_FILE: file })).toEqual([]);
    rmSync(dir, { recursive: true });
  });

  it("names what is wrong with a key entry or the keys file", () => {
    const digest = digestApiKey("usk_billing-key-0123456789");
    const refused = (env: Record<string, string>) => {
      try {
        loadSettings({ env: { ...valid, ...env }, envFile: null });
      } catch (error) {
        if (error instanceof SettingsError) return error.message;
      }
      return "accepted";
    };
    expect(refused({ API_KEYS: `bill ing/users:read/sha256:${digest}` })).toMatch(
      /API_KEYS: entry 1: the name/,
    );
    expect(refused({ API_KEYS: "plain key 0123456789" })).toMatch(/API_KEYS: key 1 has a space/);
    expect(refused({ API_KEYS: `bill*ing/users:read/sha256:${digest}` })).toMatch(
      /API_KEYS: entry 1: the name/,
    );
    expect(refused({ API_KEYS: `billing/Users-Read/sha256:${digest}` })).toMatch(
      /entry 1 \(billing\): scopes/,
    );
    expect(refused({ API_KEYS: "billing/users:read/sha256:abc" })).toMatch(/64 hex digits/);
    expect(refused({ API_KEYS: `a/auth/sha256:${digest},b/admin/sha256:${digest}` })).toMatch(
      /the key named b is configured twice/,
    );
    expect(refused({ API_KEYS: `a/auth/sha256:${digest},a/admin/sha256:${"0".repeat(64)}` })).toMatch(
      /the name a is given to two keys/,
    );
    expect(refused({ API_KEYS_FILE: "/nonexistent/keys.json" })).toMatch(
      /API_KEYS_FILE: cannot read .*ENOENT/,
    );
    const dir = mkdtempSync(path.join(os.tmpdir(), "keys-"));
    const file = path.join(dir, "keys.json");
    writeFileSync(file, JSON.stringify({ keys: [{ name: "x", scopes: [], sha256: digest }] }));
    expect(refused({ API_KEYS_FILE: file })).toMatch(/API_KEYS_FILE: .*keys\.0\.scopes/);
    writeFileSync(file, "{ not json");
    expect(refused({ API_KEYS_FILE: file })).toMatch(/API_KEYS_FILE: cannot read .*not valid JSON/);
    rmSync(dir, { recursive: true });
  });

  it("turns login codes on by default, in production only once their page is known", () => {
    const production = loadSettings({ env: valid, envFile: null });
    expect(production.loginCodes).toEqual({
      enabled: false,
      expirationMinutes: 10,
      resendCooldownSeconds: 60,
      url: "http://localhost:3000/login-code",
    });
    const withPage = { ...valid, LOGIN_CODE_URL: "https://app.example.com/login-code" };
    expect(loadSettings({ env: withPage, envFile: null }).loginCodes).toMatchObject({
      enabled: true,
      url: "https://app.example.com/login-code",
    });
    expect(loadSettings({ env: { ...valid, APP_ENV: "test" }, envFile: null }).loginCodes.enabled).toBe(true);
    expect(
      loadSettings({ env: { ...withPage, LOGIN_CODES_ENABLED: "off" }, envFile: null }).loginCodes.enabled,
    ).toBe(false);
    expect(problemsOf({ ...valid, LOGIN_CODES_ENABLED: "true" })).toEqual(["LOGIN_CODE_URL"]);
    expect(problemsOf({ ...valid, LOGIN_CODE_EXPIRATION_MINUTES: "61" })).toEqual([
      "LOGIN_CODE_EXPIRATION_MINUTES",
    ]);
  });

  it("takes the password policy's minimum score between 0 and 4, 3 by default", () => {
    expect(loadSettings({ env: valid, envFile: null }).passwordPolicy).toEqual({
      minScore: 3,
      strengthPerIpPerMinute: 120,
    });
    expect(
      loadSettings({ env: { ...valid, PASSWORD_MIN_SCORE: "4" }, envFile: null }).passwordPolicy.minScore,
    ).toBe(4);
    expect(problemsOf({ ...valid, PASSWORD_MIN_SCORE: "5" })).toEqual(["PASSWORD_MIN_SCORE"]);
  });

  it("never reads a mistyped named entry as a plain full-access key (its digest would be the key)", () => {
    const digest = digestApiKey("usk_billing-key-0123456789");
    const keysOf = (API_KEYS: string) => {
      try {
        return loadSettings({ env: { ...valid, API_KEYS }, envFile: null }).apiKeys.keys;
      } catch (error) {
        if (error instanceof SettingsError) return error.message;
        throw error;
      }
    };
    // The prefix forgotten, a name with a slash (both once read as a plain key, every scope).
    expect(keysOf(`billing/users:read/${digest}`)).toMatch(/API_KEYS: entry 1 is not <name>/);
    expect(keysOf(`billing/x/users:read/sha256:${digest}`)).toMatch(/API_KEYS: entry 1 is not <name>/);
    expect(keysOf(`billing:users:read:sha256:${digest}`)).toMatch(/API_KEYS: entry 1 is not <name>/);
    // The prefix in capitals is still the named form.
    expect(keysOf(`billing/users:read/SHA256:${digest}`)).toEqual([
      { name: "billing", scopes: ["users:read"], sha256: digest, legacy: false },
    ]);
    // Plain keys, slashes included (base64), keep working.
    expect(keysOf("ab/cd+ef/0123456789")).toEqual([
      { name: "legacy-1", scopes: "all", sha256: digestApiKey("ab/cd+ef/0123456789"), legacy: true },
    ]);
  });

  it("requires the reset page's URL in production only", () => {
    const { RESET_PASSWORD_URL: _url, ...withoutUrl } = valid;
    expect(problemsOf(withoutUrl)).toEqual(["RESET_PASSWORD_URL"]);
    expect(problemsOf({ ...withoutUrl, APP_ENV: "test" })).toEqual([]);
    expect(problemsOf({ ...valid, RESET_PASSWORD_URL: "ftp://x" })).toEqual(["RESET_PASSWORD_URL"]);
  });

  it("requires the pages of the activation and email-change links in production only", () => {
    for (const variable of ["ACTIVATION_URL", "EMAIL_CONFIRM_URL", "EMAIL_REVERT_URL"] as const) {
      const { [variable]: _url, ...without } = valid;
      expect(problemsOf(without)).toEqual([variable]);
      expect(problemsOf({ ...without, APP_ENV: "test" })).toEqual([]);
      expect(problemsOf({ ...valid, [variable]: "javascript:alert(1)" })).toEqual([variable]);
    }
    const settings = loadSettings({ env: valid, envFile: null });
    expect(settings.activation.url).toBe("https://app.example.com/activate");
    expect(settings.emailChange).toEqual({
      confirmUrl: "https://app.example.com/confirm-email",
      revertUrl: "https://app.example.com/revert-email",
    });
  });

  it("derives the passkeys' relying party from ACTIVATION_URL unless told, and checks the origins", () => {
    const derived = loadSettings({ env: valid, envFile: null }).webauthn;
    expect(derived).toEqual({
      rpId: "app.example.com",
      rpName: "Users Service",
      origins: ["https://app.example.com"],
      timeoutSeconds: 300,
    });
    const told = loadSettings({
      env: {
        ...valid,
        WEBAUTHN_RP_ID: "Example.com",
        WEBAUTHN_RP_NAME: "Example",
        WEBAUTHN_ORIGINS: "https://example.com, https://app.example.com",
      },
      envFile: null,
    }).webauthn;
    expect(told).toMatchObject({
      rpId: "example.com",
      rpName: "Example",
      origins: ["https://example.com", "https://app.example.com"],
    });
    expect(problemsOf({ ...valid, WEBAUTHN_RP_ID: "https://example.com" })).toEqual(["WEBAUTHN_RP_ID"]);
    for (const origins of ["http://app.example.com", "https://evil.test", "https://app.example.com/path"]) {
      expect(problemsOf({ ...valid, WEBAUTHN_ORIGINS: origins })).toEqual(["WEBAUTHN_ORIGINS"]);
    }
    expect(
      problemsOf({ ...valid, WEBAUTHN_RP_ID: "localhost", WEBAUTHN_ORIGINS: "http://localhost:5173" }),
    ).toEqual([]);
  });

  it("wants mail credentials in pairs", () => {
    expect(problemsOf({ ...valid, MAIL_USERNAME: "me" })).toEqual(["MAIL_PASSWORD"]);
  });

  it("refuses SMTP credentials in production over a connection that may stay in clear, unless allowed", () => {
    const credentials = { ...valid, MAIL_USERNAME: "me", MAIL_PASSWORD: "secret", MAIL_USE_TLS: "False" };
    expect(problemsOf(credentials)).toEqual(["MAIL_USE_TLS"]);
    expect(problemsOf({ ...credentials, MAIL_USE_TLS: "True" })).toEqual([]);
    expect(problemsOf({ ...credentials, MAIL_USE_SSL: "True", MAIL_PORT: "465" })).toEqual([]);
    expect(problemsOf({ ...credentials, APP_ENV: "test" })).toEqual([]);
    expect(problemsOf({ ...valid, MAIL_USE_TLS: "False" })).toEqual([]); // no credentials to leak
    const allowed = loadSettings({ env: { ...credentials, MAIL_ALLOW_INSECURE: "true" }, envFile: null });
    expect(allowed.mail.credentialsMayGoInClear).toBe(true);
    const required = loadSettings({ env: { ...credentials, MAIL_USE_TLS: "True" }, envFile: null });
    expect(required.mail).toMatchObject({ useTls: true, credentialsMayGoInClear: false, tlsCa: null });
  });

  it("reads MAIL_TLS_CA_FILE as PEM text, naming a file it cannot use", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "settings-"));
    const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    writeFileSync(path.join(dir, "ca.pem"), pem);
    writeFileSync(path.join(dir, "not.pem"), "hello");
    const env = { ...valid, MAIL_TLS_CA_FILE: path.join(dir, "ca.pem") };
    expect(loadSettings({ env, envFile: null }).mail.tlsCa).toBe(pem);
    expect(problemsOf({ ...valid, MAIL_TLS_CA_FILE: path.join(dir, "not.pem") })).toEqual([
      "MAIL_TLS_CA_FILE",
    ]);
    expect(problemsOf({ ...valid, MAIL_TLS_CA_FILE: path.join(dir, "missing.pem") })).toEqual([
      "MAIL_TLS_CA_FILE",
    ]);
    rmSync(dir, { recursive: true });
  });

  it('writes claims with w: "majority" unless told a number of members', () => {
    expect(loadSettings({ env: valid, envFile: null }).mongodb.claimsWriteConcern).toBe("majority");
    const one = { ...valid, CLAIMS_WRITE_CONCERN: "1" };
    expect(loadSettings({ env: one, envFile: null }).mongodb.claimsWriteConcern).toBe(1);
    expect(problemsOf({ ...valid, CLAIMS_WRITE_CONCERN: "0" })).toEqual(["CLAIMS_WRITE_CONCERN"]);
    expect(problemsOf({ ...valid, CLAIMS_WRITE_CONCERN: "all" })).toEqual(["CLAIMS_WRITE_CONCERN"]);
  });

  it("says what is wrong in one message", () => {
    expect(() => loadSettings({ env: { ...valid, SECRET_KEY: "short" }, envFile: null })).toThrow(
      /Invalid configuration \(1 problem\):\n {2}- SECRET_KEY: must be at least 32 characters outside development \(got 5\)/,
    );
  });
});

describe(".env.example", () => {
  it("documents every variable of the schema and loads as a valid configuration", async () => {
    const { envSchema } = await import("./schema");
    const path = new URL("../../../.env.example", import.meta.url).pathname;
    const settings = loadSettings({ env: {}, envFile: path });
    expect(settings.environment).toBe("development");
    const { readFileSync } = await import("node:fs");
    const text = readFileSync(path, "utf8");
    for (const name of Object.keys(envSchema.shape)) {
      if (name === "FLASK_ENV" || name === "FLASK_DEBUG") continue; // documented as aliases
      expect(text, name).toMatch(new RegExp(`^#? ?${name}=`, "m"));
    }
  });
});
