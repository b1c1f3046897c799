import { z } from "zod";

/** Accepts Flask-style booleans too: True/False, 1/0, yes/no, on/off (any case). */
const flag = (fallback: boolean) => z.stringbool().default(fallback);
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const port = (fallback: number) => z.coerce.number().int().min(1).max(65_535).default(fallback);
const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === "" ? undefined : value));

export const environments = ["development", "test", "production"] as const;
export const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/**
 * Every environment variable the service reads. Names of the original Python service are
 * kept (SECRET_KEY, MONGODB_*, MAIL_*, FLASK_ENV/FLASK_DEBUG as aliases of APP_ENV/DEBUG).
 */
export const envSchema = z
  .object({
    APP_ENV: z.enum(environments).optional(),
    FLASK_ENV: z.enum(environments).optional(),
    DEBUG: z.stringbool().optional(),
    FLASK_DEBUG: z.stringbool().optional(),
    SECRET_KEY: z.string({ error: "is required" }).min(1, "is required"),
    /** Older keys, comma-separated: still accepted when reading, never used to write. */
    SECRET_KEY_PREVIOUS: optionalText,
    USER_ACTIVATION_EXPIRATION_MINUTES: positiveInt(60),
    RESET_PASSWORD_EXPIRATION_MINUTES: positiveInt(15),

    MONGODB_URI: optionalText.pipe(
      z
        .string()
        .regex(/^mongodb(\+srv)?:\/\//, "must start with mongodb:// or mongodb+srv://")
        .optional(),
    ),
    MONGODB_DB: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,63}$/, "must be 1-63 letters, digits, '_' or '-'")
      .default("users_db"),
    MONGODB_HOST: z.string().min(1).default("localhost"),
    MONGODB_PORT: port(27_017),
    MONGODB_USERNAME: optionalText,
    MONGODB_PASSWORD: optionalText,
    DATABASE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(1_500),
    /** Write concern `w` of claims (and throttle locks): "majority" or a number of members. */
    CLAIMS_WRITE_CONCERN: z
      .string()
      .trim()
      .regex(/^(majority|[1-9][0-9]?)$/, 'must be "majority" or a number of members (1-99)')
      .default("majority")
      .transform((value) => (value === "majority" ? "majority" : Number(value))),

    MAIL_SERVER: z.string().min(1).default("localhost"),
    MAIL_PORT: port(587),
    MAIL_USE_TLS: flag(false),
    MAIL_USE_SSL: flag(false),
    MAIL_USERNAME: optionalText,
    MAIL_PASSWORD: optionalText,
    MAIL_DEFAULT_SENDER: z.string().min(3).default("noreply@localhost"),
    /** Lets production send SMTP credentials over a connection that may stay in clear text. */
    MAIL_ALLOW_INSECURE: flag(false),
    /** PEM file of the CA (or self-signed certificate) to trust for the SMTP server's TLS. */
    MAIL_TLS_CA_FILE: optionalText,

    HOST: z.string().min(1).default("127.0.0.1"),
    PORT: z.coerce.number().int().min(0).max(65_535).default(8000),
    /** Callers' keys: `<name>/<scopes>/sha256:<digest>` entries, or plain keys (full access). */
    API_KEYS: optionalText,
    /** A JSON file of named, scoped keys: `{ "keys": [{ "name", "scopes", "sha256" }] }`. */
    API_KEYS_FILE: optionalText,
    AUTH_DISABLED: flag(false),
    LOG_LEVEL: z.enum(logLevels).default("info"),
    REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
    CORS_ORIGINS: optionalText.pipe(
      z
        .string()
        .regex(
          /^(\*|https?:\/\/[^,\s]+)(\s*,\s*https?:\/\/[^,\s]+)*$/,
          "must be * or comma-separated http(s) origins",
        )
        .optional(),
    ),
    METRICS_TOKEN: optionalText.pipe(z.string().min(16, "must be at least 16 characters").optional()),
    PROCESS_ROLE: z.enum(["all", "api", "worker"]).default("all"),
    BODY_LIMIT_BYTES: z.coerce.number().int().min(1_024).max(1_048_576).default(16_384),

    PASSWORD_HASH_MEMORY_KIB: z.coerce
      .number()
      .int()
      .min(19_456, "must be at least 19456 (OWASP's floor for argon2id)")
      .max(4_194_304)
      .default(19_456),
    PASSWORD_HASH_ITERATIONS: z.coerce.number().int().min(2, "must be at least 2 (OWASP)").max(64).default(2),
    PASSWORD_HASH_PARALLELISM: z.coerce.number().int().min(1).max(16).default(1),
    /** Unset: one per core, at most UV_THREADPOOL_SIZE - 1 (set it to the CPU quota in containers). */
    PASSWORD_HASH_CONCURRENCY: z.coerce.number().int().min(1).max(64).optional(),
    /** Hashes that may wait for a slot; more get 503 SERVICE_BUSY. Unset: 50 per concurrent hash. */
    PASSWORD_HASH_QUEUE_LIMIT: z.coerce.number().int().min(0).max(100_000).optional(),
    /** A hash whose estimated wait (calls ahead x measured hash time / concurrency) is longer gets 503 SERVICE_BUSY. */
    PASSWORD_HASH_MAX_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(500),
    /** Where argon2 runs: child processes at a lowered CPU priority, or this process's libuv pool. */
    PASSWORD_HASH_RUNTIME: z.enum(["child-process", "in-process"]).default("child-process"),
    /** Read by Node itself (libuv's thread pool, where argon2 runs); read here to size the above. */
    UV_THREADPOOL_SIZE: z.coerce.number().int().min(1).max(1024).default(4),

    RESET_PASSWORD_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
    ACTIVATION_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
    EMAIL_CONFIRM_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
    EMAIL_REVERT_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
    RESET_PASSWORD_COOLDOWN_SECONDS: z.coerce.number().int().min(0).max(86_400).default(60),
    LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(1_000).default(5),
    LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().min(1).max(100_000).default(100),
    LOGIN_MAX_FAILURES_PER_DAY: z.coerce.number().int().min(1).max(1_000).default(20),
    MFA_ISSUER: z.string().trim().min(1).max(64).default("Users Service"),
    MFA_MAX_FAILURES: z.coerce.number().int().min(1).max(1_000).default(5),
    MFA_MAX_FAILURES_PER_DAY: z.coerce.number().int().min(1).max(1_000).default(20),
    /** The WebAuthn relying party: a registrable domain (no scheme, no port). Unset: ACTIVATION_URL's host. */
    WEBAUTHN_RP_ID: z
      .string()
      .trim()
      .toLowerCase()
      .regex(
        /^(?=.{1,253}$)[a-z0-9-]+(\.[a-z0-9-]+)*$/,
        "must be a domain name, e.g. example.com (no scheme, no port)",
      )
      .optional(),
    /** The name passkey prompts show. Unset: MFA_ISSUER. */
    WEBAUTHN_RP_NAME: z.string().trim().min(1).max(64).optional(),
    /** Origins whose pages may run passkey ceremonies, comma-separated. Unset: ACTIVATION_URL's origin. */
    WEBAUTHN_ORIGINS: optionalText,
    /** How long a passkey ceremony's challenge lives (options to verify). */
    WEBAUTHN_TIMEOUT_SECONDS: z.coerce.number().int().min(30).max(3_600).default(300),
    LOGIN_LOCKOUT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
    TRUST_PROXY: flag(false),
    ACTIVATION_RESEND_COOLDOWN_SECONDS: z.coerce.number().int().min(0).max(86_400).default(60),
    /** New passwords need at least this zxcvbn score (0 too guessable .. 4 very unguessable). */
    PASSWORD_MIN_SCORE: z.coerce.number().int().min(0).max(4).default(3),
    /** Calls of password/strength per client network per minute (with TRUST_PROXY). */
    PASSWORD_STRENGTH_MAX_PER_IP: z.coerce.number().int().min(1).max(100_000).default(120),
    /** Emailed one-time login codes; unset: on outside production, in production once LOGIN_CODE_URL is set. */
    LOGIN_CODES_ENABLED: z.stringbool().optional(),
    /** The page of the app the login code email's one-click link opens (`?token=...`). */
    LOGIN_CODE_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
    LOGIN_CODE_EXPIRATION_MINUTES: z.coerce.number().int().min(1).max(60).default(10),
    LOGIN_CODE_RESEND_COOLDOWN_SECONDS: z.coerce.number().int().min(0).max(86_400).default(60),
    /** An operator's folder of email templates overriding ours per kind and locale (docs/emails.md). */
    EMAIL_TEMPLATES_DIR: optionalText,
    /** The locale of users without one (BCP 47; canonicalised). */
    EMAIL_DEFAULT_LOCALE: z
      .string()
      .default("en")
      .transform((value, ctx) => {
        try {
          const [canonical] = Intl.getCanonicalLocales(value.trim());
          if (canonical) return canonical;
        } catch {}
        ctx.addIssue({ code: "custom", message: "must be a BCP 47 language tag (e.g. en, de, pt-BR)" });
        return z.NEVER;
      }),
    MAIL_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
    OUTBOX_POLL_INTERVAL_MS: z.coerce.number().int().min(20).max(60_000).default(1_000),
    OUTBOX_RETRY_BASE_MS: z.coerce.number().int().min(10).max(600_000).default(1_000),
    OUTBOX_RETRY_MAX_MS: z.coerce.number().int().min(10).max(86_400_000).default(300_000),
    OUTBOX_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100_000).default(100),
    OUTBOX_LEASE_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
    OUTBOX_RETENTION_DAYS: z.coerce.number().int().min(1).max(3_650).default(7),
    /** Audit events (and the webhook delivery log) are deleted this many days after they happened. */
    AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3_650).default(90),
    /** Lets webhook targets resolve to loopback, private, link-local or metadata addresses (dev, tests). */
    WEBHOOKS_ALLOW_PRIVATE_TARGETS: flag(false),
    /** Lets webhook targets use http:// (outside production only; production always needs https). */
    WEBHOOKS_ALLOW_HTTP: optionalText.pipe(z.stringbool().optional()),
    WEBHOOKS_POLL_INTERVAL_MS: z.coerce.number().int().min(20).max(60_000).default(1_000),
    WEBHOOKS_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
    WEBHOOKS_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(10_000),
    WEBHOOKS_RETRY_MAX_MS: z.coerce.number().int().min(10).max(86_400_000).default(43_200_000),
    WEBHOOKS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1_000).default(18),
    WEBHOOKS_LEASE_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
    /** A subscription failing without a single success for this long (and 10+ tries) is disabled. */
    WEBHOOKS_DISABLE_AFTER_HOURS: z.coerce.number().min(0.0001).max(8_760).default(72),
  })
  .strip();

