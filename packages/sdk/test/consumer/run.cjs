const {
  createUsersClient,
  UsersServiceError,
  sdkVersion,
  verifyWebhook,
  WebhookVerificationError,
} = require("@usersvc/sdk");
const { runCommonJs } = require("./out/usage.cjs");

const [url, apiKey, identifier, password, delivery] = process.argv.slice(2);

async function main() {
  const live = await createUsersClient({ url, apiKey }).health.live();
  const error = await createUsersClient({ url, apiKey: "wrong-key-0123456789" })
    .users.getById("63a1f1234abc5678def12345")
    .catch((e) => e);
  const typed = await runCommonJs(url, apiKey, identifier, password);
  const webhook = JSON.parse(delivery ?? "{}");
  const event = await verifyWebhook(webhook.body, webhook.headers, webhook.secret);
  const refused = await verifyWebhook(webhook.body, webhook.headers, "whsec_AAAAAAAAAAAAAAAAAAAAAA==").catch(
    (e) => e,
  );
  console.log(
    `cjs live:${live.status} error:${error instanceof UsersServiceError}:${error.code} ${typed} webhook:${event.type} refused:${refused instanceof WebhookVerificationError}:${refused.reason} version:${sdkVersion}`,
  );
}

main();
