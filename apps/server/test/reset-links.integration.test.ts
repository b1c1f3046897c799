import { describe, expect, it } from "vitest";
import {
  createActiveUser,
  post,
  startTestServer,
  storedCollection,
  storedId,
  type TestServer,
} from "./harness";

const forgot = (server: TestServer, identifier: string) =>
  post(server, "/api/users/password/forgot", { identifier });

/** The stored reset links of a user. */
const linksOf = (server: TestServer, userId: string) =>
  storedCollection(server, "password_resets")
    .find({ user_id: storedId(userId) })
    .toArray();

describe("reset links: nothing outlives its user or its expiry", () => {
  it("deletes a user's reset links with the user", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    await forgot(server, user.email);
    await server.inbox.waitForMessages(user.email, { count: 2 }); // activation + reset
    expect(await linksOf(server, user.id)).toHaveLength(1);
    expect((await server.api(`/api/users/id?id=${user.id}`, { method: "DELETE" })).status).toBe(200);
    expect(await linksOf(server, user.id)).toHaveLength(0);
  });

  it("purges expired links in the minutely sweep, keeping live ones", async () => {
    await using server = await startTestServer();
    const [expired, live] = [await createActiveUser(server), await createActiveUser(server)];
    for (const user of [expired, live]) {
      await forgot(server, user.email);
      await server.inbox.waitForMessages(user.email, { count: 2 });
    }
    await storedCollection(server, "password_resets").updateOne(
      { user_id: storedId(expired.id) },
      { $set: { expires_at: new Date(Date.now() - 1_000) } },
    );
    await server.app.container.sweep();
    expect(await linksOf(server, expired.id)).toHaveLength(0);
    expect(await linksOf(server, live.id)).toHaveLength(1);
  });

  it("stores the address a link was sent to, and refuses the link once the account has another", async () => {
    await using server = await startTestServer({
      RESET_PASSWORD_URL: "https://app.example.com/reset-password",
    });
    const user = await createActiveUser(server);
    await forgot(server, user.email);
    const messages = await server.inbox.waitForMessages(user.email, { count: 2 });
    const link = /(https\S+reset-password\S*)/.exec(messages[1]?.text ?? "")?.[1] ?? "";
    const token = new URL(link).searchParams.get("token") ?? "";
    const [stored] = await linksOf(server, user.id);
    expect(stored?.email_key).toBe(user.email.toLowerCase());
    // The address changes without the usual clean-up (as if deleting the links had failed).
    await storedCollection(server, "users").updateOne(
      { _id: storedId(user.id) },
      { $set: { email: "moved@example.com", email_key: "moved@example.com" } },
    );
    const reset = await post(server, "/api/users/password/reset", {
      token,
      password: "A-new-password-1",
      password_confirmation: "A-new-password-1",
    });
    expect(reset.status).toBe(400);
    expect(await reset.json()).toMatchObject({ code: "INVALID_OR_EXPIRED_TOKEN" });
  });
});
