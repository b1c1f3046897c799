import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  verifyWebhook,
  type WebhookEvent,
  type WebhookEventType,
  WebhookVerificationError,
  type WebhookVerificationReason,
} from "./index";

const newSecret = () => `whsec_${randomBytes(32).toString("base64")}`;
const secret = newSecret();
const event = {
  id: "msg_2b0f1c6a5e",
  type: "user.registered",
  version: 1,
  timestamp: "2026-11-30T03:00:00.000Z",
  data: { user_id: "63a1f1234abc5678def12345", user: null, details: { fields: ["email"] } },
} satisfies WebhookEvent;
const body = JSON.stringify(event);

/** Headers as the service (and every Standard Webhooks sender) makes them, signed by the reference library. */
function signed(options: { secrets?: string[]; at?: Date; id?: string; payload?: string } = {}) {
  const at = options.at ?? new Date();
  const id = options.id ?? event.id;
  const signatures = (options.secrets ?? [secret]).map((s) =>
    new Webhook(s).sign(id, at, options.payload ?? body),
  );
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1_000)),
    "webhook-signature": signatures.join(" "),
  };
}

async function refusal(promise: Promise<unknown>): Promise<WebhookVerificationReason | "accepted"> {
  try {
    await promise;
    return "accepted";
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error.reason;
    throw error;
  }
}

describe("verifyWebhook", () => {
  it("returns the typed event of a delivery signed by the standardwebhooks library", async () => {
    const headers = signed();
    expect(await verifyWebhook(body, headers, secret)).toEqual(event);
    // Fetch-style headers and the raw bytes of the body work the same.
    expect(await verifyWebhook(new TextEncoder().encode(body), new Headers(headers), secret)).toEqual(event);
    // And the reference library agrees with us on the same delivery.
    expect(new Webhook(secret).verify(body, headers)).toEqual(event);
  });

  it("refuses a tampered body, another secret, and a body re-serialised differently", async () => {
    const headers = signed();
    expect(
      await refusal(verifyWebhook(body.replace("user.registered", "user.deleted"), headers, secret)),
    ).toBe("INVALID_SIGNATURE");
    expect(await refusal(verifyWebhook(body, headers, newSecret()))).toBe("INVALID_SIGNATURE");
    expect(await refusal(verifyWebhook(JSON.stringify(event, null, 2), headers, secret))).toBe(
      "INVALID_SIGNATURE",
    );
    // The id and timestamp are signed too.
    expect(await refusal(verifyWebhook(body, { ...headers, "webhook-id": "msg_other" }, secret))).toBe(
      "INVALID_SIGNATURE",
    );
  });

  it("refuses a timestamp more than 5 minutes old or ahead (replays), within tolerance accepts", async () => {
    const minutes = (n: number) => new Date(Date.now() + n * 60_000);
    expect(await refusal(verifyWebhook(body, signed({ at: minutes(-6) }), secret))).toBe(
      "TIMESTAMP_OUT_OF_TOLERANCE",
    );
    expect(await refusal(verifyWebhook(body, signed({ at: minutes(6) }), secret))).toBe(
      "TIMESTAMP_OUT_OF_TOLERANCE",
    );
    expect(await refusal(verifyWebhook(body, signed({ at: minutes(-4) }), secret))).toBe("accepted");
    const headers = { ...signed(), "webhook-timestamp": "soon" };
    expect(await refusal(verifyWebhook(body, headers, secret))).toBe("TIMESTAMP_OUT_OF_TOLERANCE");
  });

  it("never skips the timestamp check: a NaN tolerance or clock fails closed", async () => {
    const old = signed({ at: new Date(Date.now() - 24 * 3_600_000) });
    // e.g. Number(process.env.WEBHOOK_TOLERANCE) with the variable unset
    await expect(verifyWebhook(body, old, secret, { toleranceSeconds: Number.NaN })).rejects.toThrow(
      RangeError,
    );
    await expect(verifyWebhook(body, old, secret, { toleranceSeconds: -1 })).rejects.toThrow(RangeError);
    const invalidClock = { now: () => new Date(Number.NaN) };
    expect(await refusal(verifyWebhook(body, old, secret, invalidClock))).toBe("TIMESTAMP_OUT_OF_TOLERANCE");
  });

  it("takes the body's ArrayBuffer (fetch's arrayBuffer()), and refuses a parsed body with a typed error", async () => {
    const bytes = new TextEncoder().encode(body);
    expect(await verifyWebhook(bytes.buffer as ArrayBuffer, signed(), secret)).toEqual(event);
    // An express.json() body: the raw bytes are gone, so nothing can be verified.
    expect(await refusal(verifyWebhook(event as unknown as string, signed(), secret))).toBe(
      "INVALID_PAYLOAD",
    );
  });

  it("accepts any one of several signatures (a secret being rotated), and only v1 ones", async () => {
    const previous = newSecret();
    const both = signed({ secrets: [previous, secret] });
    expect(both["webhook-signature"].split(" ")).toHaveLength(2);
    expect(await verifyWebhook(body, both, secret)).toEqual(event);
    expect(await verifyWebhook(body, both, previous)).toEqual(event);
    const good = signed()["webhook-signature"].slice("v1,".length);
    const withJunk = { ...signed(), "webhook-signature": `v1,AAAA v1a,${good} v1,not-base64! v1,${good}` };
    expect(await verifyWebhook(body, withJunk, secret)).toEqual(event);
    const otherVersion = { ...signed(), "webhook-signature": `v2,${good}` };
    expect(await refusal(verifyWebhook(body, otherVersion, secret))).toBe("INVALID_SIGNATURE");
  });

  it("says what is missing or malformed", async () => {
    const { "webhook-signature": _dropped, ...unsigned } = signed();
    expect(await refusal(verifyWebhook(body, unsigned, secret))).toBe("MISSING_HEADERS");
    expect(await refusal(verifyWebhook(body, signed(), "whsec_"))).toBe("INVALID_SECRET");
    expect(await refusal(verifyWebhook(body, signed(), "whsec_not base64!"))).toBe("INVALID_SECRET");
    const notAnEvent = JSON.stringify({ hello: "world" });
    expect(await refusal(verifyWebhook(notAnEvent, signed({ payload: notAnEvent }), secret))).toBe(
      "INVALID_PAYLOAD",
    );
    const error = await verifyWebhook(body, unsigned, secret).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebhookVerificationError);
    expect(error).toBeInstanceOf(Error);
  });

  it("types the event from the service's catalogue", async () => {
    const verified = await verifyWebhook(body, signed(), secret);
    expectTypeOf(verified).toEqualTypeOf<WebhookEvent>();
    expectTypeOf(verified.type).toEqualTypeOf<WebhookEventType>();
    expectTypeOf<"user.deleted">().toExtend<WebhookEventType>();
    expectTypeOf<"user.exploded">().not.toExtend<WebhookEventType>();
    expectTypeOf(verified.data.user_id).toEqualTypeOf<string | null>();
  });
});
