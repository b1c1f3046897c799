import { Types } from "mongoose";
import { describe, expect, it } from "vitest";
import {
  changeEmail,
  createActiveUser,
  emailChangeCode,
  json,
  newUserInput,
  patch,
  post,
  register,
  startTestServer,
  storedCollection,
  type TestServer,
} from "./harness";

type Page = {
  items: { id: string; username: string; email: string; role: string; is_active: boolean }[];
  next_cursor: string | null;
};

/** Inserts users straight into the database, with clashing created_at values on purpose. */
async function seed(
  server: TestServer,
  count: number,
  overrides: (i: number) => Record<string, unknown> = () => ({}),
) {
  const base = Date.now() - 3_600_000;
  const docs = Array.from({ length: count }, (_, i) => ({
    _id: new Types.ObjectId(),
    username: `seed_${i}`,
    username_key: `seed_${i}`,
    first_name: `First${i}`,
    first_name_key: `first${i}`,
    last_name: "Seed",
    last_name_key: "seed",
    email: `seed.${i}@example.com`,
    email_key: `seed.${i}@example.com`,
    password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
    gender: "Other",
    role: "user",
    is_active: i % 2 === 0,
    mfa_enabled: false,
    created_at: new Date(base + Math.floor(i / 3) * 1_000), // three users per instant
    updated_at: new Date(base),
    ...overrides(i),
  }));
  await storedCollection(server, "users").insertMany(docs);
  return docs;
}

