const { createUsersClient, UsersServiceError, sdkVersion } = require("@usersvc/sdk");
const { runCommonJs } = require("./out/usage.cjs");

const [url, apiKey, identifier, password] = process.argv.slice(2);

async function main() {
  const live = await createUsersClient({ url, apiKey }).health.live();
  const error = await createUsersClient({ url, apiKey: "wrong-key-0123456789" })
    .users.getById("63a1f1234abc5678def12345")
    .catch((e) => e);
  const typed = await runCommonJs(url, apiKey, identifier, password);
  console.log(
    `cjs live:${live.status} error:${error instanceof UsersServiceError}:${error.code} ${typed} version:${sdkVersion}`,
  );
}

main();
