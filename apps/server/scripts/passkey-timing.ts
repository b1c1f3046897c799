/**
 * `pnpm --filter @usersvc/server passkey-timing`: compares passkeys/authenticate/options for
 * an unknown identifier, an account without passkeys and an account with one (they must
 * look and cost the same, or the answer tells which accounts exist), then times a whole
 * passkey sign-in (options + verify, a real signature). Starts its own FerretDB + Mailpit;
 * sequential requests, the kinds interleaved to cancel drift. A measurement, not a test.
 */
import { type AuthenticationOptions, createPasswordHasher, type RegistrationOptions } from "@usersvc/core";
import { createSoftwareAuthenticator } from "../../../packages/core/test/software-authenticator";
import { median, seedActiveUser, startTimingService, timingApiKey } from "./timing-service";

const rounds = Number(process.argv[2] ?? 200);
await using service = await startTimingService({ MONGODB_DB: "passkey_timing" });
const { settings, app, url } = service;
const post = async <T = unknown>(path: string, body: unknown): Promise<T> => {
  const response = await fetch(`${url}/api/users/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${timingApiKey}` },
    body: JSON.stringify(body),
  });
  if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
};
const passwordHash = await createPasswordHasher(settings.passwordHashing).hash("Right-password-1");
const seed = (username: string) => seedActiveUser(app, username, passwordHash);

await seed("plain");
const holder = await seed("holder");
// The holder's passkey, registered through the routes (a software authenticator).
const authenticator = createSoftwareAuthenticator({ origin: "http://localhost:3000" });
const creation = await post<RegistrationOptions>("passkeys/register/options", {
  id: holder.id,
  current_password: "Right-password-1",
});
await post("passkeys/register/verify", { id: holder.id, response: authenticator.register(creation) });

const time = async (identifier: string) => {
  const started = performance.now();
  await post("passkeys/authenticate/options", { identifier });
  return performance.now() - started;
};
const kinds = { unknown: [] as number[], "no passkey": [] as number[], "one passkey": [] as number[] };
for (let i = 0; i < 10; i++) await time(`ghost-${i}`); // warm-up
for (let i = 0; i < rounds; i++) {
  kinds.unknown.push(await time(`ghost-${i}@example.com`));
  kinds["no passkey"].push(await time("plain@example.com"));
  kinds["one passkey"].push(await time("holder@example.com"));
}
const signIns: number[] = [];
for (let i = 0; i < rounds; i++) {
  const started = performance.now();
  const options = await post<AuthenticationOptions>("passkeys/authenticate/options", {
    identifier: "holder",
  });
  await post("passkeys/authenticate/verify", { response: authenticator.assert(options) });
  signIns.push(performance.now() - started);
}
console.log(`passkeys/authenticate/options, ${rounds} requests each (FerretDB, loopback):`);
for (const [kind, values] of Object.entries(kinds)) {
  console.log(`  ${kind.padEnd(12)} median ${median(values).toFixed(2)} ms`);
}
const medians = Object.values(kinds).map(median);
const spread = (Math.max(...medians) - Math.min(...medians)) / Math.min(...medians);
console.log(`  spread of the medians: ${(spread * 100).toFixed(1)}%`);
console.log(
  `passkey sign-in (options + verify, ES256), ${rounds} in a row: median ${median(signIns).toFixed(2)} ms`,
);
