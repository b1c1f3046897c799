import { type ApiKeyEntry, digestApiKey } from "@usersvc/config";
import { describe, expect, it } from "vitest";
import { createApiKeyAuthenticator, createBearerTokenCheck, createCallerResolver } from "./api-keys";
import { apiScopes } from "./trpc";

const billingKey = "usk_billing-key-0123456789";
const legacyKey = "first-key-0123456789";
const keys: ApiKeyEntry[] = [
  { name: "billing", scopes: ["users:read"], sha256: digestApiKey(billingKey), legacy: false },
  { name: "legacy-2", scopes: "all", sha256: digestApiKey(legacyKey), legacy: true },
];

describe("API key authenticator", () => {
  const authenticate = createApiKeyAuthenticator({ keys, disabled: false });

  it("finds the named key of a bearer token, with its scopes", () => {
    expect(authenticate(`Bearer ${billingKey}`)).toEqual({ name: "billing", scopes: ["users:read"] });
    expect(authenticate(`bearer ${legacyKey}`)).toEqual({ name: "legacy-2", scopes: apiScopes });
  });

  it("rejects unknown, partial, missing and non-bearer credentials", () => {
    expect(authenticate("Bearer first-key-012345678")).toBeNull();
    expect(authenticate("Bearer first-key-01234567890")).toBeNull();
    expect(authenticate(legacyKey)).toBeNull();
    // The digest itself is not the key.
    expect(authenticate(`Bearer ${digestApiKey(billingKey)}`)).toBeNull();
    expect(authenticate("Basic Zmlyc3Qta2V5")).toBeNull();
    expect(authenticate("Bearer ")).toBeNull();
    expect(authenticate(undefined)).toBeNull();
  });

  it("never matches an empty token, even when the digest of an empty key is configured", () => {
    const blank = createApiKeyAuthenticator({
      keys: [{ name: "blank", scopes: "all", sha256: digestApiKey(""), legacy: true }],
      disabled: false,
    });
    expect(blank("Bearer ")).toBeNull();
    expect(blank(undefined)).toBeNull();
  });

  it("refuses to start with a scope it does not know, naming the key", () => {
    const typo: ApiKeyEntry = {
      name: "billing",
      scopes: ["users:reed"],
      sha256: "0".repeat(64),
      legacy: false,
    };
    expect(() => createApiKeyAuthenticator({ keys: [typo], disabled: false })).toThrow(
      /API key billing: unknown scope users:reed/,
    );
  });

  it("lets everything through with every scope only when auth is explicitly disabled", () => {
    expect(createApiKeyAuthenticator({ keys: [], disabled: true })(undefined)).toEqual({
      name: "auth-disabled",
      scopes: apiScopes,
    });
  });

  it("authenticates a request once, however often it is asked", () => {
    let calls = 0;
    const callerOf = createCallerResolver((authorization) => {
      calls++;
      return authenticate(authorization);
    });
    const req = { headers: { authorization: `Bearer ${billingKey}` } };
    expect(callerOf(req)?.name).toBe("billing");
    expect(callerOf(req)?.name).toBe("billing");
    expect(calls).toBe(1);
  });
});

describe("bearer token check (METRICS_TOKEN)", () => {
  it("takes exactly the token", () => {
    const check = createBearerTokenCheck("metrics-token-0123456789");
    expect(check("Bearer metrics-token-0123456789")).toBe(true);
    expect(check("Bearer metrics-token-012345678")).toBe(false);
    expect(check(undefined)).toBe(false);
  });
});