describe("management: listing", () => {
  it("pages through 250 users newest first with no gaps or repeats while users are added", async () => {
    await using server = await startTestServer();
    const seeded = await seed(server, 250);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=7&cursor=${cursor}` : "?limit=7";
      const [response] = await Promise.all([
        server.api(`/api/users/${query}`),
        register(server, newUserInput()), // concurrent registrations, newer than every page
      ]);
      expect(response.status).toBe(200);
      const page = await json<Page>(response);
      expect(page.items.length).toBeLessThanOrEqual(7);
      seen.push(...page.items.map((u) => u.id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 100);

    const seededIds = seeded.map((d) => d._id.toHexString());
    const seenSeeded = seen.filter((id) => seededIds.includes(id));
    expect(new Set(seen).size).toBe(seen.length); // no repeats
    expect(seenSeeded).toHaveLength(250); // no gaps
    const expected = [...seeded]
      .sort(
        (a, b) =>
          b.created_at.getTime() - a.created_at.getTime() ||
          (b._id.toHexString() > a._id.toHexString() ? 1 : -1),
      )
      .map((d) => d._id.toHexString());
    expect(seenSeeded).toEqual(expected);
  });

  it("filters by activity and role, and searches by prefix safely", async () => {
    await using server = await startTestServer();
    await seed(server, 12, (i) =>
      i === 5 ? { role: "admin", first_name: "Zed", first_name_key: "zed" } : {},
    );
    const list = async (query: string) => json<Page>(await server.api(`/api/users/?limit=100&${query}`));

    const active = await list("is_active=true");
    expect(active.items).toHaveLength(6);
    expect(active.items.every((u) => u.is_active)).toBe(true);
    expect((await list("is_active=false")).items).toHaveLength(6);
    const admins = await list("role=admin");
    expect(admins.items.map((u) => u.username)).toEqual(["seed_5"]);
    expect((await list("q=ZE")).items.map((u) => u.username)).toEqual(["seed_5"]);
    expect((await list("q=seed.1")).items.map((u) => u.username).sort()).toEqual([
      "seed_1",
      "seed_10",
      "seed_11",
    ]);
    expect((await list("q=SEED_1&role=user&is_active=false")).items.map((u) => u.username).sort()).toEqual([
      "seed_1",
      "seed_11",
    ]);
    expect((await list(`q=${encodeURIComponent(".*")}`)).items).toHaveLength(0); // not a regex
    expect((await list(`q=${encodeURIComponent("(")}`)).items).toHaveLength(0);
    const first = await json<Page>(await server.api("/api/users/"));
    expect(first.items).toHaveLength(12); // default limit 20
    expect(first.next_cursor).toBeNull();
  });

  it("answers 400 for a bad limit, a foreign cursor or a bad filter", async () => {
    await using server = await startTestServer();
    const farFuture = Buffer.from(JSON.stringify([1e300, "0123456789abcdef01234567"])).toString("base64url");
    for (const query of [
      "limit=0",
      "limit=101",
      "limit=abc",
      "cursor=nope",
      `cursor=${farFuture}`,
      "is_active=yes",
      "role=root",
    ]) {
      const response = await server.api(`/api/users/?${query}`);
      expect(response.status, query).toBe(400);
      expect(await json(response)).toMatchObject({ code: "VALIDATION_ERROR" });
    }
  });
});

describe("management: profile updates", () => {
  it("updates names, gender and role, and finds the user by the new name", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    const response = await patch(server, "/api/users/id", {
      id: user.id,
      first_name: "Renamed",
      role: "admin",
    });
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({
      id: user.id,
      first_name: "Renamed",
      role: "admin",
      last_name: "Doe",
    });
    const found = await json<Page>(await server.api("/api/users/?q=renam"));
    expect(found.items.map((u) => u.id)).toEqual([user.id]);
  });

  it("validates updates", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    for (const body of [
      { id: user.id },
      { id: user.id, email: "x@example.com" },
      { id: user.id, gender: "Robot" },
      { id: user.id, first_name: "" },
      { id: "bad", first_name: "X" },
    ]) {
      const response = await patch(server, "/api/users/id", body);
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
    expect(
      (await patch(server, "/api/users/id", { id: "63a1f1234abc5678def12345", first_name: "X" })).status,
    ).toBe(404);
  });
});

describe("management: email change", () => {
  it("changes the address after the code sent to it, and tells the old address", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    const newEmail = `moved.${user.username}@example.org`;
    const requested = await post(server, "/api/users/email/change", {
      id: user.id,
      new_email: newEmail,
      current_password: user.password,
    });
    expect(requested.status).toBe(200);
    const code = await emailChangeCode(server, newEmail);

    const wrong = await patch(server, "/api/users/email/confirm", {
      id: user.id,
      code: code === "000000" ? "111111" : "000000",
    });
    expect(wrong.status).toBe(400);
    expect(await json(wrong)).toMatchObject({ code: "INVALID_EMAIL_CODE" });
    expect((await server.api(`/api/users/id?id=${user.id}`).then((r) => json(r))).email).toBe(user.email);

    const confirmed = await patch(server, "/api/users/email/confirm", { id: user.id, code });
    expect(confirmed.status).toBe(200);
    expect(await json(confirmed)).toMatchObject({ id: user.id, email: newEmail });
    const notices = await server.inbox.waitForMessages(user.email, { count: 2 }); // activation + notice
    expect(notices[1]?.subject).toBe("Your email address was changed");
    expect(notices[1]?.text).toContain(newEmail);
    expect((await server.api(`/api/users/identifier?identifier=${newEmail}`)).status).toBe(200);
    expect((await server.api(`/api/users/identifier?identifier=${user.email}`)).status).toBe(404);
    // Used: the same answer as any other refusal (no "already confirmed" to tell it apart).
    const again = await patch(server, "/api/users/email/confirm", { id: user.id, code });
    expect(again.status).toBe(400);
    expect(await json(again)).toMatchObject({ code: "INVALID_EMAIL_CODE" });
  });

  it("answers 409 when the address is taken at request time or by the time of confirmation", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    const other = await createActiveUser(server);
    const taken = await post(server, "/api/users/email/change", {
      id: user.id,
      current_password: user.password,
      new_email: other.email.toUpperCase(),
    });
    expect(taken.status).toBe(409);
    expect(await json(taken)).toMatchObject({ code: "EMAIL_TAKEN" });

    const wanted = `wanted.${user.username}@example.org`;
    await post(server, "/api/users/email/change", {
      id: user.id,
      new_email: wanted,
      current_password: user.password,
    });
    const code = await emailChangeCode(server, wanted);
    expect((await register(server, newUserInput({ email: wanted }))).status).toBe(201); // someone takes it
    const late = await patch(server, "/api/users/email/confirm", { id: user.id, code });
    expect(late.status).toBe(409);
    expect(await json(late)).toMatchObject({ code: "EMAIL_TAKEN" });
  });

  it("sends at most one code per cooldown, so re-requesting buys no extra guesses", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    const first = await post(server, "/api/users/email/change", {
      id: user.id,
      current_password: user.password,
      new_email: `a.${user.username}@example.org`,
    });
    expect(first.status).toBe(200);
    const again = await post(server, "/api/users/email/change", {
      id: user.id,
      current_password: user.password,
      new_email: `b.${user.username}@example.org`,
    });
    expect(again.status).toBe(429);
    expect(await json(again)).toMatchObject({ code: "TOO_MANY_ATTEMPTS" });
    expect(Number(again.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("kills outstanding password reset links when the address changes", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    await post(server, "/api/users/password/forgot", { identifier: user.email });
    const [, resetMail] = await server.inbox.waitForMessages(user.email, { count: 2 });
    const token =
      new URL(/(http\S+)/.exec(resetMail?.text ?? "")?.[1] ?? "http://x").searchParams.get("token") ?? "";
    const newEmail = `moved.${user.username}@example.org`;
    await changeEmail(server, user, newEmail);
    const reset = await post(server, "/api/users/password/reset", {
      token,
      password: "Taken-over-pass-1",
      password_confirmation: "Taken-over-pass-1",
    });
    expect(reset.status).toBe(400);
    expect(await json(reset)).toMatchObject({ code: "INVALID_OR_EXPIRED_TOKEN" });
  });

  it("needs a pending change (same refusal as a wrong code), and refuses the user's current address", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    const none = await patch(server, "/api/users/email/confirm", { id: user.id, code: "123456" });
    expect(none.status).toBe(400);
    expect(await json(none)).toMatchObject({ code: "INVALID_EMAIL_CODE" });
    const same = await post(server, "/api/users/email/change", {
      id: user.id,
      current_password: user.password,
      new_email: user.email.toUpperCase(),
    });
    expect(same.status).toBe(400);
  });
});
