import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { newWebhookSecret, signWebhook } from "./signing";

describe("webhook signing (Standard Webhooks)", () => {
  it("makes whsec_ secrets of 32 random bytes, each different", () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_/);
    expect(Buffer.from(secret.slice(6), "base64")).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(secret);
  });

  it("signs with every given secret: a consumer with either verifies; a stranger or a changed body does not", () => {
    const [current, previous, stranger] = [newWebhookSecret(), newWebhookSecret(), newWebhookSecret()];
    const body = JSON.stringify({ id: "e1", type: "user.registered" });
    const headers = signWebhook({ secrets: [current, previous], id: "e1", timestamp: new Date(), body });
    expect(headers["webhook-id"]).toBe("e1");
    expect(headers["webhook-signature"].split(" ")).toHaveLength(2);
    expect(new Webhook(current).verify(body, headers)).toMatchObject({ id: "e1" });
    expect(new Webhook(previous).verify(body, headers)).toMatchObject({ id: "e1" });
    expect(() => new Webhook(stranger).verify(body, headers)).toThrow();
    expect(() => new Webhook(current).verify(`${body} `, headers)).toThrow();
  });
});
