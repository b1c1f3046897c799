import { TRPCClientError } from "@trpc/client";
import { describe, expect, it } from "vitest";
import { createUsersClient, isUsersServiceError, type User, UsersServiceError } from "./index";
import { isRetryable, retryDelay, retrySettings } from "./retry";
import { userAgent } from "./version";

/** One answer of the fake service: a tRPC result or error, with its status and headers. */
type Answer = { status?: number; data?: unknown; error?: { code: string; retryAfterSeconds?: number } };

/** A fetch that answers tRPC requests from a script, and records what it was sent. */
function fakeService(script: (path: string, n: number) => Answer) {
  const requests: { url: string; method: string; headers: Headers; body: string | undefined }[] = [];
  let n = 0;
  const fetchImpl: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    requests.push({
      url: url.toString(),
      method: init?.method ?? "GET",
      headers: new Headers(init?.headers),
      body: typeof init?.body === "string" ? init.body : undefined,
    });
    const paths = url.pathname.replace(/^\/trpc\//, "").split(",");
    const batched = url.searchParams.get("batch") === "1";
    const answers = paths.map((path) => script(path, n++));
    const body = answers.map((answer) =>
      answer.error
        ? {
            error: {
              message: answer.error.code,
              code: -32603,
              data: {
                code: answer.error.code,
                httpStatus: answer.status ?? 500,
                retryAfterSeconds: answer.error.retryAfterSeconds,
              },
            },
          }
        : { result: { data: answer.data } },
    );
    const status = batched && answers.length > 1 ? 207 : (answers[0]?.status ?? 200);
    return new Response(JSON.stringify(batched ? body : body[0]), {
      status,
      headers: { "content-type": "application/json", "x-request-id": `req-${requests.length}` },
    });
  };
  return { fetch: fetchImpl, requests };
}

const user = (n: number) => ({ id: `id-${n}`, username: `user_${n}` }) as unknown as User;
const fast = { baseDelayMs: 1, maxDelayMs: 5 };
const busy: Answer = { status: 503, error: { code: "SERVICE_BUSY", retryAfterSeconds: 0 } };

describe("resource methods", () => {
  it("call queries with GET and mutations with POST at the procedure's tRPC path, with the SDK's version header", async () => {
    const service = fakeService(() => ({ data: user(1) }));
    const client = createUsersClient({ url: "http://svc/", apiKey: "k", fetch: service.fetch, batch: false });
    await client.users.getById("id-1");
    await client.auth.check({ identifier: "a", password: "b" });
    const [get, post] = service.requests;
    expect(get?.method).toBe("GET");
    expect(get?.url).toMatch(/^http:\/\/svc\/trpc\/users\.byId\?input=/);
    // The shorthand argument became the procedure's input object.
    expect(JSON.parse(new URL(get?.url ?? "").searchParams.get("input") ?? "")).toEqual({ id: "id-1" });
    expect(post).toMatchObject({ method: "POST", url: "http://svc/trpc/users.auth.check" });
    expect(JSON.parse(post?.body ?? "")).toEqual({ identifier: "a", password: "b" });
    expect(get?.headers.get("x-usersvc-sdk")).toBe(userAgent);
    expect(get?.headers.get("authorization")).toBe("Bearer k");
  });

  it("batches the calls of one tick by default, and not when switched off or given call options", async () => {
    const service = fakeService(() => ({ data: user(1) }));
    const client = createUsersClient({ url: "http://svc", apiKey: "k", fetch: service.fetch });
    await Promise.all([client.users.getById("a"), client.users.getByIdentifier("b")]);
    expect(service.requests).toHaveLength(1);
    expect(service.requests[0]?.url).toContain("users.byId,users.byIdentifier");
    await Promise.all([client.users.getById("a"), client.users.getById("b", { requestId: "mine" })]);
    expect(service.requests).toHaveLength(3);
    expect(service.requests.slice(1).map((r) => r.headers.get("x-request-id"))).toContain("mine");

    const unbatched = createUsersClient({
      url: "http://svc",
      apiKey: "k",
      fetch: service.fetch,
      batch: false,
    });
    await Promise.all([unbatched.users.getById("a"), unbatched.users.getById("b")]);
    expect(service.requests).toHaveLength(5);
  });
});

