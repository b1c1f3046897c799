import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import { parseEnv } from "node:util";
import type { z } from "zod";
import { type ApiKeyEntry, readApiKeys } from "./api-keys";
import {
  crossFieldProblems,
  type Env,
  envSchema,
  type PartialEnv,
  splitKeys,
  webauthnSettingsOf,
} from "./schema";

export type Environment = "development" | "test" | "production";

/** The typed, validated configuration of the service, grouped by concern. */
export type Settings = {
  environment: Environment;
  debug: boolean;
  logLevel: Env["LOG_LEVEL"];
  /** What this process runs: the API and the outbox worker ("all"), or one of them. */
  role: "all" | "api" | "worker";
  /** Derives the keys of every secret at rest (codes, tokens, TOTP secrets, queued email). */
  secretKey: string;
  /** Keys used before `secretKey`: what they sealed or hashed is still accepted, never written. */
  previousSecretKeys: readonly string[];
  /**
   * Callers' keys as names, scopes and SHA-256 digests (API_KEYS, API_KEYS_FILE); never a
   * key itself. `metricsToken` (if set) is the only key /metrics takes.
   */
  apiKeys: { keys: readonly ApiKeyEntry[]; disabled: boolean; metricsToken: string | null };
  /**
   * Emailed activation codes: lifetime, at most one new code per cooldown (doubling with
   * each resend of a day), and the page the email's one-click link opens (`<url>?token=...`).
   */
  activation: { codeLifetimeMinutes: number; resendCooldownSeconds: number; url: string };
  /** Email-change emails link to `<confirmUrl>?token=...`; the notice to the old address to `<revertUrl>?token=...`. */
  emailChange: { confirmUrl: string; revertUrl: string };
  /** Password reset emails link to `<url>?token=...`; at most one per cooldown per user. */
  passwordReset: { url: string; expirationMinutes: number; cooldownSeconds: number };
  /**
   * Failed attempts allowed per account / per client IP / per second factor, per window;
   * wrong passwords and wrong second factors per account per UTC day.
   */
  loginThrottle: {
    maxFailures: number;
    maxFailuresPerIp: number;
    maxMfaFailures: number;
    windowSeconds: number;
    maxFailuresPerDay: number;
    maxMfaFailuresPerDay: number;
  };
  /**
   * New passwords (registration, reset, change): the zxcvbn score they need; how often one
   * client network may ask password/strength per minute (only with a trusted proxy).
   */
  passwordPolicy: { minScore: number; strengthPerIpPerMinute: number };
  /**
   * Emailed one-time login codes: on or off, their lifetime, at most one new code per
   * cooldown (doubling with each of the day), the page the link opens (`<url>?token=...`).
   */
  loginCodes: { enabled: boolean; expirationMinutes: number; resendCooldownSeconds: number; url: string };
  /** Issuer shown by authenticator apps. */
  mfa: { issuer: string };
  /**
   * Passkeys (WebAuthn): the relying party's id and name, the origins whose pages may run
   * ceremonies, and how long a ceremony's challenge lives.
   */
  webauthn: { rpId: string; rpName: string; origins: readonly string[]; timeoutSeconds: number };
  /** argon2id parameters (OWASP's are the floor), hashes run at once, hashes that may wait. */
  passwordHashing: {
    memoryCost: number;
    timeCost: number;
    parallelism: number;
    concurrency: number;
    queueLimit: number;
    maxWaitMs: number;
    runtime: "child-process" | "in-process";
  };
  /** `claimsWriteConcern`: the `w` of claim inserts and throttle-lock writes. */
  mongodb: { uri: string; dbName: string; timeoutMs: number; claimsWriteConcern: "majority" | number };
  /**
   * SMTP. STARTTLS is used whenever the server offers it; `useTls` requires it, `useSsl`
   * is TLS from the first byte. Certificates are always checked, against `tlsCa` (PEM) too.
   * `credentialsMayGoInClear`: credentials set with neither required (allowed in production
   * only with MAIL_ALLOW_INSECURE; the server warns at start).
   */
  mail: {
    host: string;
    port: number;
    useTls: boolean;
    useSsl: boolean;
    auth: { user: string; pass: string } | null;
    defaultSender: string;
    timeoutMs: number;
    tlsCa: string | null;
    /** EMAIL_TEMPLATES_DIR: the operator's templates overriding ours; null: ours only. */
    templatesDir: string | null;
    /** EMAIL_DEFAULT_LOCALE: the language of users without a locale (canonical BCP 47). */
    defaultLocale: string;
    credentialsMayGoInClear: boolean;
  };
  /** Delivery of queued email: polling, retries with exponential backoff, leases. */
  outbox: {
    pollIntervalMs: number;
    retryBaseMs: number;
    retryMaxMs: number;
    maxAttempts: number;
    leaseMs: number;
    /** Sent and dropped messages (no body left) are deleted this long after they finished. */
    retentionDays: number;
  };
  /** The audit trail of security events (issue 16). */
  audit: {
    /** Events are deleted this long after they happened (and finished webhook deliveries with them). */
    retentionDays: number;
  };
  /** Signed webhooks: delivery (polling, timeout, retries, leases) and target safety. */
  webhooks: {
    /** Targets may resolve to loopback/private/link-local/metadata addresses (never in a real deployment). */
    allowPrivateTargets: boolean;
    /** Targets may be http:// (false in production whatever is set). */
    allowHttp: boolean;
    pollIntervalMs: number;
    timeoutMs: number;
    retryBaseMs: number;
    retryMaxMs: number;
    maxAttempts: number;
    leaseMs: number;
    /** A subscription failing this long without a success (and at least 10 tries) is disabled. */
    disableAfterMs: number;
  };
  http: {
    host: string;
    port: number;
    bodyLimitBytes: number;
    requestTimeoutMs: number;
    shutdownTimeoutMs: number;
    /** Origins allowed to call from browsers; empty = CORS off. ["*"] = any. */
    corsOrigins: readonly string[];
    /** Take the client IP from the last X-Forwarded-For hop (behind one trusted proxy). */
    trustProxy: boolean;
  };
};

