import { createRequire } from "node:module";
import { createUsersClient } from "@usersvc/sdk";
import { receive, run } from "./out/usage.js";

const [url, apiKey, identifier, password, busyUrl, delivery] = process.argv.slice(2);
const lines = await run(url, apiKey, { identifier, password }, busyUrl);

// A delivery signed by the test with the standardwebhooks library (see pack.integration.test.ts).
const webhook = JSON.parse(delivery ?? "{}");
lines.push(`webhook:${await receive(webhook.body, new Headers(webhook.headers), webhook.secret)}`);
lines.push(`tampered:${await receive(`${webhook.body} `, new Headers(webhook.headers), webhook.secret)}`);

// Both builds loaded in one process (a CJS dependency of an ESM app): errors still match.
const cjs = createRequire(import.meta.url)("@usersvc/sdk");
const error = await createUsersClient({ url, apiKey: "wrong-key-0123456789" })
  .users.getById("63a1f1234abc5678def12345")
  .catch((e) => e);
lines.push(
  `dual:${cjs.isUsersServiceError(error, "INVALID_API_KEY")}:${error instanceof cjs.UsersServiceError}`,
);
console.log(lines.join(" "));
