import { createHash, timingSafeEqual } from "node:crypto";

const digest = (value: string) => createHash("sha256").update(value).digest();

/**
 * Checks `Authorization: Bearer <key>` against the configured keys in constant time: every
 * key is compared (no early exit) on fixed-length digests, so timing reveals neither which
 * key matched nor how much of it.
 */
export function createApiKeyVerifier(options: {
  apiKeys: readonly string[];
  disabled: boolean;
}): (authorization: string | undefined) => boolean {
  if (options.disabled) return () => true;
  const expected = options.apiKeys.map(digest);
  return (authorization) => {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? "");
    const presented = digest(match?.[1] ?? "");
    let ok = false;
    for (const key of expected) ok = timingSafeEqual(key, presented) || ok;
    return ok && match !== null;
  };
}
