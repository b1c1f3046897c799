import { describe, expect, it } from "vitest";
import { createFaultInjector } from "./faults";
import { json, newUserInput, register, startTestServer, type TestServer } from "./harness";

type Page = { items: { id: string; type: string; user_id: string | null }[] };

const typesOf = async (server: TestServer, userId: string) => {
  const response = await server.api(`/api/users/events?user_id=${userId}`);
  return (await json<Page>(response)).items.map((e) => e.type);
};

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

describe("audit trail: the order of write and event under faults", () => {
  it("the action's write fails: 503 and no event (an event is never recorded before its action)", async () => {
    const faults = createFaultInjector();
    await using server = await startTestServer({}, { faults });
    faults.failNext("users.insert", "before");
    const input = newUserInput();
    const refused = await register(server, input);
    expect(refused.status).toBe(503);
    expect(faults.fired()).toEqual(["users.insert"]);
    const all = await json<Page>(await server.api("/api/users/events"));
    expect(all.items).toEqual([]);
  });

  it("the event's insert fails (nothing stored): the action still answers 201 and its event lands by a retry", async () => {
    const faults = createFaultInjector();
    await using server = await startTestServer({}, { faults });
    faults.failNext("audit.insert", "before");
    const created = await register(server, newUserInput());
    expect(created.status).toBe(201);
    expect(faults.fired()).toEqual(["audit.insert"]);
    const { id } = await json<{ id: string }>(created);
    expect(
      await eventually(
        () => typesOf(server, id),
        (types) => types.length > 0,
      ),
    ).toEqual(["user.registered"]);
  });

  it("the event's insert lands but answers an error: the retry adds no second event", async () => {
    const faults = createFaultInjector();
    await using server = await startTestServer({}, { faults });
    faults.failNext("audit.insert", "after");
    const created = await register(server, newUserInput());
    expect(created.status).toBe(201);
    const { id } = await json<{ id: string }>(created);
    expect(await typesOf(server, id)).toEqual(["user.registered"]);
    // The retry runs (now rather than in a second) and finds the event already there.
    expect(server.app.container.events.unrecorded()).toBe(1);
    await server.app.container.events.flush();
    expect(server.app.container.events.unrecorded()).toBe(0);
    expect(await typesOf(server, id)).toEqual(["user.registered"]);
    expect(faults.fired()).toEqual(["audit.insert"]);
  });
});