export type Env = z.output<typeof envSchema>;

/** Lenient view used for cross-field checks: each variable parsed alone, bad ones undefined. */
export type PartialEnv = { [K in keyof Env]?: Env[K] };

/** Rules that involve several variables; run even when some variables are invalid. */
export function crossFieldProblems(env: PartialEnv): { variable: string; message: string }[] {
  const problems: { variable: string; message: string }[] = [];
  const environment = env.APP_ENV ?? env.FLASK_ENV ?? "production";
  if (environment !== "development" && env.SECRET_KEY !== undefined && env.SECRET_KEY.length < 32) {
    problems.push({
      variable: "SECRET_KEY",
      message: `must be at least 32 characters outside development (got ${env.SECRET_KEY.length})`,
    });
  }
  const previous = splitKeys(env.SECRET_KEY_PREVIOUS);
  const short = previous.findIndex((key) => key.length < 32);
  if (environment !== "development" && short >= 0) {
    problems.push({
      variable: "SECRET_KEY_PREVIOUS",
      message: `every key must be at least 32 characters outside development (key ${short + 1} has ${previous[short]?.length}); keys are separated by commas`,
    });
  } else if (env.SECRET_KEY !== undefined && previous.includes(env.SECRET_KEY)) {
    problems.push({
      variable: "SECRET_KEY_PREVIOUS",
      message: "must not list SECRET_KEY itself: it holds the keys used before the current one",
    });
  }
  if (environment === "production" && env.RESET_PASSWORD_URL === undefined) {
    problems.push({
      variable: "RESET_PASSWORD_URL",
      message:
        "is required in production: the page of your app that takes ?token=... (e.g. https://app.example.com/reset-password)",
    });
  }
  const linkPages = {
    ACTIVATION_URL: ["takes ?token=... and activates the account", "https://app.example.com/activate"],
    EMAIL_CONFIRM_URL: [
      "takes ?token=... and confirms an email change",
      "https://app.example.com/confirm-email",
    ],
    EMAIL_REVERT_URL: [
      "takes ?token=... and reverts an email change (link sent to the old address)",
      "https://app.example.com/revert-email",
    ],
  } as const;
  for (const [variable, [what, example]] of Object.entries(linkPages)) {
    if (environment === "production" && env[variable as keyof typeof linkPages] === undefined) {
      problems.push({
        variable,
        message: `is required in production: the page of your app that ${what} (e.g. ${example})`,
      });
    }
  }
  problems.push(...webauthnProblems(env));
  if (env.MAIL_USE_TLS && env.MAIL_USE_SSL) {
    problems.push({
      variable: "MAIL_USE_SSL",
      message: "cannot be true together with MAIL_USE_TLS (SSL is TLS from connect, TLS is STARTTLS)",
    });
  }
  if (
    environment === "production" &&
    env.MAIL_USERNAME &&
    env.MAIL_PASSWORD &&
    env.MAIL_USE_TLS === false &&
    env.MAIL_USE_SSL === false &&
    env.MAIL_ALLOW_INSECURE !== true
  ) {
    problems.push({
      variable: "MAIL_USE_TLS",
      message:
        "must be true (STARTTLS required) or MAIL_USE_SSL true when MAIL_USERNAME/MAIL_PASSWORD are set in production: otherwise the credentials may go in clear text (MAIL_ALLOW_INSECURE=true allows it)",
    });
  }
  if (Boolean(env.MAIL_USERNAME) !== Boolean(env.MAIL_PASSWORD)) {
    problems.push({
      variable: env.MAIL_USERNAME ? "MAIL_PASSWORD" : "MAIL_USERNAME",
      message: "MAIL_USERNAME and MAIL_PASSWORD must be set together",
    });
  }
  if (environment === "production" && env.LOGIN_CODES_ENABLED === true && env.LOGIN_CODE_URL === undefined) {
    problems.push({
      variable: "LOGIN_CODE_URL",
      message:
        "is required in production when LOGIN_CODES_ENABLED=true: the page of your app that takes ?token=... and signs the user in (e.g. https://app.example.com/login-code)",
    });
  }
  if (env.AUTH_DISABLED && environment !== "development") {
    problems.push({ variable: "AUTH_DISABLED", message: "may only be true when APP_ENV=development" });
  }
  return problems;
}

