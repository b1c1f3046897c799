import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createActiveUser, json, post, startTestServer, withinOneThrottleWindow } from "./harness";

describe("password hashing in child processes (PASSWORD_HASH_RUNTIME=child-process, the default)", () => {
  it("registers, logs in and refuses a wrong password, and stops its hashing processes with the server", async () => {
    const server = await startTestServer({ PASSWORD_HASH_RUNTIME: "child-process" });
    const user = await createActiveUser(server);
    const check = (password: string) =>
      post(server, "/api/users/auth/check", { identifier: user.username, password });
    expect((await check(user.password)).status).toBe(200);
    expect((await check("Wrong-password-1")).status).toBe(401);
    const children = childrenOf(process.pid);
    expect(children.length).toBeGreaterThan(0);
    await server[Symbol.asyncDispose]();
    expect(childrenOf(process.pid).filter((pid) => children.includes(pid))).toEqual([]);
  });

  it("answers 503 SERVICE_BUSY, counts no failure and no shed hash, when the hashing process dies under a login", async () => {
    // 64 iterations: a check takes long enough (~0.8 s) to be killed halfway. One failure
    // locks: a crash counted as a wrong password would lock the owner out.
    await using server = await startTestServer({
      PASSWORD_HASH_RUNTIME: "child-process",
      PASSWORD_HASH_ITERATIONS: "64",
      LOGIN_MAX_FAILURES: "1",
    });
    const user = await createActiveUser(server);
    const check = () =>
      post(server, "/api/users/auth/check", { identifier: user.username, password: user.password });
    const [hashing] = childrenOf(process.pid);
    expect(hashing).toBeDefined();

    // Killed once it has spent 50 ms of CPU on this check's hash (a busy machine may be slow to start it).
    const idle = cpuTicks(Number(hashing));
    const answer = check();
    while (cpuTicks(Number(hashing)) < idle + 5) await new Promise((resolve) => setTimeout(resolve, 10));
    process.kill(Number(hashing), "SIGKILL");
    const killed = await answer;
    expect(killed.status).toBe(503);
    expect(killed.headers.get("retry-after")).toBe("1");
    expect(await json(killed)).toMatchObject({ code: "SERVICE_BUSY" });

    // The next check runs in a new process, and the account was not locked by the crash.
    expect((await check()).status).toBe(200);
    const metrics = await (await server.api("/metrics")).text();
    expect(metrics).toMatch(/^users_password_hash_failures_total 1$/m);
    expect(metrics).toMatch(/^users_password_hash_shed_total 0$/m);
    expect(metrics).not.toMatch(/^users_login_failures_total\{factor="password"\} [1-9]/m);
  });
});

describe("password hashing under overload", () => {
  it("answers 503 SERVICE_BUSY with Retry-After at once past the queue, without counting the attempt", async () => {
    // One hash at a time, one waiting; 40 iterations make each check last long enough
    // (about 0.5 s) for the whole burst to arrive while the first two are in hand. A day-long
    // lockout window, entered away from its end, keeps a window boundary out of the test.
    await using server = await startTestServer({
      PASSWORD_HASH_CONCURRENCY: "1",
      PASSWORD_HASH_QUEUE_LIMIT: "1",
      PASSWORD_HASH_ITERATIONS: "40",
      LOGIN_MAX_FAILURES: "3",
      LOGIN_LOCKOUT_SECONDS: "86400",
    });
    const users = [];
    for (let i = 0; i < 2; i++) users.push(await createActiveUser(server));
    await withinOneThrottleWindow(server);
    const check = (identifier: string, password: string) =>
      post(server, "/api/users/auth/check", { identifier, password });
    const burst = [
      ...users.map((user) => ({ identifier: user.username, password: user.password })),
      ...Array.from({ length: 10 }, (_, i) => ({ identifier: `nobody-${i}`, password: "Wrong-password-1" })),
    ];
    const answers = await Promise.all(
      burst.map(async (body) => {
        const response = await check(body.identifier, body.password);
        return {
          ...body,
          status: response.status,
          retryAfter: response.headers.get("retry-after"),
          body: await json(response),
        };
      }),
    );
    const busy = answers.filter((answer) => answer.status === 503);
    expect(busy.length).toBeGreaterThanOrEqual(burst.length - 2 - 1);
    // Every refusal is counted, whether before the user lookup or at the hash.
    const metrics = await (await server.api("/metrics")).text();
    expect(metrics).toMatch(new RegExp(`^users_password_hash_shed_total ${busy.length}$`, "m"));
    for (const answer of busy) {
      expect(answer.body).toMatchObject({ code: "SERVICE_BUSY" });
      expect(answer.retryAfter).toBe("1");
    }
    // Everything else was checked for real.
    for (const answer of answers.filter((a) => a.status !== 503)) {
      expect(answer.status).toBe(answer.identifier.startsWith("nobody-") ? 401 : 200);
    }

    // A busy answer took no login attempt: all 3 failures are still allowed, then the lock.
    const refused = busy.find((answer) => answer.identifier.startsWith("nobody-"));
    expect(refused).toBeDefined();
    const identifier = refused?.identifier ?? "";
    for (let i = 0; i < 3; i++) expect((await check(identifier, "Wrong-password-1")).status).toBe(401);
    expect((await check(identifier, "Wrong-password-1")).status).toBe(429);
    // And the service answers normally once the burst is over.
    const [first] = users;
    expect((await check(first?.username ?? "", first?.password ?? "")).status).toBe(200);
  });
});

/** The live (not zombie) child processes of `pid`, from /proc. */
function childrenOf(pid: number): string[] {
  return readdirSync("/proc").filter((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const [state, parent] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return Number(parent) === pid && state !== "Z";
    } catch {
      return false;
    }
  });
}

/** CPU time (user + system, in clock ticks of 10 ms) the process `pid` has used so far. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}
