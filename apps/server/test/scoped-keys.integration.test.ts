import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintApiKey } from "../scripts/api-key";
import { json, newUserInput, register, startTestServer, type TestServer } from "./harness";

const exec = promisify(execFile);
const serverDir = path.resolve(import.meta.dirname, "..");

/** Mints a key with the real command, as an operator would, and reads its output. */
async function mintWithCommand(name: string, scopes: string) {
  const { stdout } = await exec(
    process.execPath,
    ["--import", "tsx", "scripts/api-key.ts", "create", "--name", name, "--scopes", scopes],
    { cwd: serverDir },
  );
  const key = /^ {2}(usk_\S+)$/m.exec(stdout)?.[1];
  const entry = /^ {2}(\S+\/sha256:[0-9a-f]{64})$/m.exec(stdout)?.[1];
  if (!key || !entry) throw new Error(`unexpected output of api-key create:\n${stdout}`);
  return { key, entry, stdout };
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const jsonBody = (method: string, key: string, body: unknown): RequestInit => ({
  method,
  headers: { ...bearer(key), "content-type": "application/json" },
  body: JSON.stringify(body),
});

describe("scoped API keys", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "keys-"));
  const logLines: string[] = [];
  let server: TestServer;
  let billing: Awaited<ReturnType<typeof mintWithCommand>>;
  const writer = mintApiKey({ name: "crm", scopes: ["users:write"] });
  const admin = mintApiKey({ name: "back-office", scopes: ["users:read", "admin"] });
  let userId: string;

  beforeAll(async () => {
    billing = await mintWithCommand("billing", "users:read");
    // The admin key comes from API_KEYS_FILE, the others from API_KEYS (next to a plain key).
    const file = path.join(dir, "keys.json");
    writeFileSync(file, JSON.stringify({ keys: [admin.fileEntry] }));
    server = await startTestServer(
      {
        API_KEYS: `legacy-full-access-0123456789,${billing.entry},${writer.entry}`,
        API_KEYS_FILE: file,
        LOG_LEVEL: "info",
      },
      { logLines },
    );
    const created = await register(server, newUserInput());
    userId = (await json<{ id: string }>(created)).id;
  });

  afterAll(async () => {
    await server[Symbol.asyncDispose]();
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints the key once and a configuration line holding only its digest", () => {
    expect(billing.key).toMatch(/^usk_[A-Za-z0-9_-]{43}$/);
    expect(billing.entry).toMatch(/^billing\/users:read\/sha256:[0-9a-f]{64}$/);
    expect(billing.entry).not.toContain(billing.key);
    expect(billing.stdout.split(billing.key)).toHaveLength(2);
  });

  it("lets a users:read key look up and list, and refuses it everything else with 403 INSUFFICIENT_SCOPE", async () => {
    const key = billing.key;
    expect((await server.api(`/api/users/id?id=${userId}`, { headers: bearer(key) })).status).toBe(200);
    expect((await server.api("/api/users/?limit=5", { headers: bearer(key) })).status).toBe(200);

    const refusals: [string, RequestInit, string][] = [
      [`/api/users/id?id=${userId}`, { method: "DELETE", headers: bearer(key) }, "admin"],
      ["/api/users/id", jsonBody("PATCH", key, { id: userId, first_name: "Mallory" }), "users:write"],
      ["/api/users/id", jsonBody("PATCH", key, { id: userId, role: "admin" }), "users:write"],
      ["/api/users/import", jsonBody("POST", key, { users: [] }), "admin"],
      ["/api/users/", jsonBody("POST", key, newUserInput()), "users:write"],
      ["/api/users/auth/check", jsonBody("POST", key, { identifier: "x", password: "y" }), "auth"],
    ];
    for (const [route, init, scope] of refusals) {
      const response = await server.api(route, init);
      expect(response.status, `${init.method} ${route}`).toBe(403);
      const body = await json(response);
      expect(body).toMatchObject({ code: "INSUFFICIENT_SCOPE", required_scope: scope });
      expect(body.message).toContain(`"billing" lacks the scope "${scope}"`);
    }
    // Nothing happened.
    const user = await json(await server.api(`/api/users/id?id=${userId}`));
    expect(user).toMatchObject({ id: userId, role: "user", first_name: "John" });
  });

  it("lets a users:write key change a profile but not a role, nor register an admin", async () => {
    const ok = await server.api(
      "/api/users/id",
      jsonBody("PATCH", writer.key, { id: userId, last_name: "Roe" }),
    );
    expect(ok.status).toBe(200);
    for (const role of ["admin", "user"]) {
      const promote = await server.api("/api/users/id", jsonBody("PATCH", writer.key, { id: userId, role }));
      expect(promote.status).toBe(403);
      expect(await json(promote)).toMatchObject({ code: "INSUFFICIENT_SCOPE", required_scope: "admin" });
    }
    const makeAdmin = await server.api(
      "/api/users/",
      jsonBody("POST", writer.key, newUserInput({ role: "admin" })),
    );
    expect(makeAdmin.status).toBe(403);
    expect(await json(makeAdmin)).toMatchObject({ required_scope: "admin" });
    const plainUser = await server.api(
      "/api/users/",
      jsonBody("POST", writer.key, newUserInput({ role: "user" })),
    );
    expect(plainUser.status).toBe(201);
    expect((await json(await server.api(`/api/users/id?id=${userId}`))).role).toBe("user");
  });

  it("answers tRPC callers the same way, with the missing scope in error.data", async () => {
    const response = await server.api(
      "/trpc/users.deleteById",
      jsonBody("POST", billing.key, { id: userId }),
    );
    expect(response.status).toBe(403);
    const body = await json<{ error: { data: Record<string, unknown> } }>(response);
    expect(body.error.data).toMatchObject({
      code: "INSUFFICIENT_SCOPE",
      httpStatus: 403,
      requiredScope: "admin",
    });
  });

  it("keeps plain keys working with every scope, and a key from API_KEYS_FILE with its own", async () => {
    const promoted = await server.api("/api/users/id", {
      ...jsonBody("PATCH", "legacy-full-access-0123456789", { id: userId, role: "admin" }),
    });
    expect(promoted.status).toBe(200);
    expect((await json(promoted)).role).toBe("admin");
    const demoted = await server.api(
      "/api/users/id",
      jsonBody("PATCH", admin.key, { id: userId, role: "user" }),
    );
    // back-office holds users:read and admin, not users:write: a profile update is not its job.
    expect(demoted.status).toBe(403);
    expect(await json(demoted)).toMatchObject({ required_scope: "users:write" });
    const deleted = await server.api(`/api/users/id?id=${userId}`, {
      method: "DELETE",
      headers: bearer(admin.key),
    });
    expect(deleted.status).toBe(200);
  });

  it("shows every route's scope in the OpenAPI document", async () => {
    type Operation = {
      security?: unknown;
      description?: string;
      "x-required-scope"?: string;
      "x-field-scopes"?: unknown;
      responses: Record<string, { description: string }>;
    };
    const spec = await json<{ paths: Record<string, Record<string, Operation>> }>(
      await fetch(`${server.url}/api/openapi.json`),
    );
    const remove = spec.paths["/users/id"]?.delete;
    expect(remove).toMatchObject({ "x-required-scope": "admin", security: [{ bearerAuth: ["admin"] }] });
    expect(remove?.description).toContain("Needs an API key with the `admin` scope.");
    expect(remove?.responses["403"]?.description).toMatch(/^INSUFFICIENT_SCOPE/);
    const update = spec.paths["/users/id"]?.patch;
    expect(update).toMatchObject({
      "x-required-scope": "users:write",
      "x-field-scopes": { role: { scope: "admin" } },
    });
    expect(update?.description).toContain("sending `role` also needs `admin`");
    // A route whose 403 already meant something keeps it, and adds the scope refusal.
    expect(spec.paths["/users/auth/check"]?.post?.responses["403"]?.description).toMatch(
      /^USER_NOT_ACTIVE.*; or INSUFFICIENT_SCOPE/,
    );
    const health = spec.paths["/users/health"]?.get;
    expect(health?.security).toBeUndefined();
    expect(health?.["x-required-scope"]).toBeUndefined();
  });

  it("answers an unknown key 401 INVALID_API_KEY, as before", async () => {
    const response = await server.api("/api/users/?limit=1", {
      headers: bearer("usk_not-a-configured-key-000"),
    });
    expect(response.status).toBe(401);
    expect(await json(response)).toMatchObject({
      code: "INVALID_API_KEY",
      message: "The API key is not valid.",
    });
  });

  it("puts the key's name, never the key, on the request's log lines and metrics", async () => {
    await server.api("/api/users/health/live", { headers: bearer(billing.key) });
    const lines = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const billingLines = lines.filter((line) => line.apiKeyName === "billing");
    expect(billingLines.length).toBeGreaterThan(5);
    expect(billingLines.some((line) => (line.res as { statusCode?: number })?.statusCode === 403)).toBe(true);
    expect(lines.some((line) => line.apiKeyName === "crm")).toBe(true);
    const everything = logLines.join("\n");
    for (const secret of [billing.key, writer.key, admin.key, "legacy-full-access-0123456789"])
      expect(everything).not.toContain(secret);

    const metrics = await (await server.api("/metrics", { headers: bearer(admin.key) })).text();
    expect(metrics).toMatch(
      /http_requests_total\{route="\/api\/users\/id",method="DELETE",status="403",api_key="billing"\} 1/,
    );
    expect(metrics).toMatch(
      /http_requests_total\{route="\/api\/users\/id",method="PATCH",status="200",api_key="crm"\} 1/,
    );
    expect(metrics).toMatch(/api_key="legacy-1"/);
    expect(metrics).toMatch(/http_requests_total\{[^}]*status="401",api_key="none"\} 1/);
    expect(metrics).not.toContain(billing.key);
  });

  it("lets only a key holding admin read /metrics (they name every caller's key and its traffic)", async () => {
    for (const key of [billing.key, writer.key]) {
      const response = await server.api("/metrics", { headers: bearer(key) });
      expect(response.status).toBe(403);
      expect(await json(response)).toMatchObject({ code: "INSUFFICIENT_SCOPE", required_scope: "admin" });
    }
    expect((await server.api("/metrics", { headers: bearer(admin.key) })).status).toBe(200);
  });
});
