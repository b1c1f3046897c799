import { currentTotp } from "@usersvc/core";
import { createActiveUser, startTestServer } from "@usersvc/server/testing";
import { describe, expect, it } from "vitest";
import { createUsersClient, errorCodeOf } from "../src/index";

describe("SDK: login checks and MFA", () => {
  it("checks credentials, enrols TOTP and logs in with a code", async () => {
    await using server = await startTestServer();
    const client = createUsersClient({ url: server.url, apiKey: server.apiKey });
    const user = await createActiveUser(server);

    const checked = await client.auth.check({ identifier: user.email, password: user.password });
    expect(checked.id).toBe(user.id);
    const wrong = await client.auth
      .check({ identifier: user.email, password: "Wrong-password-1" })
      .catch((e: unknown) => e);
    expect(errorCodeOf(wrong)).toBe("INVALID_CREDENTIALS");

    const { secret, otpauth_url } = await client.mfa.enable({
      id: user.id,
      current_password: user.password,
    });
    expect(otpauth_url).toContain(secret);
    const now = Math.floor(Date.now() / 1000);
    const { recovery_codes } = await client.mfa.confirm({
      id: user.id,
      code: await currentTotp(secret, now - 30),
    });
    expect(recovery_codes).toHaveLength(10);

    const required = await client.auth
      .check({ identifier: user.email, password: user.password })
      .catch((e: unknown) => e);
    expect(errorCodeOf(required)).toBe("MFA_REQUIRED");
    const passed = await client.auth.check({
      identifier: user.email,
      password: user.password,
      totp_code: await currentTotp(secret, now),
    });
    expect(passed.mfa_enabled).toBe(true);

    const forgot = await client.password.forgot({ identifier: user.email });
    expect(forgot.message).toBe("If the email exists, a reset link has been sent.");
  });
});
