const { createUsersClient, UsersServiceError } = require("@usersvc/sdk");

const [url, apiKey] = process.argv.slice(2);

async function main() {
  const live = await createUsersClient({ url, apiKey }).users.live.query();
  const error = await createUsersClient({ url, apiKey: "wrong-key-0123456789" })
    .users.byId.query({ id: "63a1f1234abc5678def12345" })
    .catch((e) => e);
  console.log(`cjs live:${live.status} error:${error instanceof UsersServiceError}:${error.code}`);
}

main();
