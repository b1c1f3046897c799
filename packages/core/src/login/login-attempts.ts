import { randomBytes } from "node:crypto";
import { claimKeys } from "../claim-keys";
import { DomainError } from "../errors";
import { hasherBusyError, isHasherBusy, type PasswordHasher } from "../password/password-hasher";
import type { Throttle } from "../throttle";
import type { UserRecord } from "../users/user";

/** One password attempt that holds its throttle slots until it ends. */
export type LoginAttempt = {
  /**
   * Checks the password; a check refused because the service is busy gives the slots
   * back, so that an overloaded service never counts against the caller.
   */
  check(verify: () => Promise<boolean>): Promise<boolean>;
  /** The password was right: the account starts afresh, the IP slot is given back. */
  succeeded(): Promise<void>;
};

export type LoginAttempts = {
  /**
   * Takes an attempt slot for the account (or the unknown identifier) and, when known, the
   * client IP, before any password is checked: locked accounts and concurrent guesses get
   * no argon2 comparison (429 TOO_MANY_ATTEMPTS with the wait instead). A failed attempt
   * keeps its slots until the window ends.
   */
  start(input: { user: UserRecord | null; identifier: string; clientIp: string }): Promise<LoginAttempt>;
  /** Costs the same argon2 work as checking a real hash (for identifiers that match nobody). */
  verifyUnknown(password: string): Promise<false>;
  /** Forgets an account's failures (after a password change or reset). */
  clearAccount(userId: string): Promise<void>;
};

/**
 * The login throttle policy: `account` slots per account or unknown identifier, `ip` slots
 * per client IP (null when the client IP is not the end user's: no trusted proxy).
 */
export function createLoginAttempts(deps: {
  hasher: PasswordHasher;
  throttles: { account: Throttle; ip: Throttle | null };
}): LoginAttempts {
  const { hasher, throttles } = deps;
  // Unknown identifiers are checked against this, so they cost the same argon2 work. Made
  // at once (the queue is empty at startup); made again on a later call if that failed.
  let dummyHash: Promise<string> | undefined;
  const makeDummyHash = () => {
    const made = hasher.hash(randomBytes(16).toString("hex"));
    dummyHash = made;
    made.catch(() => {
      if (dummyHash === made) dummyHash = undefined;
    });
    return made;
  };
  makeDummyHash();

  return {
    async start({ user, identifier, clientIp }) {
      // Overloaded: refuse before writing anything (the check below covers a late race).
      if (hasher.full()) throw hasherBusyError();
      const key = user ? claimKeys.account(user.id) : claimKeys.unknownAccount(identifier);
      const account = await throttles.account.acquire(key);
      const ip = throttles.ip ? await throttles.ip.acquire(clientIp) : null;
      const wait = Math.max(account.retryAfter, ip?.retryAfter ?? 0);
      /** Gives both slots back (an attempt that never reached a password check). */
      const giveBack = async () => {
        await Promise.all([account.release(), ip?.release()]);
      };
      if (wait > 0) {
        await giveBack();
        throw new DomainError(
          "TOO_MANY_ATTEMPTS",
          `Too many failed attempts; try again in ${wait} seconds.`,
          {
            retryAfterSeconds: wait,
          },
        );
      }
      return {
        async check(verify) {
          try {
            return await verify();
          } catch (error) {
            if (isHasherBusy(error)) await giveBack().catch(() => {});
            throw error;
          }
        },
        async succeeded() {
          await Promise.all([throttles.account.clear(key), ip?.release()]);
        },
      };
    },
    async verifyUnknown(password) {
      await hasher.verify(await (dummyHash ?? makeDummyHash()), password);
      return false;
    },
    clearAccount: (userId) => throttles.account.clear(claimKeys.account(userId)),
  };
}
