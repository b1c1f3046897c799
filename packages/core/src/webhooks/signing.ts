import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";

/** A new signing secret in the Standard Webhooks form: `whsec_` + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

/**
 * The Standard Webhooks headers of one delivery: `webhook-signature` carries one `v1,`
 * signature per secret (the current one, and the previous one during a rotation's grace
 * period), space-separated, so a receiver holding either secret verifies it.
 */
export function signWebhook(input: {
  secrets: readonly string[];
  id: string;
  timestamp: Date;
  body: string;
}): Record<"webhook-id" | "webhook-timestamp" | "webhook-signature", string> {
  const signatures = input.secrets.map((secret) =>
    new Webhook(secret).sign(input.id, input.timestamp, input.body),
  );
  return {
    "webhook-id": input.id,
    "webhook-timestamp": String(Math.floor(input.timestamp.getTime() / 1_000)),
    "webhook-signature": signatures.join(" "),
  };
}
