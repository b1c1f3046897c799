import { describe, expect, it } from "vitest";
import { createApiKeyVerifier } from "./api-keys";

describe("API key verifier", () => {
  const verify = createApiKeyVerifier({
    apiKeys: ["first-key-0123456789", "second-key-0123456789"],
    disabled: false,
  });

  it("accepts any configured key as a bearer token", () => {
    expect(verify("Bearer first-key-0123456789")).toBe(true);
    expect(verify("bearer second-key-0123456789")).toBe(true);
  });

  it("rejects unknown, partial, missing and non-bearer credentials", () => {
    expect(verify("Bearer first-key-012345678")).toBe(false);
    expect(verify("Bearer first-key-01234567890")).toBe(false);
    expect(verify("first-key-0123456789")).toBe(false);
    expect(verify("Basic Zmlyc3Qta2V5")).toBe(false);
    expect(verify("Bearer ")).toBe(false);
    expect(verify(undefined)).toBe(false);
  });

  it("never matches an empty token, even if a blank key slipped into the list", () => {
    const withBlank = createApiKeyVerifier({ apiKeys: [""], disabled: false });
    expect(withBlank("Bearer ")).toBe(false);
    expect(withBlank(undefined)).toBe(false);
  });

  it("lets everything through only when auth is explicitly disabled", () => {
    expect(createApiKeyVerifier({ apiKeys: [], disabled: true })(undefined)).toBe(true);
  });
});
