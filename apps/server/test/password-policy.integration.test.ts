import { createPasswordHasher } from "@usersvc/core";
import { describe, expect, it } from "vitest";
import {
  createActiveUser,
  json,
  newUserInput,
  post,
  register,
  seedUser,
  startTestServer,
  storedCollection,
  type TestServer,
  withinOneThrottleWindow,
} from "./harness";

type ErrorBody = { code: string; message: string; issues?: { path: string; message: string }[] };

/** A WEAK_PASSWORD answer with zxcvbn's advice about `password` as issues. */
async function expectWeak(response: Response) {
  expect(response.status).toBe(400);
  const body = await json<ErrorBody>(response);
  expect(body.code).toBe("WEAK_PASSWORD");
  expect(body.message).toMatch(/too easy to guess/);
  expect(body.issues?.length).toBeGreaterThan(0);
  for (const issue of body.issues ?? []) expect(issue.path).toBe("password");
  return body;
}

const strength = (server: TestServer, body: unknown, ip?: string) =>
  post(server, "/api/users/password/strength", body, ip ? { "x-forwarded-for": ip } : {});

describe("password policy on the three password routes", () => {
  it("refuses weak passwords at registration, with zxcvbn's advice, and one built from the user's names", async () => {
    await using server = await startTestServer();
    const common = await expectWeak(
      await register(server, newUserInput({ password: "Password1!", password_confirmation: "Password1!" })),
    );
    expect(common.issues?.map((i) => i.message).join(" ")).toMatch(/common/i);
    const own = newUserInput({ first_name: "Zebulon", last_name: "Quartermaine" });
    await expectWeak(
      await register(server, {
        ...own,
        password: "Z3bulon-Quartermaine!",
        password_confirmation: "Z3bulon-Quartermaine!",
      }),
    );
    expect((await register(server, own)).status).toBe(201);
  });

  it("refuses a weak new password at reset (the link stays usable) and at change", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    await post(server, "/api/users/password/forgot", { identifier: user.email });
    const [, resetEmail] = await server.inbox.waitForMessages(user.email, { count: 2 });
    const token = new URL(
      /(http\S+reset-password\S*)/.exec(resetEmail?.text ?? "")?.[1] ?? "",
    ).searchParams.get("token");
    const weakReset = { token, password: "qwerty123456", password_confirmation: "qwerty123456" };
    await expectWeak(await post(server, "/api/users/password/reset", weakReset));
    const strong = "Lantern-Pebble-Fjord-9";
    expect(
      (
        await post(server, "/api/users/password/reset", {
          token,
          password: strong,
          password_confirmation: strong,
        })
      ).status,
    ).toBe(200);

    const change = (password: string) =>
      post(server, "/api/users/password/change", {
        id: user.id,
        current_password: strong,
        password,
        password_confirmation: password,
      });
    await expectWeak(await change("iloveyou2"));
    await expectWeak(await change(`${user.username}2024`));
    expect((await change("Saffron-Anvil-Meadow-3")).status).toBe(200);
  });

  it("lets an existing user whose password the policy would refuse still sign in (the policy is for new passwords)", async () => {
    await using server = await startTestServer();
    const hasher = createPasswordHasher(server.settings.passwordHashing);
    const user = await seedUser(server, { password_hash: await hasher.hash("Password1!"), is_active: true });
    const login = await post(server, "/api/users/auth/check", {
      identifier: user.username,
      password: "Password1!",
    });
    expect(login.status).toBe(200);
    expect(await json(login)).toMatchObject({ id: user.id });
  });
});

describe("POST /api/users/password/strength", () => {
  it("scores a candidate with advice, penalising the given user inputs, storing nothing", async () => {
    await using server = await startTestServer();
    const counts = async () =>
      Promise.all(
        (["users", "claims", "outbox"] as const).map((name) =>
          storedCollection(server, name).countDocuments(),
        ),
      );
    const before = await counts();
    const weak = await strength(server, { password: "Password1!" });
    expect(weak.status).toBe(200);
    const weakBody = await json(weak);
    expect(weakBody).toMatchObject({ min_score: 3, acceptable: false });
    expect(weakBody.score).toBeLessThan(3);
    expect(weakBody.warning).toEqual(expect.any(String));
    expect(weakBody.suggestions).toEqual(expect.arrayContaining([expect.any(String)]));

    const strong = await json(await strength(server, { password: "Marigold-Sprocket-Lagoon-9" }));
    expect(strong).toEqual({ score: 4, min_score: 3, acceptable: true, warning: null, suggestions: [] });
    const personal = await json(
      await strength(server, {
        password: "Marigold-Sprocket-Lagoon-9",
        user_inputs: ["marigold", "sprocket", "lagoon"],
      }),
    );
    expect(personal).toMatchObject({ acceptable: false });
    expect(await counts()).toEqual(before);
  });

  it("never logs the candidate", async () => {
    const lines: string[] = [];
    await using server = await startTestServer({}, { logLines: lines });
    expect((await strength(server, { password: "Candidate-Secret-8841" })).status).toBe(200);
    expect((await strength(server, { password: "Candidate-Secret-8842", extra: 1 })).status).toBe(400);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join("")).not.toMatch(/Candidate-Secret/);
  });

  it("throttles per client network behind a trusted proxy", async () => {
    await using server = await startTestServer({ TRUST_PROXY: "true", PASSWORD_STRENGTH_MAX_PER_IP: "2" });
    await withinOneThrottleWindow({ windowSeconds: 60 }, 5); // PASSWORD_STRENGTH_MAX_PER_IP counts per minute
    expect((await strength(server, { password: "abc" }, "203.0.113.7")).status).toBe(200);
    expect((await strength(server, { password: "abcd" }, "203.0.113.7")).status).toBe(200);
    const refused = await strength(server, { password: "abcde" }, "203.0.113.7");
    expect(refused.status).toBe(429);
    expect(await json(refused)).toMatchObject({ code: "TOO_MANY_ATTEMPTS" });
    expect((await strength(server, { password: "abcde" }, "198.51.100.7")).status).toBe(200);
  });
});
