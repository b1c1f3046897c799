import { randomBytes } from "node:crypto";
import { claimKeys } from "../claim-keys";
import { loginLockedEmail } from "../email/kinds";
import type { EmailOutbox } from "../email/outbox";
import { DomainError } from "../errors";
import type { SecurityEvents } from "../events/recorder";
import { isHasherBusy, type PasswordHasher } from "../password/password-hasher";
import type { RunInBackground } from "../ports";
import { countFailurePerDay, type Throttle, type ThrottleTicket } from "../throttle";
import type { UserRecord } from "../users/user";
import { clientNetwork } from "./client-ip";

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
   * Reads the locks of the account (or the unknown identifier) and, when known, of the
   * client's network, then takes a slot of each, before any password is checked: locked
   * accounts and concurrent guesses get no argon2 comparison (429 TOO_MANY_ATTEMPTS with
   * the wait instead), and a refusal costs one read per throttle, whatever the limits. A
   * failed attempt keeps its slots until the window ends.
   */
  start(input: { user: UserRecord | null; identifier: string; clientIp: string }): Promise<LoginAttempt>;
  /** Costs the same argon2 work as checking a real hash (for identifiers that match nobody). */
  verifyUnknown(password: string): Promise<false>;
  /** Forgets an account's failures and lock series (after a password change or reset). */
  clearAccount(userId: string): Promise<void>;
};

const tooManyAttempts = (wait: number) =>
  new DomainError("TOO_MANY_ATTEMPTS", `Too many failed attempts; try again in ${wait} seconds.`, {
    retryAfterSeconds: wait,
  });

/**
 * The login throttle policy: `account` slots per account or unknown identifier (its locks
 * escalate, see createThrottle), `ip` slots per client network (an IPv4 address or an IPv6
 * /64; null when the client IP is not the end user's: no trusted proxy). The failure that
 * starts a lock series of a known account queues a notice to its owner, in the background
 * so that known and unknown identifiers answer alike.
 */
export function createLoginAttempts(deps: {
  hasher: PasswordHasher;
  /**
   * `day`: wrong passwords per account (or unknown identifier) per UTC day, counted on
   * failures only; reaching it locks the account to the day's end.
   */
  throttles: { account: Throttle; ip: Throttle | null; day?: Throttle | null };
  outbox: Pick<EmailOutbox, "queue">;
  runInBackground: RunInBackground;
  /** False for attempts that check no password (passkeys): no dummy hash, no wait for the hasher. */
  checksPasswords?: boolean;
  events: SecurityEvents;
}): LoginAttempts {
  const { hasher, throttles } = deps;
  const checksPasswords = deps.checksPasswords ?? true;
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
  if (checksPasswords) makeDummyHash();

  /** Tells the owner when this failure started a lock series (the first lock, not the next). */
  const noticeLock = (user: UserRecord | null, ticket: ThrottleTicket) => {
    if (ticket.locked?.level === 1) tellOwner(user, ticket.locked);
  };
  /** The owner's notice of a lock: `attempts` failures, locked for `seconds`. */
  const tellOwner = (user: UserRecord | null, locked: { attempts: number; seconds: number }) => {
    if (!user) return;
    deps.runInBackground(() =>
      deps.outbox.queue({
        kind: loginLockedEmail,
        locale: user.locale,
        vars: {
          to: user.email,
          firstName: user.first_name,
          failures: locked.attempts,
          lockedMinutes: Math.max(1, Math.round(locked.seconds / 60)),
        },
        userId: user.id,
        ref: "login-locked",
      }),
    );
  };

  /** A wrong password (or unknown identifier): login.failed, and login.locked when it took the last slot. */
  const recordFailure = async (user: UserRecord | null, ticket: ThrottleTicket) => {
    const userId = user?.id ?? null;
    const method = checksPasswords ? "password" : "passkey";
    const reason = user ? method : "unknown_identifier";
    await deps.events.record({ type: "login.failed", userId, details: { method, reason } });
    const locked = ticket.locked;
    if (locked) {
      await deps.events.record({
        type: "login.locked",
        userId,
        details: {
          factor: checksPasswords ? "password" : "passkey",
          failures: locked.attempts,
          locked_seconds: locked.seconds,
        },
      });
    }
  };

  /**
   * Counts a wrong password against the day's bound; the one that reaches it locks the key
   * to the day's end, with its event and the owner's notice (a paced guesser who never
   * fills a window is stopped, and the owner told, here).
   */
  const countTheDay = async (user: UserRecord | null, key: string) => {
    if (!checksPasswords || !throttles.day) return;
    const locked = await countFailurePerDay(throttles.day, throttles.account, key);
    if (!locked) return;
    tellOwner(user, { attempts: locked.failures, seconds: locked.seconds });
    await deps.events.record({
      type: "login.locked",
      userId: user?.id ?? null,
      details: { factor: "password", failures: locked.failures, locked_seconds: locked.seconds, per: "day" },
    });
  };

  return {
    async start({ user, identifier, clientIp }) {
      // Overloaded: refuse before writing anything (the check below covers a late race).
      if (checksPasswords) hasher.admit();
      const key = user ? claimKeys.account(user.id) : claimKeys.unknownAccount(identifier);
      const network = clientNetwork(clientIp);
      // Locks first, one read each: a refusal takes no slot and gives none back.
      const accountOpen = await throttles.account.check(key);
      if (accountOpen.retryAfter > 0) throw tooManyAttempts(accountOpen.retryAfter);
      const ipOpen = throttles.ip ? await throttles.ip.check(network) : null;
      if (ipOpen && ipOpen.retryAfter > 0) throw tooManyAttempts(ipOpen.retryAfter);

      const account = await accountOpen.acquire();
      const ip = ipOpen && account.retryAfter === 0 ? await ipOpen.acquire() : null;
      /** Gives both slots back (an attempt that never reached a password check). */
      const giveBack = async () => {
        await Promise.all([account.release(), ip?.release()]);
      };
      const wait = Math.max(account.retryAfter, ip?.retryAfter ?? 0);
      if (wait > 0) {
        await giveBack();
        throw tooManyAttempts(wait);
      }
      return {
        async check(verify) {
          let right: boolean;
          try {
            right = await verify();
          } catch (error) {
            if (isHasherBusy(error)) await giveBack().catch(() => {});
            throw error;
          }
          if (!right) {
            // The day's count first: a failed event write must not leave the failure uncounted.
            await countTheDay(user, key);
            noticeLock(user, account);
            await recordFailure(user, account);
          }
          return right;
        },
        async succeeded() {
          await Promise.all([accountOpen.clear(account), ip?.release()]);
        },
      };
    },
    async verifyUnknown(password) {
      await hasher.verify(await (dummyHash ?? makeDummyHash()), password);
      return false;
    },
    clearAccount: async (userId) => {
      const key = claimKeys.account(userId);
      await Promise.all([throttles.account.clear(key), throttles.day?.clear(key)]);
    },
  };
}
