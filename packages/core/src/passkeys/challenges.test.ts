import { afterEach, describe, expect, it, vi } from "vitest";
import { createFakes } from "../../test/fakes";
import { createPasskeyChallenges } from "./challenges";

afterEach(() => {
  vi.useRealTimers();
});

const clientData = (challenge: string) =>
  Buffer.from(JSON.stringify({ type: "webauthn.get", challenge })).toString("base64url");

describe("passkey challenges", () => {
  it("stay spent while any instance, its clock behind the sweeper's, may still take them as unexpired", async () => {
    const f = createFakes();
    const issuedAt = Date.now();
    // The verifying instance's clock, a minute behind the instance that sweeps the claims.
    const behind = { now: issuedAt };
    const challenges = createPasskeyChallenges({
      keys: f.keys,
      claims: f.claims,
      lifetimeSeconds: 300,
      now: () => behind.now,
    });
    const challenge = Buffer.from(
      challenges.issue({ ceremony: "authentication", userId: null, discoverable: true }),
    ).toString("base64url");
    const grant = challenges.read(clientData(challenge), "authentication");
    expect(await challenges.consume(grant)).toBe(true);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(grant.expiresAt + 1); // the sweeper: expired
    behind.now = grant.expiresAt - 59_000; // the verifier: not yet
    await f.claims.sweep();
    const again = challenges.read(clientData(challenge), "authentication");
    expect(await challenges.consume(again)).toBe(false);
  });

  it("reads only what they sealed: another sealed value of ours (an outbox payload, say) is no challenge", async () => {
    const f = createFakes();
    const challenges = createPasskeyChallenges({ keys: f.keys, claims: f.claims, lifetimeSeconds: 300 });
    for (const other of ['{"to":"a@example.com","kind":"notice"}', "[]", "null", '"text"']) {
      const challenge = Buffer.from(f.keys.seal(other)).toString("base64url");
      expect(() => challenges.read(clientData(challenge), "authentication")).toThrow(
        expect.objectContaining({ code: "PASSKEY_CHALLENGE_INVALID" }),
      );
    }
  });
});
