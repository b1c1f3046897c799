import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { json, startTestServer } from "./harness";

type OpenApiDocument = {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      {
        description?: string;
        requestBody?: { content: Record<string, { schema: unknown }> };
        responses: Record<string, { description?: string; content: Record<string, { schema: unknown }> }>;
      }
    >
  >;
  components?: { schemas?: Record<string, unknown> };
};

const expectNoStack = (text: string) => {
  expect(text).not.toMatch(/\bat .+\.(ts|js):\d+/);
  expect(text).not.toContain('"stack"');
};

describe("HTTP contract", () => {
  it("answers 413 for bodies over 16 KiB, declared or streamed, on REST and tRPC", async () => {
    await using server = await startTestServer();
    const big = JSON.stringify({ identifier: "x".repeat(17 * 1024) });
    for (const path of ["/api/users/id", "/trpc/users.byId"]) {
      const response = await server.api(path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: big,
      });
      expect(response.status, path).toBe(413);
      const text = await response.text();
      expect(text).toContain("PAYLOAD_TOO_LARGE");
    }
    const chunked = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const streamed = await server.api("/api/users/id", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: chunked,
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
  });

  it("answers 405 with Allow for a method a known REST path does not take", async () => {
    await using server = await startTestServer();
    const response = await server.api("/api/users/health", { method: "DELETE" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET");
    expect(await response.json()).toMatchObject({ code: "METHOD_NOT_ALLOWED" });
    const put = await server.api("/api/users/id", { method: "PUT" });
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")?.split(", ").sort()).toEqual(["DELETE", "GET", "PATCH"]);
  });

  it("answers 400 MALFORMED_JSON for a broken JSON body", async () => {
    await using server = await startTestServer();
    const response = await server.api("/api/users/id", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"id": ',
    });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ code: "MALFORMED_JSON" });
    expectNoStack(text);
  });

  it("answers 400 VALIDATION_ERROR for a JSON body that is not an object (null would read as {})", async () => {
    await using server = await startTestServer();
    for (const body of ["null", "[]", "42", '"text"']) {
      const response = await server.api("/api/users/passkeys/authenticate/options", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      expect(response.status, body).toBe(400);
      expect(await response.json()).toMatchObject({ code: "VALIDATION_ERROR" });
    }
  });

  it("answers a JSON 404 for unknown routes, inside and outside /api", async () => {
    await using server = await startTestServer();
    for (const path of ["/nope", "/api/users/nope", "/api/docs/secret.txt"]) {
      const response = await server.api(path);
      expect(response.status, path).toBe(404);
      expect(response.headers.get("content-type")).toContain("application/json");
      expect(await response.json()).toMatchObject({ code: "ROUTE_NOT_FOUND" });
    }
  });

  it("answers 400 VALIDATION_ERROR with the field problems for a malformed id", async () => {
    await using server = await startTestServer();
    const response = await server.api("/api/users/id?id=not-an-id");
    expect(response.status).toBe(400);
    const body = await json<{ message: string }>(response);
    expect(body).toMatchObject({
      code: "VALIDATION_ERROR",
      issues: [{ path: "id", message: "must be a 24-character hexadecimal id" }],
    });
    expect(body.message).toContain("id: must be a 24-character hexadecimal id");
  });

  it("reports a stored record that breaks the output schema as our 500, not the caller's 400", async () => {
    await using server = await startTestServer();
    const { insertedId } = (await server.app.connection.db?.collection("users").insertOne({
      username: "legacy",
      username_key: "legacy",
      first_name: "L",
      last_name: "L",
      email: "legacy@example.com",
      email_key: "legacy@example.com",
      password_hash: "x",
      gender: "Robot",
      role: "user",
      is_active: true,
      mfa_enabled: false,
      created_at: new Date(),
      updated_at: new Date(),
    })) ?? { insertedId: null };
    const response = await server.api(`/api/users/id?id=${String(insertedId)}`);
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ code: "INTERNAL_ERROR" });
    expect(text).not.toContain("Robot");
    const trpc = await server.api(
      `/trpc/users.byId?input=${encodeURIComponent(JSON.stringify({ id: String(insertedId) }))}`,
    );
    expect(trpc.status).toBe(500);
    expectNoStack(await trpc.text());
  });

  it("echoes a caller's X-Request-Id and makes one otherwise", async () => {
    await using server = await startTestServer();
    const echoed = await fetch(`${server.url}/api/users/health`, { headers: { "x-request-id": "abc-123" } });
    expect(echoed.headers.get("x-request-id")).toBe("abc-123");
    const made = await fetch(`${server.url}/api/users/health`, {
      headers: { "x-request-id": "not a valid id" },
    });
    expect(made.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const failed = await server.api("/api/users/id?id=63a1f1234abc5678def12345", {
      headers: { "x-request-id": "trace-42" },
    });
    expect(await failed.json()).toMatchObject({ request_id: "trace-42" });
  });

  it("answers REST errors with exactly { code, message, issues?, request_id }, tRPC with the same code and message", async () => {
    await using server = await startTestServer();
    const missing = "63a1f1234abc5678def12345";
    const rest = await server.api(`/api/users/id?id=${missing}`, { headers: { "x-request-id": "trace-7" } });
    expect(rest.status).toBe(404);
    const body = await json(rest);
    expect(Object.keys(body).sort()).toEqual(["code", "message", "request_id"]);
    expect(body).toMatchObject({ code: "USER_NOT_FOUND", request_id: "trace-7" });
    const invalid = await json(await server.api("/api/users/id?id=nope"));
    expect(Object.keys(invalid).sort()).toEqual(["code", "issues", "message", "request_id"]);
    const trpc = await server.api(
      `/trpc/users.byId?input=${encodeURIComponent(JSON.stringify({ id: missing }))}`,
    );
    expect(trpc.status).toBe(404);
    const { error } = await json<{ error: { message: string; data: Record<string, unknown> } }>(trpc);
    expect(error.message).toBe(body.message);
    expect(error.data).toMatchObject({ code: "USER_NOT_FOUND", httpStatus: 404 });
    const unsupported = await server.api("/api/users/", { method: "POST", body: "x=1" });
    expect(unsupported.status).toBe(415);
    expect(Object.keys(await json(unsupported)).sort()).toEqual(["code", "message", "request_id"]);
  });

  it("serves a valid OpenAPI 3 document that documents the error body", async () => {
    await using server = await startTestServer();
    const document = await json<OpenApiDocument>(await fetch(`${server.url}/api/openapi.json`));
    const result = await new Validator().validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        "/users",
        "/users/activation",
        "/users/activation/resend",
        "/users/identifier",
        "/users/health",
        "/users/health/live",
        "/users/id",
      ]),
    );
    expect(Object.keys(document.paths["/users"]?.post?.responses ?? {})).toContain("201");
    expect(
      document.paths["/users/health"]?.get?.responses["503"]?.content["application/json"]?.schema,
    ).toEqual({
      $ref: "#/components/schemas/Health",
    });
    expect(document.paths["/users/id"]?.get?.responses["404"]?.content["application/json"]?.schema).toEqual({
      $ref: "#/components/schemas/Error",
    });
    // Each route describes its own errors (the generator shares one object per status).
    const check = document.paths["/users/auth/check"]?.post?.responses;
    expect(check?.["401"]?.description).toMatch(/INVALID_CREDENTIALS/);
    expect(check?.["503"]?.description).toMatch(/SERVICE_BUSY/);
    expect(document.paths["/users/health"]?.get?.responses["503"]?.description).toMatch(/unreachable/);
    expect(document.paths["/users/email/confirm"]?.patch?.responses["409"]?.description).not.toMatch(
      /USERNAME_TAKEN/,
    );
    // Activation and email confirmation document both ways in: the code, or the link's token.
    for (const path of ["/users/activation", "/users/email/confirm"]) {
      const operation = document.paths[path]?.patch;
      const body = JSON.stringify([operation?.requestBody, document.components?.schemas]);
      expect(body).toContain('"token"');
      expect(body).toContain('"code"');
      expect(operation?.description).toMatch(/token/);
    }
    // No 409 for an already active account any more: every refusal is the same 400.
    expect(document.paths["/users/activation"]?.patch?.responses["409"]).toBeUndefined();
  });

  it("renders the docs page from local assets", async () => {
    await using server = await startTestServer();
    const page = await fetch(`${server.url}/api/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<div id="swagger-ui">');
    expect(html).not.toMatch(/https?:\/\//);
    for (const asset of ["swagger-ui-bundle.js", "swagger-ui.css", "init.js"]) {
      const response = await fetch(`${server.url}/api/docs/${asset}`);
      expect(response.status, asset).toBe(200);
    }
  });
});
