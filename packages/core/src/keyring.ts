import {
  decrypt,
  deriveKeys,
  encrypt,
  hashCode,
  hashesEqual,
  type Keys,
  keyIdOf,
  parseSealed,
} from "./crypto";

/** One configured secret key: its derived keys and its public id. */
export type KeyringKey = Keys & { id: string };

/** A value opened by the keyring, with the key that opened it. */
export type Opened = {
  plaintext: string;
  key: KeyringKey;
  /** Sealed otherwise than by the current key (an older key, or the v1 format): worth re-sealing. */
  stale: boolean;
};

/**
 * The secret keys of the service: the current one seals and hashes everything new; the
 * previous ones (SECRET_KEY_PREVIOUS) are still accepted when reading, so that a rotation
 * of SECRET_KEY breaks nothing. `codeHashing` and `encryption` are the current key's.
 */
export type Keyring = Keys & {
  current: KeyringKey;
  /** The current key, then the previous ones in the order configured. */
  keys: readonly KeyringKey[];
  /** AES-256-GCM under the current key: `v2.<key id>.<iv>.<tag>.<ciphertext>`. */
  seal(plaintext: string): string;
  /**
   * Opens a value sealed under any configured key: a `v2` value with the key it names, a
   * `v1` value (written before keys had ids) with whichever key authenticates it. Throws
   * when no configured key opens it.
   */
  open(sealed: string): Opened;
  /** Whether a value is sealed with the current key in the current format (no decryption). */
  isCurrent(sealed: string): boolean;
  /** The keyed hash of a code or token under the current key: what new records store. */
  hash(value: string): string;
  /** Its keyed hashes under every configured key, current first (for lookups by hash). */
  hashes(value: string): string[];
  /** Whether `value` hashes to `stored` under any configured key; constant time per key, no early exit. */
  matches(value: string, stored: string): boolean;
};

/** Builds the keyring of the current secret key and the previous ones (duplicates ignored). */
export function createKeyring(options: { current: string; previous?: readonly string[] }): Keyring {
  const toKey = (secret: string): KeyringKey => ({ ...deriveKeys(secret), id: keyIdOf(secret) });
  const current = toKey(options.current);
  const keys: KeyringKey[] = [current];
  for (const secret of options.previous ?? []) {
    const key = toKey(secret);
    if (!keys.some((known) => known.id === key.id)) keys.push(key);
  }
  const byId = new Map(keys.map((key) => [key.id, key]));
  const currentPrefix = `v2.${current.id}.`;

  const open = (sealed: string): Opened => {
    const parsed = parseSealed(sealed);
    if (!parsed) throw new Error("malformed encrypted value");
    if (parsed.keyId !== null) {
      const key = byId.get(parsed.keyId);
      if (!key) throw new Error(`sealed with key ${parsed.keyId}, which is not configured`);
      return { plaintext: decrypt(key.encryption, sealed), key, stale: key !== current };
    }
    for (const key of keys) {
      try {
        return { plaintext: decrypt(key.encryption, sealed), key, stale: true };
      } catch {
        // Not this key (GCM's tag says so): try the next one.
      }
    }
    throw new Error("sealed with a key that is not configured");
  };

  return {
    codeHashing: current.codeHashing,
    encryption: current.encryption,
    current,
    keys,
    seal: (plaintext) => encrypt(current.encryption, plaintext, current.id),
    open,
    isCurrent: (sealed) => sealed.startsWith(currentPrefix),
    hash: (value) => hashCode(current.codeHashing, value),
    hashes: (value) => keys.map((key) => hashCode(key.codeHashing, value)),
    matches(value, stored) {
      let match = false;
      for (const key of keys) match = hashesEqual(hashCode(key.codeHashing, value), stored) || match;
      return match;
    },
  };
}
