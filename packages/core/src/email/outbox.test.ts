import { describe, expect, it, vi } from "vitest";
import { createFakes, failNext, single } from "../../test/fakes";
import { activationEmail, emailChangedEmail, passwordChangedEmail, passwordResetEmail } from "./kinds";
import { builtinEmailTemplates } from "./outbox";

const vars = { to: "alice@example.com", firstName: "Alice" };
const notice = (userId = "u1") => ({ kind: passwordChangedEmail, vars, userId, ref: "notice" });

function setup() {
  const f = createFakes();
  const woken = vi.fn();
  f.outbox.onQueued(woken);
  return { f, woken };
}

describe("email outbox", () => {
  it("queue stores the rendered email for the worker and wakes it", async () => {
    const { f, woken } = setup();
    await f.outbox.queue(notice());
    const message = single(f.store.messages());
    expect(message).toMatchObject({
      userId: "u1",
      kind: "password-changed",
      ref: "notice",
      status: "pending",
      attempts: 0,
    });
    expect(message.email).toEqual({
      to: vars.to,
      ...builtinEmailTemplates().render("password-changed", vars),
    });
    expect(woken).toHaveBeenCalledTimes(1);
  });

  it("wakes every listener", async () => {
    const { f, woken } = setup();
    const second = vi.fn();
    f.outbox.onQueued(second);
    await f.outbox.queue(notice());
    expect(woken).toHaveBeenCalledTimes(1);
    expect(second).toHaveBeenCalledTimes(1);
  });

  it("queue wakes nobody when storing fails", async () => {
    const { f, woken } = setup();
    failNext(f.store, "enqueue");
    await expect(f.outbox.queue(notice())).rejects.toThrow("injected fault");
    expect(f.store.messages()).toEqual([]);
    expect(woken).not.toHaveBeenCalled();
  });

  describe("queueWith", () => {
    it("queues the email before the write runs, keeps it and wakes the worker when the write succeeds", async () => {
      const { f, woken } = setup();
      let queuedDuringWrite = -1;
      const result = await f.outbox.queueWith(notice(), async () => {
        queuedDuringWrite = f.store.messages().length;
        return { written: true };
      });
      expect(result).toEqual({ written: true });
      expect(queuedDuringWrite).toBe(1);
      expect(f.store.messages()).toHaveLength(1);
      expect(woken).toHaveBeenCalledTimes(1);
    });

    it("keeps the email for writes that answer nothing (void) or other falsy values than null/false", async () => {
      const { f, woken } = setup();
      await f.outbox.queueWith(notice("a"), async () => {});
      expect(await f.outbox.queueWith(notice("b"), async () => 0)).toBe(0);
      expect(
        f.store
          .messages()
          .map((m) => m.userId)
          .sort(),
      ).toEqual(["a", "b"]);
      expect(woken).toHaveBeenCalledTimes(2);
    });

    it("discards the email, wakes nobody and rethrows when the write throws", async () => {
      const { f, woken } = setup();
      await expect(
        f.outbox.queueWith(notice(), () => Promise.reject(new Error("write failed"))),
      ).rejects.toThrow("write failed");
      expect(f.store.messages()).toEqual([]);
      expect(woken).not.toHaveBeenCalled();
    });

    it.each([null, false])(
      "discards the email and wakes nobody when the write answers %s",
      async (answer) => {
        const { f, woken } = setup();
        expect(await f.outbox.queueWith(notice(), async () => answer)).toBe(answer);
        expect(f.store.messages()).toEqual([]);
        expect(woken).not.toHaveBeenCalled();
      },
    );

    it("still reports the write's error when the discard fails too", async () => {
      const { f, woken } = setup();
      failNext(f.store, "discard");
      await expect(
        f.outbox.queueWith(notice(), () => Promise.reject(new Error("write failed"))),
      ).rejects.toThrow("write failed");
      expect(woken).not.toHaveBeenCalled();
    });

    it("does not run the write when the email cannot be queued", async () => {
      const { f } = setup();
      const write = vi.fn(async () => true);
      failNext(f.store, "enqueue");
      await expect(f.outbox.queueWith(notice(), write)).rejects.toThrow("injected fault");
      expect(write).not.toHaveBeenCalled();
    });
  });

  it("queueWith keeps the email of a write that errored but landed (read back), and answers its result", async () => {
    const { f, woken } = setup();
    const dropped = new Error("connection dropped after the write");
    const result = await f.outbox.queueWith(
      notice(),
      () => Promise.reject(dropped),
      async () => "stored",
    );
    expect(result).toBe("stored");
    expect(single(f.store.messages()).status).toBe("pending");
    expect(woken).toHaveBeenCalledTimes(1);
  });

  it("queueWith discards the email and rethrows when the read back says the write did not land", async () => {
    const { f, woken } = setup();
    const failed = new Error("write refused");
    await expect(
      f.outbox.queueWith(
        notice(),
        () => Promise.reject(failed),
        async () => null,
      ),
    ).rejects.toBe(failed);
    expect(f.store.messages()).toEqual([]);
    expect(woken).not.toHaveBeenCalled();
  });

  it("discardForUser removes a user's email of the given kinds, or all of it", async () => {
    const { f } = setup();
    const reset = (userId: string) => ({
      kind: passwordResetEmail,
      userId,
      ref: "link",
      vars: { ...vars, link: "https://app.example.com/r?token=t", expiresInMinutes: 30 },
    });
    const changed = {
      kind: emailChangedEmail,
      userId: "u1",
      ref: "notice",
      vars: { ...vars, newEmail: "n@example.com", revertLink: "https://x/?token=t", revertDays: 7 },
    };
    const activation = {
      kind: activationEmail,
      userId: "u1",
      ref: "c",
      vars: { ...vars, code: "123456", link: "https://x/?token=t", expiresInMinutes: 60 },
    };
    await f.outbox.queue(reset("u1"));
    await f.outbox.queue(reset("u2"));
    await f.outbox.queue(changed);
    await f.outbox.queue(activation);

    await f.outbox.discardForUser("u1", [passwordResetEmail]);
    const left = () =>
      f.store
        .messages()
        .map((m) => `${m.userId}:${m.kind}`)
        .sort();
    expect(left()).toEqual(["u1:activation", "u1:email-changed", "u2:password-reset"]);
    await f.outbox.discardForUser("u1");
    expect(left()).toEqual(["u2:password-reset"]);
  });
});
