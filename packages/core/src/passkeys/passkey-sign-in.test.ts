import { afterEach, describe, expect, it, vi } from "vitest";
import { domainErrorOf, seedMfa, seedUser, storedUser, testLimits, totpIn } from "../../test/fakes";
import { passkeyFixture, request, rp } from "../../test/passkey-fixture";
import { createSoftwareAuthenticator } from "../../test/software-authenticator";

afterEach(() => {
  vi.useRealTimers();
});

describe("passkey sign-in", () => {
  it("signs in with a registered passkey (a real signature), answering the user like auth/check", async () => {
    const { f, passkeys, register, assertion, events } = passkeyFixture();
    const { user } = await seedUser(f);
    const { authenticator } = await register(user.id);
    const signedIn = await passkeys.signIn.verify(
      { response: await assertion(authenticator, user.email) },
      request,
    );
    expect(signedIn).toMatchObject({ id: user.id, email: user.email });
    expect(Object.keys(signedIn)).not.toContain("password_hash");
    const [stored] = await f.passkeys.listForUser(user.id);
    expect(stored?.counter).toBe(2); // one at registration, one now
    expect(stored?.last_used_at).toBeInstanceOf(Date);
    expect(events.at(-1)).toMatchObject({
      type: "login.succeeded",
      userId: user.id,
      details: { method: "passkey" },
    });
  });

  it("refuses a replayed assertion: each challenge works once", async () => {
    const { f, passkeys, register, assertion } = passkeyFixture();
    const { user } = await seedUser(f);
    const { authenticator } = await register(user.id, { counts: false });
    const response = await assertion(authenticator, user.username);
    await passkeys.signIn.verify({ response }, request);
    const replay = await domainErrorOf(passkeys.signIn.verify({ response }, request));
    expect(replay.code).toBe("PASSKEY_CHALLENGE_INVALID");
    // Of two uses at once, one wins.
    const again = await assertion(authenticator, user.username);
    const results = await Promise.allSettled([
      passkeys.signIn.verify({ response: again }, request),
      passkeys.signIn.verify({ response: again }, request),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  });

  it("refuses an expired challenge", async () => {
    const { f, passkeys, register } = passkeyFixture();
    const { user } = await seedUser(f);
    const { authenticator } = await register(user.id);
    vi.useFakeTimers({ toFake: ["Date"] });
    const options = await passkeys.signIn.options({ identifier: user.email });
    vi.setSystemTime(Date.now() + rp.timeoutSeconds * 1_000 + 1);
    const late = await domainErrorOf(
      passkeys.signIn.verify({ response: authenticator.assert(options) }, request),
    );
    expect(late.code).toBe("PASSKEY_CHALLENGE_INVALID");
  });

  it("binds a challenge to its ceremony and user: another user's passkey or a registration challenge is refused", async () => {
    const { f, passkeys, register, assertion } = passkeyFixture();
    const { user: alice } = await seedUser(f);
    const { user: bob } = await seedUser(f);
    await register(alice.id);
    const { authenticator: bobs } = await register(bob.id);
    const forAlice = await domainErrorOf(
      passkeys.signIn.verify({ response: await assertion(bobs, alice.email) }, request),
    );
    expect(forAlice.code).toBe("INVALID_PASSKEY");
    const creation = await passkeys.registration.options(
      { id: bob.id, current_password: "correct horse battery staple" },
      request,
    );
    const wrongCeremony = await domainErrorOf(
      passkeys.signIn.verify(
        { response: bobs.assert({ challenge: creation.challenge, rpId: rp.id }) },
        request,
      ),
    );
    expect(wrongCeremony.code).toBe("PASSKEY_CHALLENGE_INVALID");
    // Made-up challenges are not ours.
    const forged = await domainErrorOf(
      passkeys.signIn.verify({ response: bobs.assert({ challenge: "Zm9yZ2Vk", rpId: rp.id }) }, request),
    );
    expect(forged.code).toBe("PASSKEY_CHALLENGE_INVALID");
  });

  it("checks the origin, the RP id and the user handle", async () => {
    const { f, passkeys, register, assertion } = passkeyFixture();
    const { user } = await seedUser(f);
    const { authenticator } = await register(user.id);
    authenticator.state.origin = "https://evil.example.net";
    expect(
      (await domainErrorOf(passkeys.signIn.verify({ response: await assertion(authenticator) }, request)))
        .code,
    ).toBe("INVALID_PASSKEY");
    authenticator.state.origin = "https://app.example.com";
    const options = await passkeys.signIn.options({});
    const otherRp = await domainErrorOf(
      passkeys.signIn.verify({ response: authenticator.assert(options, "evil.example.net") }, request),
    );
    expect(otherRp.code).toBe("INVALID_PASSKEY");
    authenticator.state.userHandle = Buffer.from(f.users.newId()).toString("base64url");
    expect(
      (await domainErrorOf(passkeys.signIn.verify({ response: await assertion(authenticator) }, request)))
        .code,
    ).toBe("INVALID_PASSKEY"); // A discoverable sign-in names its user: an answer without user handle is not one
    // (WebAuthn: "verify that response.userHandle is present"); with an identifier it may lack one.
    const owners = authenticator.state.userHandle;
    authenticator.state.userHandle = null;
    expect(
      (await domainErrorOf(passkeys.signIn.verify({ response: await assertion(authenticator) }, request)))
        .code,
    ).toBe("INVALID_PASSKEY");
    expect(
      (await passkeys.signIn.verify({ response: await assertion(authenticator, user.email) }, request)).id,
    ).toBe(user.id);
    authenticator.state.userHandle = owners;
  });

  it("refuses and reports a signature counter that goes backwards (a cloned authenticator?)", async () => {
    const { f, passkeys, register, assertion, warnings } = passkeyFixture();
    const { user } = await seedUser(f);
    const { authenticator, passkey } = await register(user.id);
    await passkeys.signIn.verify({ response: await assertion(authenticator) }, request);
    authenticator.state.counter = 0; // the clone's next signature counts 1
    const clone = await domainErrorOf(
      passkeys.signIn.verify({ response: await assertion(authenticator) }, request),
    );
    expect(clone.code).toBe("INVALID_PASSKEY");
    expect(warnings).toEqual([
      expect.objectContaining({ userId: user.id, credentialId: passkey.id, counter: 1 }),
    ]);
    expect((await storedUser(f, user.id)).id).toBe(user.id);
    authenticator.state.counter = 10;
    await passkeys.signIn.verify({ response: await assertion(authenticator) }, request);
  });

  it("accepts authenticators without a counter (always 0) again and again", async () => {
    const { f, passkeys, register, assertion, warnings } = passkeyFixture();
    const { user } = await seedUser(f);
    const { authenticator } = await register(user.id, { counts: false });
    for (let i = 0; i < 3; i++)
      await passkeys.signIn.verify({ response: await assertion(authenticator) }, request);
    expect(warnings).toEqual([]);
  });

  it("counts a passkey with user verification as both factors; without it, MFA users add their TOTP code", async () => {
    const { f, passkeys, register, assertion } = passkeyFixture();
    const { user } = await seedUser(f);
    const { authenticator } = await register(user.id);
    const { secret } = await seedMfa(f, user.id);
    const both = await passkeys.signIn.verify({ response: await assertion(authenticator) }, request);
    expect(both).toMatchObject({ id: user.id, mfa_enabled: true });
    authenticator.state.userVerification = false;
    const noCode = await domainErrorOf(
      passkeys.signIn.verify({ response: await assertion(authenticator) }, request),
    );
    expect(noCode.code).toBe("MFA_REQUIRED");
    const withCode = await passkeys.signIn.verify(
      { response: await assertion(authenticator), totp_code: await totpIn(secret) },
      request,
    );
    expect(withCode.id).toBe(user.id);
  });

  it("answers USER_NOT_ACTIVE only after a verified passkey", async () => {
    const { f, passkeys, register, assertion } = passkeyFixture();
    const { user } = await seedUser(f);
    const { authenticator } = await register(user.id);
    f.users.set(user.id, { is_active: false });
    const inactive = await domainErrorOf(
      passkeys.signIn.verify({ response: await assertion(authenticator) }, request),
    );
    expect(inactive.code).toBe("USER_NOT_ACTIVE");
  });

  it("throttles failures per account like passwords, apart from the password's slots", async () => {
    const { f, passkeys, register, assertion } = passkeyFixture();
    const { user } = await seedUser(f);
    const { authenticator } = await register(user.id);
    authenticator.state.origin = "https://evil.example.net";
    for (let i = 0; i < testLimits.account; i++) {
      const failed = await domainErrorOf(
        passkeys.signIn.verify({ response: await assertion(authenticator) }, request),
      );
      expect(failed.code).toBe("INVALID_PASSKEY");
    }
    authenticator.state.origin = "https://app.example.com";
    const locked = await domainErrorOf(
      passkeys.signIn.verify({ response: await assertion(authenticator) }, request),
    );
    expect(locked.code).toBe("TOO_MANY_ATTEMPTS");
    expect(locked.retryAfterSeconds).toBeGreaterThan(0);
    expect(f.locks.all().has(`throttle:password:user:${user.id}`)).toBe(false);
  });
});

describe("passkey sign-in options", () => {
  it("lists a known user's passkeys", async () => {
    const { f, passkeys, register } = passkeyFixture();
    const { user } = await seedUser(f);
    const { passkey: one } = await register(user.id);
    const { passkey: two } = await register(user.id);
    const options = await passkeys.signIn.options({ identifier: user.username });
    expect(options.allowCredentials?.map((c) => c.id)).toEqual([one.id, two.id]);
    expect(options).toMatchObject({ rpId: rp.id, userVerification: "preferred" });
  });

  it("gives an unknown identifier and a user without passkeys the same shape: a stable decoy", async () => {
    const { f, passkeys } = passkeyFixture();
    const { user } = await seedUser(f);
    const unknown = await passkeys.signIn.options({ identifier: "nobody@example.com" });
    const none = await passkeys.signIn.options({ identifier: user.email });
    const shape = (o: typeof unknown) =>
      JSON.stringify(o, (_key, value) => (typeof value === "string" ? value.length : value));
    // The challenge too: its sealed grant names the user of a known identifier, none of an
    // unknown one, and a sealing is as long as what it seals.
    expect(shape(none)).toBe(shape(unknown));
    const again = await passkeys.signIn.options({ identifier: "NOBODY@example.com" });
    expect(again.allowCredentials).toEqual(unknown.allowCredentials);
    expect(none.allowCredentials).not.toEqual(unknown.allowCredentials);
    expect(again.challenge).not.toBe(unknown.challenge);
  });

  it("refuses every passkey for a challenge issued to an unknown identifier", async () => {
    const { f, passkeys, register } = passkeyFixture();
    const { user } = await seedUser(f);
    const { authenticator } = await register(user.id);
    const options = await passkeys.signIn.options({ identifier: "nobody@example.com" });
    const refused = await domainErrorOf(
      passkeys.signIn.verify({ response: authenticator.assert(options) }, request),
    );
    expect(refused.code).toBe("INVALID_PASSKEY");
  });

  it("without identifier: no allowCredentials, and any user's passkey signs its owner in", async () => {
    const { f, passkeys, register } = passkeyFixture();
    const { user } = await seedUser(f);
    const { authenticator } = await register(user.id);
    const options = await passkeys.signIn.options({});
    expect(options.allowCredentials).toBeUndefined();
    expect((await passkeys.signIn.verify({ response: authenticator.assert(options) }, request)).id).toBe(
      user.id,
    );
  });

  it("refuses an unregistered passkey", async () => {
    const { passkeys } = passkeyFixture();
    const stranger = createSoftwareAuthenticator({ origin: "https://app.example.com" });
    const refused = await domainErrorOf(
      passkeys.signIn.verify({ response: stranger.assert(await passkeys.signIn.options({})) }, request),
    );
    expect(refused.code).toBe("INVALID_PASSKEY");
  });
});