describe("retries", () => {
  it("retries a query after SERVICE_BUSY and succeeds", async () => {
    const service = fakeService((_path, n) => (n === 0 ? busy : { data: user(1) }));
    const client = createUsersClient({ url: "http://svc", apiKey: "k", fetch: service.fetch, retry: fast });
    expect(await client.users.getById("id-1")).toEqual(user(1));
    expect(service.requests).toHaveLength(2);
  });

  it("retries a mutation only on an answer that promises nothing was done", async () => {
    const service = fakeService((_path, n) => (n === 0 ? busy : { data: user(2) }));
    const client = createUsersClient({ url: "http://svc", apiKey: "k", fetch: service.fetch, retry: fast });
    expect(await client.auth.check({ identifier: "a", password: "b" })).toEqual(user(2));

    const down = fakeService((_path, n) =>
      n === 0
        ? { status: 503, error: { code: "DATABASE_UNAVAILABLE", retryAfterSeconds: 0 } }
        : { data: user(3) },
    );
    const other = createUsersClient({ url: "http://svc", apiKey: "k", fetch: down.fetch, retry: fast });
    const error = await other.users.create({} as never).catch((e: unknown) => e);
    // The write may have happened: the caller decides.
    expect(isUsersServiceError(error, "DATABASE_UNAVAILABLE")).toBe(true);
    expect(down.requests).toHaveLength(1);
    // A query is retried on the same answer.
    expect(await other.users.getById("x")).toEqual(user(3));
  });

  it("never retries TOO_MANY_ATTEMPTS, and stops after maxAttempts", async () => {
    const throttled = fakeService(() => ({
      status: 429,
      error: { code: "TOO_MANY_ATTEMPTS", retryAfterSeconds: 0 },
    }));
    const client = createUsersClient({ url: "http://svc", apiKey: "k", fetch: throttled.fetch, retry: fast });
    const error = await client.users.getById("x").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "TOO_MANY_ATTEMPTS", status: 429 });
    expect(throttled.requests).toHaveLength(1);

    const alwaysBusy = fakeService(() => busy);
    const bounded = createUsersClient({
      url: "http://svc",
      apiKey: "k",
      fetch: alwaysBusy.fetch,
      retry: { ...fast, maxAttempts: 4 },
    });
    expect(await bounded.users.getById("x").catch((e: unknown) => e)).toMatchObject({ code: "SERVICE_BUSY" });
    expect(alwaysBusy.requests).toHaveLength(4);
    await bounded.users.getById("x", { retry: false }).catch(() => {});
    expect(alwaysBusy.requests).toHaveLength(5);
  });

  it("carries the request id on the error, and an abort during the backoff is ABORTED", async () => {
    const alwaysBusy = fakeService(() => ({
      status: 503,
      error: { code: "SERVICE_BUSY", retryAfterSeconds: 1 },
    }));
    const client = createUsersClient({ url: "http://svc", apiKey: "k", fetch: alwaysBusy.fetch });
    const controller = new AbortController();
    const pending = client.users.getById("x", { signal: controller.signal }).catch((e: unknown) => e);
    while (alwaysBusy.requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    expect(await pending).toMatchObject({ code: "ABORTED" });
    const error = await client.users.getById("x", { retry: false }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "SERVICE_BUSY", requestId: "req-2", retryAfterSeconds: 1 });
  });

  it("waits Retry-After (with jitter) or a jittered exponential backoff, within the total time", () => {
    const settings = retrySettings({ maxAttempts: 5, maxElapsedMs: 10_000 }, undefined);
    const busyFor = (seconds: number) =>
      new UsersServiceError(
        new TRPCClientError("busy", {
          result: {
            error: {
              message: "busy",
              code: -32603,
              data: { code: "SERVICE_BUSY", httpStatus: 503, retryAfterSeconds: seconds },
            },
          },
        }),
      );
    expect(retryDelay(busyFor(2), 1, 0, settings, () => 0.5)).toBe(2_100); // Retry-After + up to 10 %
    expect(retryDelay(busyFor(60), 1, 0, settings, () => 0)).toBe(null); // longer than maxDelayMs
    const delays = [1, 2, 3, 4].map((attempt) => retryDelay(new Error("x"), attempt, 0, settings, () => 1));
    expect(delays).toEqual([250, 500, 1000, 2000]);
    expect(retryDelay(new Error("x"), 3, 0, settings, () => 0)).toBe(0);
    expect(retryDelay(new Error("x"), 5, 0, settings)).toBe(null); // attempts used up
    expect(retryDelay(new Error("x"), 2, 9_900, settings, () => 1)).toBe(null); // past the total time
    expect(retrySettings(undefined, false).maxAttempts).toBe(1);
    expect(isRetryable(new Error("not ours"), "query")).toBe(false);
  });
});

