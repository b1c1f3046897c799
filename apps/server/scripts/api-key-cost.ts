/**
 * `node --import tsx scripts/api-key-cost.ts`: what finding a request's caller costs, with 1,
 * 10 and 100 configured keys (the presented key is compared with every digest). Prints
 * microseconds per lookup; a measurement, not a test.
 */
import { digestApiKey } from "@usersvc/config";
import { createApiKeyAuthenticator } from "../src/api-keys";

for (const count of [1, 10, 100]) {
  const keys = Array.from({ length: count }, (_, i) => ({
    name: `caller-${i}`,
    scopes: ["users:read"],
    sha256: digestApiKey(`usk_key-number-${i}-0123456789`),
    legacy: false,
  }));
  const authenticate = createApiKeyAuthenticator({ keys, disabled: false });
  const header = `Bearer usk_key-number-${count - 1}-0123456789`;
  const rounds = 200_000;
  for (let i = 0; i < 10_000; i++) authenticate(header);
  const started = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) authenticate(header);
  const micros = Number(process.hrtime.bigint() - started) / 1e3 / rounds;
  process.stdout.write(`${count} key(s): ${micros.toFixed(2)} µs per lookup\n`);
}
