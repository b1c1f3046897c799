import { describe, expect, it } from "vitest";
import {
  domainErrorOf,
  failNext,
  queuedFor,
  seedMfa,
  seedPassword,
  seedUser,
  totpIn,
} from "../../test/fakes";
import { origin, passkeyFixture, request } from "../../test/passkey-fixture";
import { createSoftwareAuthenticator } from "../../test/software-authenticator";

describe("passkey registration", () => {
  it("needs re-authentication: the current password (and TOTP with MFA on) or a verified passkey of the user", async () => {
    const { f, passkeys, register, assertion } = passkeyFixture();
    const { user } = await seedUser(f);
    const { user: other } = await seedUser(f);
    const options = (proof: Record<string, unknown>) =>
      domainErrorOf(passkeys.registration.options({ id: user.id, ...proof }, request));
    expect((await options({ current_password: "wrong password" })).code).toBe("INVALID_CREDENTIALS");
    const { authenticator: own } = await register(user.id, { userVerification: false });
    const { authenticator: others } = await register(other.id);
    const { secret } = await seedMfa(f, user.id);
    expect((await options({ current_password: seedPassword })).code).toBe("MFA_REQUIRED");
    const creation = await passkeys.registration.options(
      { id: user.id, current_password: seedPassword, totp_code: await totpIn(secret) },
      request,
    );
    expect(creation).toMatchObject({ rp: { id: "app.example.com", name: "Example" }, attestation: "none" });
    expect(creation.authenticatorSelection).toMatchObject({
      residentKey: "preferred",
      userVerification: "preferred",
    });
    expect(creation.excludeCredentials?.map((c) => c.id)).toEqual([own.id]);

    expect((await options({ passkey_assertion: await assertion(others) })).code).toBe("INVALID_PASSKEY");
    // Without user verification a passkey is one factor: not enough to re-authenticate.
    expect((await options({ passkey_assertion: await assertion(own) })).code).toBe("INVALID_PASSKEY");
    own.state.userVerification = true;
    const byPasskey = await passkeys.registration.options(
      { id: user.id, passkey_assertion: await assertion(own) },
      request,
    );
    expect(byPasskey.user.name).toBe(user.email);
  });

  it("stores the verified credential with its name, and queues a notice with the write", async () => {
    const { f, register, events } = passkeyFixture();
    const { user } = await seedUser(f);
    const { passkey, authenticator } = await register(user.id, { name: "Work laptop" });
    expect(passkey).toMatchObject({ id: authenticator.id, name: "Work laptop", last_used_at: null });
    expect(Object.keys(passkey).sort()).toEqual(
      ["backed_up", "created_at", "device_type", "id", "last_used_at", "name", "transports"].sort(),
    );
    const [stored] = await f.passkeys.listForUser(user.id);
    expect(stored).toMatchObject({ user_id: user.id, counter: 1, transports: ["internal"] });
    const [notice] = queuedFor(f, user.id);
    expect(notice).toMatchObject({ kind: "passkey-added" });
    expect(notice?.email.text).toContain("Work laptop");
    expect(events.at(-1)).toMatchObject({ type: "passkey.registered", userId: user.id });
  });

  it("binds the registration challenge to its user and spends it once; a second registration of one credential is refused", async () => {
    const { f, passkeys } = passkeyFixture();
    const { user } = await seedUser(f);
    const { user: other } = await seedUser(f);
    const authenticator = createSoftwareAuthenticator({ origin });
    const creation = await passkeys.registration.options(
      { id: user.id, current_password: seedPassword },
      request,
    );
    const response = authenticator.register(creation);
    expect((await domainErrorOf(passkeys.registration.verify({ id: other.id, response }))).code).toBe(
      "PASSKEY_CHALLENGE_INVALID",
    );
    await passkeys.registration.verify({ id: user.id, response });
    expect((await domainErrorOf(passkeys.registration.verify({ id: user.id, response }))).code).toBe(
      "PASSKEY_CHALLENGE_INVALID",
    );
    const fresh = await passkeys.registration.options(
      { id: user.id, current_password: seedPassword },
      request,
    );
    const duplicate = await domainErrorOf(
      passkeys.registration.verify({ id: user.id, response: authenticator.register(fresh) }),
    );
    expect(duplicate.code).toBe("PASSKEY_ALREADY_REGISTERED");
    expect(queuedFor(f, user.id).filter((m) => m.kind === "passkey-added")).toHaveLength(1);
  });

  it("refuses a registration whose options predate a password reset, or finish while the password is locked", async () => {
    // A taker who knew the password starts a registration; the owner reverts the address
    // (locking the password) and resets it: the taker's challenge must not outlive either.
    const { f, passkeys } = passkeyFixture();
    const { user } = await seedUser(f);
    const start = async () =>
      createSoftwareAuthenticator({ origin }).register(
        await passkeys.registration.options({ id: user.id, current_password: seedPassword }, request),
      );
    const beforeReset = await start();
    const beforeLock = await start();
    f.users.set(user.id, { password_locked: true });
    expect(
      (await domainErrorOf(passkeys.registration.verify({ id: user.id, response: beforeLock }))).code,
    ).toBe("PASSKEY_CHALLENGE_INVALID");
    f.users.set(user.id, { password_locked: false, password_changed_at: new Date(Date.now() + 1_000) });
    expect(
      (await domainErrorOf(passkeys.registration.verify({ id: user.id, response: beforeReset }))).code,
    ).toBe("PASSKEY_CHALLENGE_INVALID");
    expect(await f.passkeys.listForUser(user.id)).toEqual([]);
  });

  it("refuses an attestation from another origin", async () => {
    const { f, passkeys } = passkeyFixture();
    const { user } = await seedUser(f);
    const creation = await passkeys.registration.options(
      { id: user.id, current_password: seedPassword },
      request,
    );
    const phished = createSoftwareAuthenticator({ origin: "https://app.example.com.evil.test" }).register(
      creation,
    );
    expect((await domainErrorOf(passkeys.registration.verify({ id: user.id, response: phished }))).code).toBe(
      "INVALID_PASSKEY",
    );
  });

  it("gives the challenge back when the write fails, without a notice", async () => {
    const { f, passkeys } = passkeyFixture();
    const { user } = await seedUser(f);
    const creation = await passkeys.registration.options(
      { id: user.id, current_password: seedPassword },
      request,
    );
    const response = createSoftwareAuthenticator({ origin }).register(creation);
    failNext(f.passkeys, "insert");
    await expect(passkeys.registration.verify({ id: user.id, response })).rejects.toThrow("injected fault");
    expect(queuedFor(f, user.id)).toEqual([]);
    expect((await passkeys.registration.verify({ id: user.id, response })).id).toBe(response.id);
  });

  it("refuses inactive users and unknown ids", async () => {
    const { f, passkeys } = passkeyFixture();
    const { user } = await seedUser(f, { is_active: false });
    const inactive = passkeys.registration.options({ id: user.id, current_password: seedPassword }, request);
    expect((await domainErrorOf(inactive)).code).toBe("USER_NOT_ACTIVE");
    const unknown = passkeys.registration.options(
      { id: f.users.newId(), current_password: seedPassword },
      request,
    );
    expect((await domainErrorOf(unknown)).code).toBe("USER_NOT_FOUND");
  });
});

