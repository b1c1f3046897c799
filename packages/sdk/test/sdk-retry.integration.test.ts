import {
  activationCode,
  newUserInput,
  post,
  seedUser,
  startTestServer,
  type TestServer,
} from "@usersvc/server/testing";
import { describe, expect, it } from "vitest";
import { createUsersClient, isUsersServiceError } from "../src/index";
import { userAgent } from "../src/version";

describe("SDK: safe retries, request ids, the SDK's version in the logs", () => {
  it("retries a login check refused with SERVICE_BUSY and gets the real answer", async () => {
    // One hash at a time and none waiting, each as slow as allowed: while one check runs,
    // the next is refused at once with 503 SERVICE_BUSY (Retry-After: 1).
    const lines: string[] = [];
    await using server = await startTestServer(
      {
        PASSWORD_HASH_CONCURRENCY: "1",
        PASSWORD_HASH_QUEUE_LIMIT: "0",
        PASSWORD_HASH_ITERATIONS: "24",
      },
      { logLines: lines },
    );
    const statuses: number[] = [];
    const spy: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      statuses.push(response.status);
      return response;
    };
    const client = createUsersClient({
      url: server.url,
      apiKey: server.apiKey,
      fetch: spy,
      retry: { maxAttempts: 6, maxElapsedMs: 20_000 },
    });
    // Registration hashes too (and the server hashes a dummy password at startup): the
    // client's retries see it through.
    const input = newUserInput();
    const created = await client.users.create({ ...input, gender: "Male", role: "user" });
    await client.users.activate({
      identifier: input.username,
      code: await activationCode(server, input.email),
    });
    const user = { ...input, id: created.id };
    statuses.length = 0;
    // Busy: a check of its own keeps the only hashing slot.
    const occupying = post(server, "/api/users/auth/check", {
      identifier: user.username,
      password: user.password,
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    const checked = await client.auth.check({ identifier: user.email, password: user.password });
    expect(checked.id).toBe(user.id);
    expect((await occupying).status).toBe(200);
    expect(statuses[0]).toBe(503);
    expect(statuses.at(-1)).toBe(200);
    // Every request the SDK sent is logged with its version.
    const logged = lines.filter((line) => line.includes('"url":"/trpc/users.auth.check"'));
    expect(logged.length).toBeGreaterThanOrEqual(statuses.length);
    for (const line of logged) expect(JSON.parse(line).req.sdk).toBe(userAgent);
  }, 60_000);

  it("puts the service's request id on errors (the caller's own when given)", async () => {
    await using server = await startTestServer();
    const client = createUsersClient({ url: server.url, apiKey: server.apiKey });
    const missing = await client.users.getById("63a1f1234abc5678def12345").catch((e: unknown) => e);
    expect(isUsersServiceError(missing, "USER_NOT_FOUND")).toBe(true);
    expect((missing as { requestId?: string }).requestId).toMatch(/^[0-9a-f-]{36}$/);
    const mine = await client.users
      .getById("63a1f1234abc5678def12345", { requestId: "order-42", headers: { "x-extra": "1" } })
      .catch((e: unknown) => e);
    expect(mine).toMatchObject({ code: "USER_NOT_FOUND", requestId: "order-42" });
  });

  it("walks 250 users page by page with listAll", async () => {
    await using server = await startTestServer();
    const client = createUsersClient({ url: server.url, apiKey: server.apiKey });
    const seeded = await seedMany(server, 250);
    const ids: string[] = [];
    for await (const user of client.users.listAll({ q: "page_" })) ids.push(user.id);
    expect(ids).toHaveLength(250);
    expect(new Set(ids)).toEqual(new Set(seeded));
    const first = [];
    for await (const user of client.users.listAll({ q: "page_" }, { limit: 7, pageSize: 3 }))
      first.push(user.id);
    expect(first).toEqual(ids.slice(0, 7));
  }, 60_000);
});

/** Inserts `count` users straight into the database (registration would hash each password). */
async function seedMany(server: TestServer, count: number) {
  const ids: string[] = [];
  for (let n = 0; n < count; n++) {
    const user = await seedUser(server, {
      username: `page_${String(n).padStart(3, "0")}`,
      email: `page.${n}@example.com`,
      password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
    });
    ids.push(user.id);
  }
  return ids;
}
