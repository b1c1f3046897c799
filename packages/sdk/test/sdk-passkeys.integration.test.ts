import { createActiveUser, startTestServer } from "@usersvc/server/testing";
import { describe, expect, it } from "vitest";
import { createSoftwareAuthenticator } from "../../core/test/software-authenticator";
import { createUsersClient, errorCodeOf } from "../src/index";

describe("SDK: passkeys through the resource methods", () => {
  it("adds a passkey, signs in with it, lists, renames and deletes it", async () => {
    await using server = await startTestServer();
    const client = createUsersClient({ url: server.url, apiKey: server.apiKey });
    const user = await createActiveUser(server);
    const authenticator = createSoftwareAuthenticator({ origin: "http://localhost:3000" });

    const creation = await client.passkeys.registrationOptions({
      id: user.id,
      current_password: user.password,
    });
    const passkey = await client.passkeys.register({
      id: user.id,
      response: authenticator.register(creation),
      name: "SDK key",
    });
    expect(passkey).toMatchObject({ id: authenticator.id, name: "SDK key" });

    const request = await client.passkeys.authenticationOptions({ identifier: user.username });
    const response = authenticator.assert(request);
    const signedIn = await client.passkeys.authenticate({ response });
    expect(signedIn.id).toBe(user.id);
    const replay = await client.passkeys.authenticate({ response }).catch((e: unknown) => e);
    expect(errorCodeOf(replay)).toBe("PASSKEY_CHALLENGE_INVALID");

    await client.passkeys.rename({ id: user.id, passkey_id: passkey.id, name: "Renamed" });
    const { passkeys } = await client.passkeys.list(user.id);
    expect(passkeys.map((p) => p.name)).toEqual(["Renamed"]);
    const removed = await client.passkeys.remove({
      id: user.id,
      passkey_id: passkey.id,
      passkey_assertion: authenticator.assert(
        await client.passkeys.authenticationOptions({ identifier: user.email }),
      ),
    });
    expect(removed.message).toBe("Passkey deleted.");
    expect((await client.passkeys.list(user.id)).passkeys).toEqual([]);
  });
});
