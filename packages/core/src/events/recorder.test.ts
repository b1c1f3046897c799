import { describe, expect, it } from "vitest";
import { fakeAuditStore } from "../../test/fakes";
import { createSecurityEventRecorder, type EventContext } from "./recorder";

const context: EventContext = { actor: "billing", clientIp: "203.0.113.9", requestId: "req-1" };

function recorderOver(store = fakeAuditStore(), maxWaiting?: number) {
  const errors: { id: string; dropped: boolean }[] = [];
  const recorder = createSecurityEventRecorder({
    store,
    newId: () => store.newId(),
    context: () => context,
    retry: { baseMs: 60_000, maxMs: 60_000 }, // the tests retry with flush()
    ...(maxWaiting ? { maxWaiting } : {}),
    onError: (_error, event, dropped) => errors.push({ id: event.id, dropped }),
  });
  return { store, recorder, errors };
}

describe("security event recorder", () => {
  it("stores the event with the request's actor, client IP and request id, and tells its listeners", async () => {
    const { store, recorder } = recorderOver();
    let told = 0;
    recorder.onRecorded(() => told++);
    await recorder.record({ type: "user.registered", userId: "u1" });
    await recorder.record({ type: "profile.updated", userId: "u1", details: { fields: ["first_name"] } });
    expect(store.all()).toMatchObject([
      {
        type: "user.registered",
        userId: "u1",
        actor: "billing",
        clientIp: "203.0.113.9",
        requestId: "req-1",
        details: {},
      },
      { type: "profile.updated", details: { fields: ["first_name"] } },
    ]);
    expect(told).toBe(2);
  });

  it("never fails the action: a refused insert is kept and retried with the same id and time, once", async () => {
    const { store, recorder, errors } = recorderOver();
    store.failing = true;
    await expect(recorder.record({ type: "login.failed", userId: null })).resolves.toBeUndefined();
    expect(recorder.unrecorded()).toBe(1);
    await recorder.flush(); // still down: kept
    expect(recorder.unrecorded()).toBe(1);
    store.failing = false;
    await recorder.flush();
    expect(recorder.unrecorded()).toBe(0);
    expect(store.all()).toHaveLength(1);
    expect(new Set(errors.map((e) => e.id))).toEqual(new Set([store.all()[0]?.id]));
    await recorder.flush();
    expect(store.all()).toHaveLength(1);
  });

  it("keeps at most maxWaiting events while the database is away, dropping the oldest (reported)", async () => {
    const { store, recorder, errors } = recorderOver(undefined, 2);
    store.failing = true;
    for (let i = 0; i < 3; i++) await recorder.record({ type: "login.failed", userId: `u${i}` });
    expect(recorder.unrecorded()).toBe(2);
    expect(errors.filter((e) => e.dropped)).toHaveLength(1);
    store.failing = false;
    await recorder.flush();
    expect(store.all().map((e) => e.userId)).toEqual(["u1", "u2"]);
  });

  it("records a batch in one write, in order, and retries the whole batch when it is refused", async () => {
    const { store, recorder } = recorderOver();
    store.failing = true;
    await recorder.recordAll([
      { type: "user.imported", userId: "a" },
      { type: "user.imported", userId: "b" },
    ]);
    expect(recorder.unrecorded()).toBe(2);
    store.failing = false;
    await recorder.flush();
    expect(store.all().map((e) => [e.type, e.userId, e.actor])).toEqual([
      ["user.imported", "a", "billing"],
      ["user.imported", "b", "billing"],
    ]);
  });
});
