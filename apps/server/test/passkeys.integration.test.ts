import { type AuthenticationOptions, createKeyring, createPasskeyChallenges } from "@usersvc/core";
import { describe, expect, it } from "vitest";
import {
  createSoftwareAuthenticator,
  type SoftwareAuthenticator,
} from "../../../packages/core/test/software-authenticator";
import { createFaultInjector } from "./faults";
import {
  changeEmail,
  codeAt,
  createActiveUser,
  enableMfa,
  json,
  post,
  publicUserKeys,
  startTestServer,
  storedCollection,
  storedId,
  type TestServer,
} from "./harness";

/*
 * Passkeys through the real server, FerretDB and Mailpit, with a software authenticator
 * whose attestations and assertions @simplewebauthn/server verifies (real P-256 signatures).
 * The server runs with its defaults outside production: RP id `localhost`, origin
 * http://localhost:3000 (ACTIVATION_URL's).
 */
const origin = "http://localhost:3000";
type Options = AuthenticationOptions;

async function registerPasskey(
  server: TestServer,
  user: { id: string; password: string },
  authenticator: SoftwareAuthenticator,
  extra: Record<string, unknown> = {},
) {
  const options = await post(server, "/api/users/passkeys/register/options", {
    id: user.id,
    current_password: user.password,
    ...extra,
  });
  expect(options.status, await options.clone().text()).toBe(200);
  const creation = await json<Parameters<SoftwareAuthenticator["register"]>[0]>(options);
  const verified = await post(server, "/api/users/passkeys/register/verify", {
    id: user.id,
    response: authenticator.register(creation),
    name: "Test key",
  });
  expect(verified.status, await verified.clone().text()).toBe(200);
  return json<{ id: string; name: string }>(verified);
}

async function signInOptions(server: TestServer, identifier?: string): Promise<Options> {
  const response = await post(
    server,
    "/api/users/passkeys/authenticate/options",
    identifier === undefined ? {} : { identifier },
  );
  expect(response.status).toBe(200);
  return json<Options>(response);
}

const signIn = (server: TestServer, response: unknown, extra: Record<string, unknown> = {}) =>
  post(server, "/api/users/passkeys/authenticate/verify", { response, ...extra });