describe("a user's passkeys", () => {
  it("lists and renames them", async () => {
    const { f, passkeys, register } = passkeyFixture();
    const { user } = await seedUser(f);
    const { passkey } = await register(user.id);
    expect((await passkeys.manage.list(user.id)).passkeys.map((p) => p.name)).toEqual(["Passkey"]);
    const renamed = await passkeys.manage.rename({ id: user.id, passkey_id: passkey.id, name: "Phone" });
    expect(renamed.name).toBe("Phone");
    const { user: other } = await seedUser(f);
    const notTheirs = passkeys.manage.rename({ id: other.id, passkey_id: passkey.id, name: "Mine" });
    expect((await domainErrorOf(notTheirs)).code).toBe("PASSKEY_NOT_FOUND");
  });

  it("deletes one after re-authentication, with a notice; another user's is not found", async () => {
    const { f, passkeys, register, events } = passkeyFixture();
    const { user } = await seedUser(f);
    const { user: other } = await seedUser(f);
    const { passkey } = await register(user.id, { name: "Old key" });
    const remove = (proof: Record<string, unknown>, id = user.id) =>
      passkeys.manage.remove({ id, passkey_id: passkey.id, ...proof }, request);
    expect((await domainErrorOf(remove({ current_password: "wrong" }))).code).toBe("INVALID_CREDENTIALS");
    expect((await domainErrorOf(remove({ current_password: seedPassword }, other.id))).code).toBe(
      "PASSKEY_NOT_FOUND",
    );
    expect(await remove({ current_password: seedPassword })).toEqual({ message: "Passkey deleted." });
    expect(await f.passkeys.listForUser(user.id)).toEqual([]);
    const notice = queuedFor(f, user.id).find((m) => m.kind === "passkey-removed");
    expect(notice?.email.text).toContain("Old key");
    expect(events.at(-1)).toMatchObject({ type: "passkey.deleted", userId: user.id });
  });

  it("never deletes the last sign-in method: the only passkey of a locked password", async () => {
    const { f, passkeys, register, assertion } = passkeyFixture();
    const { user } = await seedUser(f);
    const { authenticator, passkey } = await register(user.id);
    f.users.set(user.id, { password_locked: true });
    const last = await domainErrorOf(
      passkeys.manage.remove(
        { id: user.id, passkey_id: passkey.id, passkey_assertion: await assertion(authenticator) },
        request,
      ),
    );
    expect(last.code).toBe("LAST_SIGN_IN_METHOD");
    expect(await f.passkeys.listForUser(user.id)).toHaveLength(1);
    expect(queuedFor(f, user.id).filter((m) => m.kind === "passkey-removed")).toEqual([]);
    // With another passkey it may go; so may the last one once the password is usable.
    f.users.set(user.id, { password_locked: false });
    const { passkey: second } = await register(user.id);
    f.users.set(user.id, { password_locked: true });
    await passkeys.manage.remove(
      { id: user.id, passkey_id: passkey.id, passkey_assertion: await assertion(authenticator) },
      request,
    );
    expect((await f.passkeys.listForUser(user.id)).map((p) => p.id)).toEqual([second.id]);
  });

  it("of two deletes racing for a locked password's last two passkeys, at least one passkey stays", async () => {
    const { f, passkeys, register, assertion } = passkeyFixture();
    const { user } = await seedUser(f);
    const { authenticator: a, passkey: pa } = await register(user.id);
    const { authenticator: b, passkey: pb } = await register(user.id);
    f.users.set(user.id, { password_locked: true });
    await Promise.allSettled([
      passkeys.manage.remove(
        { id: user.id, passkey_id: pa.id, passkey_assertion: await assertion(a) },
        request,
      ),
      passkeys.manage.remove(
        { id: user.id, passkey_id: pb.id, passkey_assertion: await assertion(b) },
        request,
      ),
    ]);
    expect((await f.passkeys.listForUser(user.id)).length).toBeGreaterThanOrEqual(1);
  });
});
