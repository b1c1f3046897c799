import { describe, expect, it } from "vitest";
import {
  currentTotp,
  newRecoveryCodes,
  newTotpSecret,
  normalizeRecoveryCode,
  totpUri,
  verifyTotp,
} from "./totp";

describe("TOTP helpers", () => {
  it("makes 160-bit base32 secrets", () => {
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(newTotpSecret()).not.toBe(secret);
  });

  it("accepts the current code and one step either side, refusing steps already used", async () => {
    const secret = newTotpSecret();
    const now = Math.floor(Date.now() / 1000);
    const step = await verifyTotp({ secret, code: await currentTotp(secret, now) });
    expect(step).toBe(Math.floor(now / 30));
    expect(await verifyTotp({ secret, code: await currentTotp(secret, now - 30) })).not.toBeNull();
    expect(await verifyTotp({ secret, code: await currentTotp(secret, now - 120) })).toBeNull();
    expect(await verifyTotp({ secret, code: await currentTotp(secret, now), afterStep: step })).toBeNull();
  });

  it("puts issuer, label and secret in the otpauth URL", () => {
    const url = new URL(
      totpUri({ issuer: "Users Service", label: "john@example.com", secret: "JBSWY3DPEHPK3PXP" }),
    );
    expect(url.protocol).toBe("otpauth:");
    expect(url.searchParams.get("secret")).toBe("JBSWY3DPEHPK3PXP");
    expect(url.searchParams.get("issuer")).toBe("Users Service");
    expect(decodeURIComponent(url.pathname)).toContain("john@example.com");
  });

  it("makes 10 distinct recovery codes that survive case and dash changes", () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    const first = codes[0] ?? "";
    expect(first).toMatch(/^[A-Z2-9]{5}-[A-Z2-9]{5}$/);
    expect(normalizeRecoveryCode(first.toLowerCase().replace("-", " "))).toBe(first.replace("-", ""));
  });
});