describe("passkeys: registration and sign-in with real signatures", () => {
  it("registers a passkey (notice email), then signs in with it: 200 with the user, like auth/check", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    const authenticator = createSoftwareAuthenticator({ origin });
    const passkey = await registerPasskey(server, user, authenticator);
    expect(passkey).toMatchObject({ id: authenticator.id, name: "Test key", device_type: "singleDevice" });
    const [, notice] = await server.inbox.waitForMessages(user.email, { count: 2 });
    expect(notice?.subject).toBe("A passkey was added to your account");
    expect(notice?.text).toContain("Test key");

    const signedIn = await signIn(server, authenticator.assert(await signInOptions(server, user.email)));
    expect(signedIn.status).toBe(200);
    const body = await json(signedIn);
    expect(Object.keys(body).sort()).toEqual(publicUserKeys);
    expect(body).toMatchObject({ id: user.id, username: user.username });

    const listed = await server.api(`/api/users/passkeys?id=${user.id}`);
    const { passkeys } = await json<{ passkeys: { id: string; last_used_at: string | null }[] }>(listed);
    expect(passkeys).toEqual([expect.objectContaining({ id: authenticator.id })]);
    expect(passkeys[0]?.last_used_at).not.toBeNull();
    // Discoverable: no identifier, the passkey says whose it is.
    const discoverable = await signInOptions(server);
    expect(discoverable).not.toHaveProperty("allowCredentials");
    expect((await signIn(server, authenticator.assert(discoverable))).status).toBe(200);
  });

  it("refuses a replayed assertion, a reused challenge and an expired one", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    const authenticator = createSoftwareAuthenticator({ origin, counts: false });
    await registerPasskey(server, user, authenticator);
    const options = await signInOptions(server, user.username);
    const response = authenticator.assert(options);
    expect((await signIn(server, response)).status).toBe(200);
    const replayed = await signIn(server, response);
    expect(replayed.status).toBe(400);
    expect(await json(replayed)).toMatchObject({ code: "PASSKEY_CHALLENGE_INVALID" });
    const reused = await signIn(server, authenticator.assert(options)); // a new signature, the same challenge
    expect(await json(reused)).toMatchObject({ code: "PASSKEY_CHALLENGE_INVALID" });

    // A challenge the server issued (its own key) 10 minutes ago, for 5 minutes.
    const past = createPasskeyChallenges({
      keys: createKeyring({ current: server.settings.secretKey }),
      claims: { claim: async () => true, release: async () => {} },
      lifetimeSeconds: 300,
      now: () => Date.now() - 600_000,
    }).issue({ ceremony: "authentication", userId: user.id, discoverable: false });
    const expired = await signIn(
      server,
      authenticator.assert({ challenge: Buffer.from(past).toString("base64url"), rpId: "localhost" }),
    );
    expect(expired.status).toBe(400);
    expect(await json(expired)).toMatchObject({ code: "PASSKEY_CHALLENGE_INVALID" });
  });

  it("signs a TOTP user in without a TOTP code when the passkey verified the user", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    const { secret } = await enableMfa(server, user);
    const authenticator = createSoftwareAuthenticator({ origin });
    const noCode = await post(server, "/api/users/passkeys/register/options", {
      id: user.id,
      current_password: user.password,
    });
    expect(await json(noCode)).toMatchObject({ code: "MFA_REQUIRED" });
    await registerPasskey(server, user, authenticator, { totp_code: await codeAt(secret, 0) });

    const withPassword = await post(server, "/api/users/auth/check", {
      identifier: user.email,
      password: user.password,
    });
    expect(await json(withPassword)).toMatchObject({ code: "MFA_REQUIRED" });
    const withPasskey = await signIn(server, authenticator.assert(await signInOptions(server, user.email)));
    expect(withPasskey.status).toBe(200);
    expect(await json(withPasskey)).toMatchObject({ id: user.id, mfa_enabled: true });
    // Without user verification the passkey is one factor: the code is needed.
    authenticator.state.userVerification = false;
    const oneFactor = await signIn(server, authenticator.assert(await signInOptions(server, user.email)));
    expect(await json(oneFactor)).toMatchObject({ code: "MFA_REQUIRED" });
  });

  it("refuses and logs a signature counter that goes backwards", async () => {
    const logLines: string[] = [];
    await using server = await startTestServer({}, { logLines });
    const user = await createActiveUser(server);
    const authenticator = createSoftwareAuthenticator({ origin });
    await registerPasskey(server, user, authenticator);
    expect((await signIn(server, authenticator.assert(await signInOptions(server)))).status).toBe(200);
    authenticator.state.counter = 0;
    const cloned = await signIn(server, authenticator.assert(await signInOptions(server)));
    expect(cloned.status).toBe(401);
    expect(await json(cloned)).toMatchObject({ code: "INVALID_PASSKEY" });
    const warning = logLines.map((line) => JSON.parse(line)).find((l) => /signature counter/.test(l.msg));
    expect(warning).toMatchObject({ level: 40, userId: user.id, credentialId: authenticator.id, counter: 1 });
  });

  it("refuses a ceremony run on another origin", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    const phisher = createSoftwareAuthenticator({ origin: "http://localhost:3001" });
    const options = await post(server, "/api/users/passkeys/register/options", {
      id: user.id,
      current_password: user.password,
    });
    const response = phisher.register(await json(options));
    const refused = await post(server, "/api/users/passkeys/register/verify", { id: user.id, response });
    expect(refused.status).toBe(401);
    expect(await json(refused)).toMatchObject({ code: "INVALID_PASSKEY" });
  });
});

describe("passkeys: options do not tell who has an account", () => {
  it("answers an unknown identifier like an account without passkeys: one stable decoy of the same shape", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    const unknown = await signInOptions(server, "nobody@example.com");
    const known = await signInOptions(server, user.email);
    const shape = (o: Options) =>
      JSON.stringify({ ...o, challenge: undefined }, (_k, v) => (typeof v === "string" ? v.length : v));
    expect(shape(known)).toBe(shape(unknown));
    expect(await signInOptions(server, "nobody@example.com")).toMatchObject({
      allowCredentials: unknown.allowCredentials,
    });
  });
});

