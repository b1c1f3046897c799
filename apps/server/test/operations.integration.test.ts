import net from "node:net";
import { createMailpitClient } from "@usersvc/local-stack";
import { describe, expect, inject, it } from "vitest";
import {
  createActiveUser,
  json,
  newUserInput,
  post,
  register,
  startTestServer,
  testEnv,
  withinOneThrottleWindow,
} from "./harness";
import { spawnServer } from "./processes";

const canConnect = (url: string) =>
  new Promise<boolean>((resolve) => {
    const { hostname, port } = new URL(url);
    const socket = net.connect({ host: hostname, port: Number(port) });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

describe("operations", () => {
  it("on SIGTERM answers the request in flight, refuses new connections and exits 0", async () => {
    const env = testEnv();
    await using server = await spawnServer(env);
    const { hostname, port } = new URL(server.url);
    const body = JSON.stringify({ identifier: "someone@example.com" });
    const socket = net.connect({ host: hostname, port: Number(port) });
    await new Promise((resolve) => socket.once("connect", resolve));
    let answer = "";
    socket.on("data", (chunk: Buffer) => {
      answer += chunk;
    });
    const apiKey = env.API_KEYS ?? "";
    socket.write(
      `POST /api/users/password/forgot HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${apiKey}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));

    server.child.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await canConnect(server.url)).toBe(false);

    socket.write(body.slice(10));
    const exitCode = await server.exited;
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(answer).toContain("If the email exists, a reset link has been sent.");
    expect(exitCode).toBe(0);
  });

  it("serves Prometheus metrics behind the API key", async () => {
    await using server = await startTestServer({ LOGIN_MAX_FAILURES: "2" });
    const user = await createActiveUser(server);
    await withinOneThrottleWindow(server);
    for (let i = 0; i < 3; i++)
      await post(server, "/api/users/auth/check", { identifier: user.username, password: "Wrong-pass-1" });
    await fetch(`${server.url}/api/users/health`);

    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const response = await server.api("/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const text = await response.text();
    expect(text).toMatch(
      /http_requests_total\{route="\/api\/users\/health",method="GET",status="200",api_key="none"\} 1/,
    );
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="0.005",route="\/api\/users"/);
    expect(text).toMatch(/users_login_failures_total\{factor="password"\} 2/);
    expect(text).toMatch(/users_login_lockouts_total 1/);
    expect(text).toMatch(/users_password_hash_duration_seconds_count\{operation="hash"\} [1-9]/);
    expect(text).toMatch(/^users_password_hash_waiting 0$/m);
    expect(text).toMatch(/^users_password_hash_shed_total 0$/m);
    expect(text).toMatch(/users_outbox_messages\{status="pending"\} \d+/);
    expect(text).toMatch(/users_outbox_oldest_pending_seconds \d/);
    expect(text).toContain("process_resident_memory_bytes");
  });

  it("takes a dedicated METRICS_TOKEN instead of the API keys when one is set", async () => {
    await using server = await startTestServer({ METRICS_TOKEN: "metrics-token-0123456789" });
    expect((await server.api("/metrics")).status).toBe(401);
    const ok = await fetch(`${server.url}/metrics`, {
      headers: { authorization: "Bearer metrics-token-0123456789" },
    });
    expect(ok.status).toBe(200);
    expect((await server.api("/api/users/health")).status).toBe(200);
  });

  it("labels unknown paths as unmatched, keeping metric cardinality bounded", async () => {
    await using server = await startTestServer();
    for (const path of ["/random/a", "/random/b", "/api/users/nope"]) await fetch(`${server.url}${path}`);
    const text = await (await server.api("/metrics")).text();
    expect(text).toMatch(
      /http_requests_total\{route="unmatched",method="GET",status="404",api_key="none"\} 3/,
    );
    expect(text).not.toContain("/random/");
  });

  it("sends security headers on every response and keeps CORS off unless configured", async () => {
    await using server = await startTestServer();
    const response = await fetch(`${server.url}/api/users/health`, {
      headers: { origin: "https://evil.example" },
    });
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answers CORS preflights for configured origins only", async () => {
    await using server = await startTestServer({ CORS_ORIGINS: "https://app.example.com" });
    const preflight = (origin: string) =>
      fetch(`${server.url}/api/users/`, {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization",
        },
      });
    const allowed = await preflight("https://app.example.com");
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(allowed.headers.get("access-control-allow-headers")).toContain("Authorization");
    const other = await preflight("https://evil.example");
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("runs the email worker as its own process (PROCESS_ROLE=worker)", async () => {
    const env = testEnv();
    await using api = await startTestServer(env, { worker: false });
    const input = newUserInput();
    expect((await register(api, input)).status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await api.inbox.messagesTo(input.email)).toHaveLength(0); // no worker in the API process

    await using worker = await spawnServer(
      { ...env, PROCESS_ROLE: "worker" },
      { waitFor: /email worker running/ },
    );
    expect((await api.inbox.waitForMessages(input.email)).length).toBe(1);
    expect(worker.output()).not.toContain("listening");
  });
});

describe("scale-out: two server processes on one database", () => {
  it("share throttling, send each email once and see each other's users", async () => {
    const env: Record<string, string> = {
      ...testEnv(),
      LOGIN_MAX_FAILURES: "4",
      // A day-long window: the wait for one with room left almost never comes this late in the test.
      LOGIN_LOCKOUT_SECONDS: "86400",
      OUTBOX_POLL_INTERVAL_MS: "50",
    };
    await using a = await spawnServer(env);
    await using b = await spawnServer(env);
    const key = env.API_KEYS ?? "";
    const call = (base: string, path: string, body?: unknown) =>
      fetch(`${base}${path}`, {
        method: body ? "POST" : "GET",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });

    const inputs = Array.from({ length: 6 }, () => newUserInput());
    const created = await Promise.all(
      inputs.map((input, i) => call(i % 2 ? a.url : b.url, "/api/users/", input)),
    );
    expect(created.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 201]);
    const first = await json<{ id: string }>(created[0] ?? new Response());
    expect((await call(a.url, `/api/users/id?id=${first.id}`)).status).toBe(200);
    expect((await call(b.url, `/api/users/id?id=${first.id}`)).status).toBe(200);

    const inbox = createMailpitClient(inject("stack").mailpitUrl);
    for (const input of inputs) await inbox.waitForMessages(input.email);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (const input of inputs) expect(await inbox.messagesTo(input.email)).toHaveLength(1);

    const target = inputs[0]?.username ?? "";
    await withinOneThrottleWindow({ windowSeconds: Number(env.LOGIN_LOCKOUT_SECONDS ?? 900) });
    for (let i = 0; i < 4; i++) {
      const response = await call(i % 2 ? a.url : b.url, "/api/users/auth/check", {
        identifier: target,
        password: "Wrong-pass-1",
      });
      expect(response.status).toBe(401);
    }
    for (const base of [a.url, b.url]) {
      expect(
        (await call(base, "/api/users/auth/check", { identifier: target, password: "Wrong-pass-1" })).status,
      ).toBe(429);
    }
  });
});
