import { randomBytes } from "node:crypto";
import type { Keyring } from "./keyring";

const tokenPattern = /^([0-9a-f]{24})\.([A-Za-z0-9_-]{43})$/;

/**
 * The token of a one-click link (activation, email-change confirmation and revert):
 * `<user id>.<32 random bytes, base64url>`. The id only says which user to load (no scan,
 * no index); the random part is what makes it unguessable. Only its keyed hash is stored.
 */
export function newLinkToken(keys: Pick<Keyring, "hash">, userId: string): { token: string; hash: string } {
  const token = `${userId.toLowerCase()}.${randomBytes(32).toString("base64url")}`;
  return { token, hash: keys.hash(token) };
}

/** The user a link token names, or null when it is not one of ours. */
export function userIdOfLinkToken(token: string): string | null {
  return tokenPattern.exec(token)?.[1] ?? null;
}

/** `<base>?token=<token>`: the link an email carries. */
export function linkWithToken(base: string, token: string): string {
  const link = new URL(base);
  link.searchParams.set("token", token);
  return link.toString();
}