describe("passkeys: deleting", () => {
  it("needs re-authentication, sends a notice, and never removes the last sign-in method", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    const first = createSoftwareAuthenticator({ origin });
    const second = createSoftwareAuthenticator({ origin });
    await registerPasskey(server, user, first);
    await registerPasskey(server, user, second);
    const wrong = await post(server, "/api/users/passkeys/delete", {
      id: user.id,
      passkey_id: second.id,
      current_password: "Not-the-password-1",
    });
    expect(await json(wrong)).toMatchObject({ code: "INVALID_CREDENTIALS" });
    const deleted = await post(server, "/api/users/passkeys/delete", {
      id: user.id,
      passkey_id: second.id,
      current_password: user.password,
    });
    expect(deleted.status).toBe(200);
    const messages = await server.inbox.waitForMessages(user.email, { count: 4 });
    expect(messages.map((m) => m.subject)).toContain("A passkey was removed from your account");

    // The password is locked (as an email-change revert leaves it): the passkey is the last way in.
    await storedCollection(server, "users").updateOne(
      { _id: storedId(user.id) },
      { $set: { password_locked: true } },
    );
    const last = await post(server, "/api/users/passkeys/delete", {
      id: user.id,
      passkey_id: first.id,
      passkey_assertion: first.assert(await signInOptions(server, user.email)),
    });
    expect(last.status).toBe(409);
    expect(await json(last)).toMatchObject({ code: "LAST_SIGN_IN_METHOD" });
    expect((await signIn(server, first.assert(await signInOptions(server, user.email)))).status).toBe(200);
  });

  it("goes with its user", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    await registerPasskey(server, user, createSoftwareAuthenticator({ origin }));
    expect(await storedCollection(server, "passkeys").countDocuments({ user_id: storedId(user.id) })).toBe(1);
    expect((await server.api(`/api/users/id?id=${user.id}`, { method: "DELETE" })).status).toBe(200);
    expect(await storedCollection(server, "passkeys").countDocuments({ user_id: storedId(user.id) })).toBe(0);
  });
});

describe("passkeys: no stuck state when the write after the challenge's claim fails", () => {
  it.each(["before", "after"] as const)(
    "register/verify (insert fails %s writing): the same answer registers, with one notice",
    async (mode) => {
      const faults = createFaultInjector();
      await using server = await startTestServer({}, { faults });
      const user = await createActiveUser(server);
      const authenticator = createSoftwareAuthenticator({ origin });
      const options = await post(server, "/api/users/passkeys/register/options", {
        id: user.id,
        current_password: user.password,
      });
      const body = { id: user.id, response: authenticator.register(await json(options)) };
      faults.failNext("passkeys.insert", mode);
      const first = await post(server, "/api/users/passkeys/register/verify", body);
      expect(faults.fired()).toEqual(["passkeys.insert"]);
      if (mode === "before") {
        expect(first.status).toBe(503);
        expect((await post(server, "/api/users/passkeys/register/verify", body)).status).toBe(200);
      } else expect(first.status).toBe(200);
      const messages = await server.inbox.waitForMessages(user.email, { count: 2 });
      expect(messages.filter((m) => m.subject === "A passkey was added to your account")).toHaveLength(1);
      expect(
        (await signIn(server, authenticator.assert(await signInOptions(server, user.email)))).status,
      ).toBe(200);
    },
  );
});

describe("passkeys: an email-change revert takes the account back from whoever knew the password", () => {
  it("removes the taker's passkey, and refuses the registration the taker had started", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    const takers = createSoftwareAuthenticator({ origin });
    await registerPasskey(server, user, takers); // mail 2: the passkey-added notice
    const pending = await post(server, "/api/users/passkeys/register/options", {
      id: user.id,
      current_password: user.password,
    });
    const late = createSoftwareAuthenticator({ origin }).register(await json(pending));
    const newEmail = `taker.${user.username}@example.org`;
    await changeEmail(server, user, newEmail);
    const [, , notice] = await server.inbox.waitForMessages(user.email, { count: 3 });
    const link = /(https?:\/\/\S+)/.exec(notice?.text ?? "")?.[1];
    const token = link ? new URL(link).searchParams.get("token") : null;
    expect((await post(server, "/api/users/email/revert", { token })).status).toBe(200);

    const signedIn = await signIn(server, takers.assert(await signInOptions(server)));
    expect(await json(signedIn)).toMatchObject({ code: "INVALID_PASSKEY" });
    const registered = await post(server, "/api/users/passkeys/register/verify", {
      id: user.id,
      response: late,
    });
    expect(await json(registered)).toMatchObject({ code: "PASSKEY_CHALLENGE_INVALID" });
    expect(await storedCollection(server, "passkeys").countDocuments({ user_id: storedId(user.id) })).toBe(0);
  });
});