/** Splits a comma-separated list (SECRET_KEY_PREVIOUS, CORS_ORIGINS), ignoring blanks around commas. */
export function splitKeys(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((key) => key.trim())
    .filter((key) => key.length > 0);
}

/** The page every link of ours opens, whose host and origin passkeys default to. */
const defaultAppUrl = "http://localhost:3000/activate";

/**
 * The WebAuthn relying party: WEBAUTHN_RP_ID (default ACTIVATION_URL's host, which
 * production requires) and WEBAUTHN_ORIGINS (default ACTIVATION_URL's origin).
 */
export function webauthnSettingsOf(env: PartialEnv): { rpId: string; origins: string[] } {
  const app = new URL(env.ACTIVATION_URL ?? defaultAppUrl);
  const rpId = env.WEBAUTHN_RP_ID ?? app.hostname;
  const listed = splitKeys(env.WEBAUTHN_ORIGINS);
  return { rpId, origins: listed.length > 0 ? listed : [app.origin] };
}

/** Each origin is http(s) with no path, on the RP ID or a subdomain; https unless on localhost. */
function webauthnProblems(env: PartialEnv): { variable: string; message: string }[] {
  const { rpId, origins } = webauthnSettingsOf(env);
  const problems: { variable: string; message: string }[] = [];
  for (const origin of origins) {
    let url: URL | null = null;
    try {
      url = new URL(origin);
    } catch {}
    const host = url?.hostname ?? "";
    const local = host === "localhost" || host.endsWith(".localhost");
    if (!url || url.origin !== origin) {
      problems.push({
        variable: "WEBAUTHN_ORIGINS",
        message: `${origin} is not an origin: scheme, host and port only (e.g. https://app.example.com)`,
      });
    } else if (url.protocol !== "https:" && !local) {
      problems.push({
        variable: "WEBAUTHN_ORIGINS",
        message: `${origin} must be https (browsers run passkeys only in secure contexts; http only on localhost)`,
      });
    } else if (host !== rpId && !host.endsWith(`.${rpId}`)) {
      problems.push({
        variable: "WEBAUTHN_ORIGINS",
        message: `${origin} is not on the relying party ${rpId} (WEBAUTHN_RP_ID) or one of its subdomains`,
      });
    }
  }
  return problems;
}
