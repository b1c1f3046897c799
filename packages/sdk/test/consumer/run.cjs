const {
  createUsersClient,
  UsersServiceError,
  verifyWebhook,
  WebhookVerificationError,
} = require("@usersvc/sdk");

const [url, apiKey, delivery] = process.argv.slice(2);

async function main() {
  const live = await createUsersClient({ url, apiKey }).users.live.query();
  const error = await createUsersClient({ url, apiKey: "wrong-key-0123456789" })
    .users.byId.query({ id: "63a1f1234abc5678def12345" })
    .catch((e) => e);
  const webhook = JSON.parse(delivery ?? "{}");
  const event = await verifyWebhook(webhook.body, webhook.headers, webhook.secret);
  const refused = await verifyWebhook(webhook.body, webhook.headers, "whsec_AAAAAAAAAAAAAAAAAAAAAA==").catch(
    (e) => e,
  );
  console.log(
    `cjs live:${live.status} error:${error instanceof UsersServiceError}:${error.code} webhook:${event.type} refused:${refused instanceof WebhookVerificationError}:${refused.reason}`,
  );
}

main();
