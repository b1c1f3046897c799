import argon2 from "argon2";

export type PasswordHashingOptions = {
  /** KiB of memory per hash (OWASP floor for argon2id: 19456). */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
};

/** OWASP Password Storage Cheat Sheet's minimum for argon2id. */
export const owaspArgon2id: PasswordHashingOptions = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export type PasswordHasher = {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** True when `hash` was made with weaker parameters than the current ones. */
  needsRehash(hash: string): boolean;
};

/** argon2id hashing on libuv's thread pool, so the event loop never blocks on it. */
export function createPasswordHasher(options: PasswordHashingOptions = owaspArgon2id): PasswordHasher {
  const params = { type: argon2.argon2id, ...options };
  return {
    hash: (password) => argon2.hash(password, params),
    async verify(hash, password) {
      try {
        return await argon2.verify(hash, password);
      } catch {
        return false;
      }
    },
    needsRehash: (hash) => argon2.needsRehash(hash, params),
  };
}
