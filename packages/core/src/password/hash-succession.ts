import { createHash } from "node:crypto";
import { claimKeys } from "../claim-keys";
import type { ClaimStore, UserLookup } from "../ports";
import type { UserRecord } from "../users/user";

/**
 * Who replaces a stored password hash: a change (or reset) by the user, or the upgrade of a
 * hash made with weaker parameters at login. Both claim the hash they replace, so the upgrade
 * happens at most once and never after a change has begun: FerretDB does not apply the
 * upgrade's guarded update atomically, and a late upgrade would bring the old password back.
 */
export type HashSuccession = {
  /** True for the one upgrade allowed to replace `user`'s current hash (release it if the write fails). */
  claimUpgrade(user: UserRecord): Promise<{ release(): Promise<void> } | null>;
  /**
   * Before a change: claims the current hash; when an upgrade holds it, waits (at most
   * `waitMs`) until that upgrade's write has landed, so the change is written after it.
   * `release` gives the claim back when the change's write failed.
   */
  beforeChange(user: UserRecord): Promise<{ release(): Promise<void> }>;
};

const succession = (user: UserRecord) =>
  claimKeys.passwordHash(user.id, createHash("sha256").update(user.password_hash).digest("base64url"));

export function createHashSuccession(deps: {
  claims: ClaimStore;
  users: Pick<UserLookup, "findById">;
  waitMs?: number;
}): HashSuccession {
  const waitMs = deps.waitMs ?? 2_000;
  const claim = (user: UserRecord) =>
    deps.claims.claim(succession(user), claimKeys.userGroup(user.id), new Date(Date.now() + 86_400_000));
  return {
    async claimUpgrade(user) {
      if (!(await claim(user))) return null;
      return { release: () => deps.claims.release(succession(user)) };
    },
    async beforeChange(user) {
      const release = { release: () => deps.claims.release(succession(user)) };
      const deadline = Date.now() + waitMs;
      for (;;) {
        if (await claim(user)) return release;
        const stored = await deps.users.findById(user.id);
        if (!stored || stored.password_hash !== user.password_hash || Date.now() >= deadline)
          return { release: async () => {} };
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
  };
}
