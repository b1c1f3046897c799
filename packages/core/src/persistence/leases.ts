import type { ClaimStore } from "../ports";

/**
 * Leases on queued work (outbox messages, webhook deliveries), made of claims: the n-th lease
 * of a generation is the claim `<group>:<n>`, and lease n+1 may only be claimed once lease n
 * is older than `leaseMs` (its holder died or hangs). So exactly one worker holds a live
 * lease, and a crash at any point only delays the work by one lease. Finishing or
 * rescheduling the work bumps its generation and releases the group.
 */
export function createLeases(claims: ClaimStore) {
  return {
    async take(group: string, leaseMs: number): Promise<boolean> {
      const held = await claims.count(group);
      if (held > 0) {
        const since = await claims.claimedAt(`${group}:${held}`);
        if (since && since.getTime() > Date.now() - leaseMs) return false;
      }
      const expiresAt = new Date(Date.now() + 7 * 86_400_000);
      return claims.claim(`${group}:${held + 1}`, group, expiresAt);
    },
    release: (group: string) => claims.releaseGroup(group),
  };
}
