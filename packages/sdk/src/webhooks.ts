import type { WebhookEvent as ServiceWebhookEvent } from "@usersvc/server";

/**
 * A webhook delivery's body: `{ id, type, version, timestamp, data: { user_id, user, details } }`.
 * `id` equals the `webhook-id` header (the same on every retry): drop duplicates by it.
 */
export type WebhookEvent = ServiceWebhookEvent;
/** Every event type a subscription can receive. */
export type WebhookEventType = WebhookEvent["type"];

/** Why a delivery was refused: switch on `reason`. */
export type WebhookVerificationReason =
  | "MISSING_HEADERS"
  | "INVALID_SECRET"
  | "TIMESTAMP_OUT_OF_TOLERANCE"
  | "INVALID_SIGNATURE"
  | "INVALID_PAYLOAD";

/** Marks instances, so the ESM and CJS builds loaded side by side recognise each other's errors. */
const brand = Symbol.for("@usersvc/sdk/WebhookVerificationError");

/** Thrown by `verifyWebhook` for a delivery that must not be trusted; answer it with 400. */
export class WebhookVerificationError extends Error {
  readonly [brand] = true;
  readonly reason: WebhookVerificationReason;

  constructor(reason: WebhookVerificationReason, message: string) {
    super(message);
    this.name = "WebhookVerificationError";
    this.reason = reason;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && brand in value;
  }
}

/** Request headers as Fetch (`Headers`) or Node (`req.headers`) give them. */
export type WebhookHeaders =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

export type VerifyWebhookOptions = {
  /** How far the `webhook-timestamp` may be from now, either way (default 300 s); NaN or negative: RangeError. */
  toleranceSeconds?: number;
  /** The current time (tests). */
  now?: () => Date;
};

const secretPrefix = "whsec_";
const encoder = new TextEncoder();

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof headers.get === "function")
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  const value = record[name] ?? Object.entries(record).find(([key]) => key.toLowerCase() === name)?.[1];
  return Array.isArray(value) ? value.join(" ") : (value as string | undefined);
}

function fromBase64(text: string): Uint8Array | null {
  try {
    const binary = atob(text);
    return Uint8Array.from(binary, (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
}

/** Compares in time that depends on the length only, not on where the bytes differ. */
function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}

function isWebhookEvent(value: unknown): value is WebhookEvent {
  if (typeof value !== "object" || value === null) return false;
  const event = value as Record<string, unknown>;
  return (
    typeof event.id === "string" &&
    typeof event.type === "string" &&
    typeof event.timestamp === "string" &&
    typeof event.version === "number" &&
    typeof event.data === "object" &&
    event.data !== null
  );
}

/**
 * Verifies a webhook delivery of the users service (Standard Webhooks: HMAC-SHA256 over
 * `<webhook-id>.<webhook-timestamp>.<body>` with the subscription's `whsec_...` secret) and
 * returns its typed event. `body` must be the raw body as received (a string or its bytes:
 * Uint8Array, Buffer or ArrayBuffer), not re-serialised JSON. Accepts any of several
 * space-separated `v1,` signatures (secret rotation), compares in constant time, and refuses
 * a timestamp more than 5 minutes away.
 * Uses only Web Crypto: Node 20+, Deno, Bun, browsers and edge runtimes.
 * Throws `WebhookVerificationError` for anything that must not be trusted.
 */
export async function verifyWebhook(
  body: string | Uint8Array | ArrayBuffer,
  headers: WebhookHeaders,
  secret: string,
  options: VerifyWebhookOptions = {},
): Promise<WebhookEvent> {
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (!id || !timestamp || !signatures) {
    throw new WebhookVerificationError(
      "MISSING_HEADERS",
      "The webhook-id, webhook-timestamp and webhook-signature headers are required.",
    );
  }
  const key = fromBase64(secret.startsWith(secretPrefix) ? secret.slice(secretPrefix.length) : secret);
  if (!key || key.length === 0) {
    throw new WebhookVerificationError(
      "INVALID_SECRET",
      "The secret is not a whsec_ secret (base64 after the prefix).",
    );
  }
  const tolerance = options.toleranceSeconds ?? 300;
  // A NaN (say, Number() of an unset variable) would make every comparison false: refused.
  if (typeof tolerance !== "number" || !(tolerance >= 0))
    throw new RangeError(`toleranceSeconds must be a number of seconds >= 0, not ${String(tolerance)}`);
  const seconds = /^\d{1,15}$/.test(timestamp) ? Number(timestamp) : Number.NaN;
  const now = (options.now?.() ?? new Date()).getTime() / 1_000;
  // Written so that a NaN anywhere (timestamp, clock) refuses rather than skips the check.
  if (!(Math.abs(now - seconds) <= tolerance)) {
    throw new WebhookVerificationError(
      "TIMESTAMP_OUT_OF_TOLERANCE",
      `The webhook-timestamp is more than ${tolerance} s away from now: a replayed or delayed delivery.`,
    );
  }
  const bodyBytes =
    typeof body === "string"
      ? encoder.encode(body)
      : // Not instanceof: a body from another realm (vm, iframe, some edge runtimes) is still bytes.
        ArrayBuffer.isView(body)
        ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
        : Object.prototype.toString.call(body) === "[object ArrayBuffer]"
          ? new Uint8Array(body as ArrayBuffer)
          : undefined;
  if (!bodyBytes) {
    throw new WebhookVerificationError(
      "INVALID_PAYLOAD",
      "The body must be the raw body as received (a string, Uint8Array or ArrayBuffer), not parsed JSON.",
    );
  }
  const prefix = encoder.encode(`${id}.${timestamp}.`);
  const signed = new Uint8Array(prefix.length + bodyBytes.length);
  signed.set(prefix);
  signed.set(bodyBytes, prefix.length);
  const hmacKey = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const expected = new Uint8Array(await crypto.subtle.sign("HMAC", hmacKey, signed));
  let valid = false;
  for (const candidate of signatures.split(" ")) {
    const [version, value] = candidate.split(",", 2);
    const presented = version === "v1" && value ? fromBase64(value) : null;
    valid = (presented !== null && equalBytes(presented, expected)) || valid;
  }
  if (!valid) {
    throw new WebhookVerificationError(
      "INVALID_SIGNATURE",
      "No v1 signature matches: the body was changed, or the secret is not this subscription's.",
    );
  }
  let event: unknown;
  try {
    event = JSON.parse(new TextDecoder().decode(bodyBytes));
  } catch {
    throw new WebhookVerificationError("INVALID_PAYLOAD", "The signed body is not JSON.");
  }
  if (!isWebhookEvent(event)) {
    throw new WebhookVerificationError("INVALID_PAYLOAD", "The signed body is not a users-service event.");
  }
  return event;
}