export type SettingsProblem = { variable: string; message: string };

/** Thrown when the environment is invalid; `message` lists every problem, one per line. */
export class SettingsError extends Error {
  readonly problems: readonly SettingsProblem[];
  constructor(problems: readonly SettingsProblem[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems
        .map((p) => `  - ${p.variable}: ${p.message}`)
        .join("\n")}`,
    );
    this.name = "SettingsError";
    this.problems = problems;
  }
}

export type LoadSettingsOptions = {
  /** Variables to read (usually `process.env`); they win over the file's. */
  env: Readonly<Record<string, string | undefined>>;
  /** A dotenv file read when it exists; `null` reads none. */
  envFile?: string | null;
};

/** Parses and validates settings once; throws a SettingsError naming every bad variable. */
export function loadSettings({ env, envFile = ".env" }: LoadSettingsOptions): Settings {
  const fromFile = envFile && existsSync(envFile) ? parseEnv(readFileSync(envFile, "utf8")) : {};
  // Node reads UV_THREADPOOL_SIZE from the real environment only, so must we.
  const { UV_THREADPOOL_SIZE: _ignored, ...fileValues } = fromFile;
  const merged: Record<string, string | undefined> = { ...fileValues, ...env };
  const result = envSchema.safeParse(merged);
  const ca = readCertificates(result.success ? result.data.MAIL_TLS_CA_FILE : undefined);
  const partial = result.success ? result.data : parseEachVariable(merged);
  const apiKeys = readApiKeys({
    apiKeys: partial.API_KEYS,
    file: partial.API_KEYS_FILE,
    authDisabled: partial.AUTH_DISABLED === true,
  });
  const problems = [
    ...(result.success ? [] : toProblems(result.error)),
    ...crossFieldProblems(partial),
    ...ca.problems,
    ...apiKeys.problems,
  ];
  if (problems.length > 0 || !result.success) {
    // One line per variable: a bad value is not also reported as missing.
    const seen = new Set<string>();
    throw new SettingsError(problems.filter((p) => !seen.has(p.variable) && seen.add(p.variable)));
  }
  return toSettings(result.data, ca.pem, apiKeys.keys);
}

/** The PEM text of MAIL_TLS_CA_FILE (none when unset), or the problem with the file. */
function readCertificates(file: string | undefined): { pem: string | null; problems: SettingsProblem[] } {
  if (file === undefined) return { pem: null, problems: [] };
  const problem = (message: string) => ({ pem: null, problems: [{ variable: "MAIL_TLS_CA_FILE", message }] });
  try {
    const pem = readFileSync(file, "utf8");
    return pem.includes("-----BEGIN CERTIFICATE-----")
      ? { pem, problems: [] }
      : problem(`${file} holds no PEM certificate`);
  } catch (error) {
    const code = error instanceof Error && "code" in error ? String(error.code) : String(error);
    return problem(`cannot read ${file} (${code})`);
  }
}

function parseEachVariable(raw: Record<string, string | undefined>): PartialEnv {
  const entries = Object.entries(envSchema.shape).map(([name, schema]) => [
    name,
    schema.safeParse(raw[name]).data,
  ]);
  return Object.fromEntries(entries) as PartialEnv;
}

function toProblems(error: z.ZodError): SettingsProblem[] {
  return error.issues.map((issue) => ({
    variable: String(issue.path[0] ?? "(environment)"),
    message: issue.message,
  }));
}

function toSettings(env: Env, tlsCa: string | null, apiKeys: readonly ApiKeyEntry[]): Settings {
  const environment = env.APP_ENV ?? env.FLASK_ENV ?? "production";
  const hashConcurrency =
    env.PASSWORD_HASH_CONCURRENCY ??
    // One per core, leaving a pool thread to DNS lookups and file work.
    Math.max(1, Math.min(os.availableParallelism(), env.UV_THREADPOOL_SIZE - 1));
  return {
    environment,
    debug: env.DEBUG ?? env.FLASK_DEBUG ?? environment === "development",
    logLevel: env.LOG_LEVEL,
    role: env.PROCESS_ROLE,
    secretKey: env.SECRET_KEY,
    previousSecretKeys: splitKeys(env.SECRET_KEY_PREVIOUS),
    apiKeys: {
      keys: apiKeys,
      disabled: env.AUTH_DISABLED,
      metricsToken: env.METRICS_TOKEN ?? null,
    },
    activation: {
      codeLifetimeMinutes: env.USER_ACTIVATION_EXPIRATION_MINUTES,
      resendCooldownSeconds: env.ACTIVATION_RESEND_COOLDOWN_SECONDS,
      url: env.ACTIVATION_URL ?? "http://localhost:3000/activate",
    },
    emailChange: {
      confirmUrl: env.EMAIL_CONFIRM_URL ?? "http://localhost:3000/confirm-email",
      revertUrl: env.EMAIL_REVERT_URL ?? "http://localhost:3000/revert-email",
    },
    passwordReset: {
      url: env.RESET_PASSWORD_URL ?? "http://localhost:3000/reset-password",
      expirationMinutes: env.RESET_PASSWORD_EXPIRATION_MINUTES,
      cooldownSeconds: env.RESET_PASSWORD_COOLDOWN_SECONDS,
    },
    loginThrottle: {
      maxFailures: env.LOGIN_MAX_FAILURES,
      maxFailuresPerIp: env.LOGIN_MAX_FAILURES_PER_IP,
      maxMfaFailures: env.MFA_MAX_FAILURES,
      windowSeconds: env.LOGIN_LOCKOUT_SECONDS,
      maxFailuresPerDay: env.LOGIN_MAX_FAILURES_PER_DAY,
      maxMfaFailuresPerDay: env.MFA_MAX_FAILURES_PER_DAY,
    },
    mfa: { issuer: env.MFA_ISSUER },
    passwordPolicy: {
      minScore: env.PASSWORD_MIN_SCORE,
      strengthPerIpPerMinute: env.PASSWORD_STRENGTH_MAX_PER_IP,
    },
    loginCodes: {
      // Off in a production that has not said where the link goes: an upgrade changes nothing.
      enabled: env.LOGIN_CODES_ENABLED ?? (environment !== "production" || env.LOGIN_CODE_URL !== undefined),
      expirationMinutes: env.LOGIN_CODE_EXPIRATION_MINUTES,
      resendCooldownSeconds: env.LOGIN_CODE_RESEND_COOLDOWN_SECONDS,
      url: env.LOGIN_CODE_URL ?? "http://localhost:3000/login-code",
    },
    webauthn: {
      ...webauthnSettingsOf(env),
      rpName: env.WEBAUTHN_RP_NAME ?? env.MFA_ISSUER,
      timeoutSeconds: env.WEBAUTHN_TIMEOUT_SECONDS,
    },
    passwordHashing: {
      memoryCost: env.PASSWORD_HASH_MEMORY_KIB,
      timeCost: env.PASSWORD_HASH_ITERATIONS,
      parallelism: env.PASSWORD_HASH_PARALLELISM,
      concurrency: hashConcurrency,
      // About a second of work on the default parameters (~25 ms per hash per core).
      queueLimit: env.PASSWORD_HASH_QUEUE_LIMIT ?? 50 * hashConcurrency,
      maxWaitMs: env.PASSWORD_HASH_MAX_WAIT_MS,
      runtime: env.PASSWORD_HASH_RUNTIME,
    },
    mongodb: {
      uri: mongoUri(env),
      dbName: env.MONGODB_DB,
      timeoutMs: env.DATABASE_TIMEOUT_MS,
      claimsWriteConcern: env.CLAIMS_WRITE_CONCERN,
    },
    mail: {
      host: env.MAIL_SERVER,
      port: env.MAIL_PORT,
      useTls: env.MAIL_USE_TLS,
      useSsl: env.MAIL_USE_SSL,
      auth:
        env.MAIL_USERNAME && env.MAIL_PASSWORD ? { user: env.MAIL_USERNAME, pass: env.MAIL_PASSWORD } : null,
      defaultSender: env.MAIL_DEFAULT_SENDER,
      timeoutMs: env.MAIL_TIMEOUT_MS,
      tlsCa,
      templatesDir: env.EMAIL_TEMPLATES_DIR ?? null,
      defaultLocale: env.EMAIL_DEFAULT_LOCALE,
      credentialsMayGoInClear:
        Boolean(env.MAIL_USERNAME && env.MAIL_PASSWORD) && !env.MAIL_USE_TLS && !env.MAIL_USE_SSL,
    },
    outbox: {
      pollIntervalMs: env.OUTBOX_POLL_INTERVAL_MS,
      retryBaseMs: env.OUTBOX_RETRY_BASE_MS,
      retryMaxMs: env.OUTBOX_RETRY_MAX_MS,
      maxAttempts: env.OUTBOX_MAX_ATTEMPTS,
      leaseMs: env.OUTBOX_LEASE_MS,
      retentionDays: env.OUTBOX_RETENTION_DAYS,
    },
    audit: { retentionDays: env.AUDIT_RETENTION_DAYS },
    webhooks: {
      allowPrivateTargets: env.WEBHOOKS_ALLOW_PRIVATE_TARGETS,
      allowHttp: environment !== "production" && (env.WEBHOOKS_ALLOW_HTTP ?? true),
      pollIntervalMs: env.WEBHOOKS_POLL_INTERVAL_MS,
      timeoutMs: env.WEBHOOKS_TIMEOUT_MS,
      retryBaseMs: env.WEBHOOKS_RETRY_BASE_MS,
      retryMaxMs: env.WEBHOOKS_RETRY_MAX_MS,
      maxAttempts: env.WEBHOOKS_MAX_ATTEMPTS,
      leaseMs: env.WEBHOOKS_LEASE_MS,
      disableAfterMs: Math.round(env.WEBHOOKS_DISABLE_AFTER_HOURS * 3_600_000),
    },
    http: {
      host: env.HOST,
      port: env.PORT,
      bodyLimitBytes: env.BODY_LIMIT_BYTES,
      requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
      corsOrigins: splitKeys(env.CORS_ORIGINS),
      trustProxy: env.TRUST_PROXY,
    },
  };
}

/** MONGODB_URI wins; otherwise the URI is built from the original MONGODB_* parts. */
function mongoUri(env: Env): string {
  if (env.MONGODB_URI) return env.MONGODB_URI;
  const credentials =
    env.MONGODB_USERNAME !== undefined
      ? `${encodeURIComponent(env.MONGODB_USERNAME)}:${encodeURIComponent(env.MONGODB_PASSWORD ?? "")}@`
      : "";
  return `mongodb://${credentials}${env.MONGODB_HOST}:${env.MONGODB_PORT}/`;
}

/** Reads `process.env` (and ENV_FILE, default `.env`): the one place the process env is read. */
export function loadSettingsFromProcess(): Settings {
  return loadSettings({ env: process.env, envFile: process.env.ENV_FILE ?? ".env" });
}
