import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { ApiKeyEntry } from "@usersvc/config";
import type { ApiCaller } from "./context";
import { type ApiScope, apiScopes } from "./trpc";

export type { ApiCaller };

/** The caller of every request while AUTH_DISABLED=true (development only). */
export const authDisabledCaller: ApiCaller = { name: "auth-disabled", scopes: apiScopes };

const digest = (value: string) => createHash("sha256").update(value).digest();
const bearer = (authorization: string | undefined) => /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? "")?.[1];

/** The scopes of a configured key; an unknown scope name stops the start, naming the key. */
function scopesOf(key: ApiKeyEntry): readonly ApiScope[] {
  if (key.scopes === "all") return apiScopes;
  const known = new Set<string>(apiScopes);
  const unknown = key.scopes.filter((scope) => !known.has(scope));
  if (unknown.length > 0) {
    throw new Error(
      `API key ${key.name}: unknown scope ${unknown.join(", ")} (known: ${apiScopes.join(", ")}, or * for all)`,
    );
  }
  return apiScopes.filter((scope) => key.scopes.includes(scope));
}

/**
 * Finds the caller of `Authorization: Bearer <key>` among the configured keys, in constant
 * time: the presented key's SHA-256 is compared with every configured digest (no early
 * exit), so timing reveals neither which key matched nor how much of it. Null: no key, or
 * not a configured one. With `disabled`, every request is `authDisabledCaller`.
 */
export function createApiKeyAuthenticator(options: {
  keys: readonly ApiKeyEntry[];
  disabled: boolean;
}): (authorization: string | undefined) => ApiCaller | null {
  const callers = options.keys.map((key) => ({
    digest: Buffer.from(key.sha256, "hex"),
    caller: { name: key.name, scopes: scopesOf(key) },
  }));
  if (options.disabled) return () => authDisabledCaller;
  return (authorization) => {
    const token = bearer(authorization);
    const presented = digest(token ?? "");
    let found: ApiCaller | null = null;
    for (const entry of callers) {
      const equal = entry.digest.length === presented.length && timingSafeEqual(entry.digest, presented);
      found = equal ? entry.caller : found;
    }
    return token === undefined ? null : found;
  };
}

/** Checks a single bearer token (METRICS_TOKEN) in constant time. */
export function createBearerTokenCheck(token: string): (authorization: string | undefined) => boolean {
  const expected = digest(token);
  return (authorization) => {
    const presented = bearer(authorization);
    return timingSafeEqual(expected, digest(presented ?? "")) && presented !== undefined;
  };
}

/** Resolves a request's caller once (logs, metrics, body limits and procedures all ask). */
export function createCallerResolver(authenticate: (authorization: string | undefined) => ApiCaller | null) {
  const callers = new WeakMap<object, ApiCaller | null>();
  return (req: { headers: { authorization?: string | undefined } }): ApiCaller | null => {
    let caller = callers.get(req);
    if (caller === undefined) {
      caller = authenticate(req.headers.authorization);
      callers.set(req, caller);
    }
    return caller;
  };
}

export type CallerResolver = ReturnType<typeof createCallerResolver>;

/** Whether a request may read /metrics: yes, no (no or not a valid token/key), or a key lacking `admin`. */
export type MetricsAccess = (req: IncomingMessage) => "allowed" | "unauthorized" | "forbidden";

/**
 * Who reads /metrics: the METRICS_TOKEN alone when set; otherwise a key holding `admin` (the
 * request counts name every caller's key and its traffic: not for a least-privilege key).
 */
export function metricsAccess(metricsToken: string | null, callerOf: CallerResolver): MetricsAccess {
  if (metricsToken) {
    const check = createBearerTokenCheck(metricsToken);
    return (req) => (check(req.headers.authorization) ? "allowed" : "unauthorized");
  }
  return (req) => {
    const caller = callerOf(req);
    if (!caller) return "unauthorized";
    return caller.scopes.includes("admin") ? "allowed" : "forbidden";
  };
}