describe("auto-pagination", () => {
  it("follows next_cursor page by page, and stops at the limit", async () => {
    const pages = [
      { items: [user(1), user(2)], next_cursor: "c1" },
      { items: [user(3), user(4)], next_cursor: "c2" },
      { items: [user(5)], next_cursor: null },
    ];
    const service = fakeService((_path, n) => ({ data: pages[n % 3] }));
    const client = createUsersClient({ url: "http://svc", apiKey: "k", fetch: service.fetch, batch: false });
    const all: string[] = [];
    for await (const found of client.users.listAll({ q: "jo" }, { pageSize: 2 })) all.push(found.id);
    expect(all).toEqual(["id-1", "id-2", "id-3", "id-4", "id-5"]);
    const inputs = service.requests.map((r) => JSON.parse(new URL(r.url).searchParams.get("input") ?? ""));
    expect(inputs).toEqual([
      { q: "jo", limit: 2 },
      { q: "jo", limit: 2, cursor: "c1" },
      { q: "jo", limit: 2, cursor: "c2" },
    ]);
    const limited: string[] = [];
    for await (const found of client.users.listAll({}, { limit: 3, pageSize: 2 })) limited.push(found.id);
    expect(limited).toEqual(["id-1", "id-2", "id-3"]);
    expect(service.requests).toHaveLength(5);
  });
});

describe("the procedures of issues 16 and 18", () => {
  it("map to their resource methods at their tRPC paths, with shorthands and the webhook delivery log paged by id", async () => {
    const service = fakeService((path, n) =>
      path === "users.webhooks.deliveries"
        ? { data: { items: [{ id: `d-${n}` }], next_cursor: n === 5 ? "c1" : null } }
        : { data: { message: "ok" } },
    );
    const client = createUsersClient({ url: "http://svc", apiKey: "k", fetch: service.fetch, batch: false });
    await client.auth.requestCode("john@example.com");
    await client.auth.verifyCode({ identifier: "john@example.com", code: "123456" });
    await client.password.strength({ password: "Tulip-Kettle-Orbit-42" });
    await client.passkeys.list("id-1");
    await client.webhooks.get("w-1");
    const delivered: string[] = [];
    for await (const delivery of client.webhooks.deliveriesAll({ id: "w-1" })) delivered.push(delivery.id);
    expect(delivered).toEqual(["d-5", "d-6"]);
    const calls = service.requests.map((r) => {
      const url = new URL(r.url);
      const input = r.method === "GET" ? url.searchParams.get("input") : r.body;
      return [r.method, url.pathname.replace("/trpc/", ""), JSON.parse(input ?? "null")];
    });
    expect(calls).toEqual([
      ["POST", "users.auth.code.request", { identifier: "john@example.com" }],
      ["POST", "users.auth.code.verify", { identifier: "john@example.com", code: "123456" }],
      ["POST", "users.password.strength", { password: "Tulip-Kettle-Orbit-42" }],
      ["GET", "users.passkeys.list", { id: "id-1" }],
      ["GET", "users.webhooks.byId", { id: "w-1" }],
      ["GET", "users.webhooks.deliveries", { id: "w-1", limit: 100 }],
      ["GET", "users.webhooks.deliveries", { id: "w-1", limit: 100, cursor: "c1" }],
    ]);
  });
});
