import { freePort } from "@usersvc/local-stack";
import { newUserInput, startTestServer } from "@usersvc/server/testing";
import { describe, expect, it } from "vitest";
import { createUsersClient, isUsersServiceError, UsersServiceError } from "../src/index";

describe("SDK errors", () => {
  it("rejects with UsersServiceError carrying code, status and field issues", async () => {
    await using server = await startTestServer();
    const client = createUsersClient({ url: server.url, apiKey: server.apiKey });
    const input = { ...newUserInput(), gender: "Male" as const, role: "user" as const, username: "x" };
    const error = await client.users.create(input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsersServiceError);
    expect(isUsersServiceError(error, "VALIDATION_ERROR")).toBe(true);
    if (!isUsersServiceError(error)) throw new Error("unreachable");
    expect(error.status).toBe(400);
    expect(error.issues).toContainEqual({ path: "username", message: "must be at least 3 characters" });
    expect(error.message).toContain("username");

    const unauthorized = createUsersClient({ url: server.url, apiKey: "wrong-key-0123456789" });
    const denied = await unauthorized.users
      .getById({ id: "63a1f1234abc5678def12345" })
      .catch((e: unknown) => e);
    expect(denied).toMatchObject({ code: "INVALID_API_KEY", status: 401 });
  });

  it("reports an unreachable service as NETWORK_ERROR and a slow one as TIMEOUT", async () => {
    const closed = createUsersClient({ url: `http://127.0.0.1:${await freePort()}`, apiKey: "k" });
    expect(await closed.health.live().catch((e: unknown) => e)).toMatchObject({ code: "NETWORK_ERROR" });

    const never: typeof fetch = (_input, init) =>
      new Promise((_, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal?.reason)));
    const slow = createUsersClient({ url: "http://127.0.0.1:1", apiKey: "k", fetch: never, timeoutMs: 50 });
    const timedOut = await slow.health.live().catch((e: unknown) => e);
    expect(timedOut).toMatchObject({ code: "TIMEOUT", status: undefined });
  });

  it("sends extra headers with every call", async () => {
    await using server = await startTestServer();
    const seen: string[] = [];
    const spy: typeof fetch = async (input, init) => {
      seen.push(new Headers(init?.headers).get("x-request-id") ?? "");
      return fetch(input, init);
    };
    const client = createUsersClient({
      url: server.url,
      apiKey: server.apiKey,
      fetch: spy,
      headers: { "x-request-id": "sdk-1" },
    });
    await client.health.check();
    expect(seen).toEqual(["sdk-1"]);
  });
});
