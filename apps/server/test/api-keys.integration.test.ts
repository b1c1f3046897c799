import { describe, expect, it } from "vitest";
import { json, publicUserKeys, seedUser, startTestServer } from "./harness";

async function seedJohn(server: Awaited<ReturnType<typeof startTestServer>>) {
  const user = await seedUser(server, {
    username: "JohnDoe",
    first_name: "John",
    last_name: "Doe",
    email: "john@example.com",
    password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
    gender: "Male",
  });
  return user.id;
}

describe("API keys", () => {
  it("rejects a protected REST route without a key, with a wrong key, and serves it with a right one", async () => {
    await using server = await startTestServer();
    const id = await seedJohn(server);
    const path = `/api/users/id?id=${id}`;

    const missing = await fetch(`${server.url}${path}`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ code: "INVALID_API_KEY" });

    const wrong = await server.api(path, { headers: { authorization: "Bearer not-the-right-key-0000" } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({
      code: "INVALID_API_KEY",
      message: "The API key is not valid.",
    });

    const ok = await server.api(path);
    expect(ok.status).toBe(200);
    const user = await json(ok);
    expect(user).toMatchObject({
      id,
      username: "JohnDoe",
      is_active: false,
      mfa_enabled: false,
      role: "user",
    });
    expect(Object.keys(user).sort()).toEqual(publicUserKeys);
  });

  it("protects the tRPC dialect the same way, with the same stable code", async () => {
    await using server = await startTestServer();
    const input = encodeURIComponent(JSON.stringify({ id: "63a1f1234abc5678def12345" }));
    const missing = await fetch(`${server.url}/trpc/users.byId?input=${input}`);
    expect(missing.status).toBe(401);
    expect((await json<{ error: { data: unknown } }>(missing)).error.data).toMatchObject({
      code: "INVALID_API_KEY",
      httpStatus: 401,
    });

    const notFound = await server.api(`/trpc/users.byId?input=${input}`);
    expect(notFound.status).toBe(404);
    expect((await json<{ error: { data: unknown } }>(notFound)).error.data).toMatchObject({
      code: "USER_NOT_FOUND",
    });
  });

  it("accepts every configured key", async () => {
    await using server = await startTestServer({ API_KEYS: "first-key-0123456789, second-key-0123456789" });
    for (const key of ["first-key-0123456789", "second-key-0123456789"]) {
      const response = await server.api("/api/users/id?id=63a1f1234abc5678def12345", {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(response.status).toBe(404);
    }
  });

  it("keeps health, liveness, the spec and the docs open", async () => {
    await using server = await startTestServer();
    for (const path of ["/api/users/health", "/api/users/health/live", "/api/openapi.json", "/api/docs"]) {
      expect((await fetch(`${server.url}${path}`)).status, path).toBe(200);
    }
  });
});
