/**
 * `pnpm --filter @usersvc/server bench:db-ops [--users 200]`: what each operation costs the
 * database, measured with the driver's command monitoring on a service of its own (local
 * FerretDB): commands (by name and collection) and bytes sent and received per register,
 * email delivery, activation, login (right and wrong password), lookup and list page; then
 * each collection's documents per user and bytes per document, and the indexes. The figures
 * of docs/scaling.md come from here.
 */
import { parseArgs } from "node:util";
import { loadSettings } from "@usersvc/config";
import { createMailpitClient, startLocalDatabase, startLocalMailServer } from "@usersvc/local-stack";
import { BSON, type CommandStartedEvent, type CommandSucceededEvent, MongoClient } from "mongodb";
import { measuredEnv } from "../scripts/measured-server";
import { createApp } from "../src/app";
import { createLogger } from "../src/logger";

const { values } = parseArgs({ options: { users: { type: "string", default: "200" } } });
const users = Number(values.users);
await using db = await startLocalDatabase();
await using mail = await startLocalMailServer();
const { apiKey, env } = measuredEnv({ db, mail, dbName: "dbops" });
const monitored = new URL(db.uri);
monitored.searchParams.set("monitorCommands", "true");
const logger = createLogger({ level: "silent", pretty: false });
// The measured API process (no outbox worker), and a worker process of its own for the emails.
const settingsOf = (uri: string) =>
  loadSettings({
    env: { ...env, MONGODB_URI: uri, PORT: "0", LOG_LEVEL: "silent", PASSWORD_HASH_MAX_WAIT_MS: "60000" },
    envFile: null,
  });
const api = await createApp(settingsOf(monitored.toString()), logger);
const url = await api.listen({ worker: false });
const worker = await createApp(settingsOf(monitored.toString()), logger);

type Command = { name: string; bytesOut: number; bytesIn: number };
/** "find users": the command and, when it names one, its collection. */
const commandName = (event: CommandStartedEvent) => {
  const target: unknown = event.command[event.commandName];
  return typeof target === "string" ? `${event.commandName} ${target}` : event.commandName;
};
let seen: Command[] = [];
const pending = new Map<number, Command>();
const watch = (client: MongoClient) => {
  client.on("commandStarted", (event: CommandStartedEvent) => {
    const command = {
      name: commandName(event),
      bytesOut: BSON.calculateObjectSize(event.command),
      bytesIn: 0,
    };
    pending.set(event.requestId, command);
    seen.push(command);
  });
  client.on("commandSucceeded", (event: CommandSucceededEvent) => {
    const command = pending.get(event.requestId);
    pending.delete(event.requestId);
    if (command) command.bytesIn = BSON.calculateObjectSize(event.reply as BSON.Document);
  });
};
watch(api.connection.getClient() as unknown as MongoClient);
const workerCommands: Command[] = [];

const headers = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };
const call = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${url}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, text: await response.text() };
};
type Measure = { calls: number; commands: Map<string, number>; bytesOut: number; bytesIn: number };
const results = new Map<string, Measure>();
/** Runs `work` for each of `count` and keeps the commands it sent, per call. */
async function measure(
  name: string,
  count: number,
  work: (i: number) => Promise<{ status: number; text: string }>,
  status: number,
) {
  const measure: Measure = { calls: 0, commands: new Map(), bytesOut: 0, bytesIn: 0 };
  for (let i = 0; i < count; i++) {
    seen = [];
    const response = await work(i);
    if (response.status !== status) throw new Error(`${name}: answered ${response.status}, not ${status}`);
    measure.calls++;
    for (const command of seen) {
      measure.commands.set(command.name, (measure.commands.get(command.name) ?? 0) + 1);
      measure.bytesOut += command.bytesOut;
      measure.bytesIn += command.bytesIn;
    }
  }
  results.set(name, measure);
}

const password = "Measure-password-1";
const input = (i: number) => ({
  username: `measure_${i}`,
  first_name: "Measure",
  last_name: `User${i}`,
  email: `measure.${i}@example.com`,
  password,
  password_confirmation: password,
  gender: "Other",
});
const ids: string[] = [];
await measure(
  "register",
  users,
  async (i) => {
    const response = await call("POST", "/api/users/", input(i));
    ids.push((JSON.parse(response.text) as { id: string }).id);
    return response;
  },
  201,
);
// Delivery: the worker process sends the activation emails (its commands counted apart).
{
  const client = worker.connection.getClient() as unknown as MongoClient;
  client.on("commandStarted", (event: CommandStartedEvent) =>
    workerCommands.push({
      name: commandName(event),
      bytesOut: BSON.calculateObjectSize(event.command),
      bytesIn: 0,
    }),
  );
  worker.container.startBackgroundWork();
}
const inbox = createMailpitClient(mail.webUrl);
const codes: string[] = [];
for (let i = 0; i < users; i++) {
  const [message] = await inbox.waitForMessages(`measure.${i}@example.com`);
  codes.push(/activation code is (\d{6})/.exec(message?.text ?? "")?.[1] ?? "");
}
await worker.close();
const deliveryCommands = workerCommands.length;
await measure(
  "activation",
  users,
  (i) => call("PATCH", "/api/users/activation", { identifier: `measure_${i}`, code: codes[i] }),
  200,
);
await measure(
  "login (right password)",
  users,
  (i) => call("POST", "/api/users/auth/check", { identifier: `measure_${i}`, password }),
  200,
);
await measure(
  "login (wrong password)",
  users,
  (i) => call("POST", "/api/users/auth/check", { identifier: `measure_${i}`, password: "Wrong-password-1" }),
  401,
);
await measure("lookup by id", users, (i) => call("GET", `/api/users/id?id=${ids[i]}`), 200);
await measure("list page (20)", Math.min(users, 50), () => call("GET", "/api/users?limit=20"), 200);
await api.close();

// What is stored: documents and bytes per user in each collection, and the indexes.
const raw = await new MongoClient(db.uri).connect();
const database = raw.db("dbops");
const collections: { name: string; documents: number; bytesPerDocument: number; indexes: string[] }[] = [];
for (const { name } of await database.listCollections().toArray()) {
  const documents = await database.collection(name).find().toArray();
  const bytes = documents.reduce((sum, doc) => sum + BSON.calculateObjectSize(doc), 0);
  const indexes = await database.collection(name).listIndexes().toArray();
  collections.push({
    name,
    documents: documents.length,
    bytesPerDocument: documents.length > 0 ? bytes / documents.length : 0,
    indexes: indexes.map(
      (index) =>
        `${Object.entries(index.key as Record<string, unknown>)
          .map(([field, order]) => `${field}:${String(order)}`)
          .join(
            ",",
          )}${index.unique ? " unique" : ""}${index.expireAfterSeconds !== undefined ? ` ttl ${index.expireAfterSeconds}s` : ""}${index.partialFilterExpression ? " partial" : ""}`,
    ),
  });
}
await raw.close();

const f = (n: number, digits = 1) => n.toFixed(digits);
console.log(`| operation | commands per call | of which | bytes sent per call | bytes received per call |`);
console.log(`| --- | --- | --- | --- | --- |`);
for (const [name, m] of results) {
  const perCall = [...m.commands].map(([command, count]) => `${f(count / m.calls, 2)} ${command}`).join(", ");
  const total = [...m.commands.values()].reduce((a, b) => a + b, 0) / m.calls;
  console.log(
    `| ${name} | ${f(total, 2)} | ${perCall} | ${f(m.bytesOut / m.calls, 0)} | ${f(m.bytesIn / m.calls, 0)} |`,
  );
}
console.log(
  `| email delivery (worker, per email) | ${f(deliveryCommands / users, 2)} | ${[
    ...workerCommands.reduce(
      (map, c) => map.set(c.name, (map.get(c.name) ?? 0) + 1),
      new Map<string, number>(),
    ),
  ]
    .map(([command, count]) => `${f(count / users, 2)} ${command}`)
    .join(", ")} | ${f(workerCommands.reduce((a, c) => a + c.bytesOut, 0) / users, 0)} | n/a |`,
);
console.log(`\n${users} users registered, activated, logged in once right and once wrong:\n`);
console.log(`| collection | documents | per user | bytes per document | indexes |`);
console.log(`| --- | --- | --- | --- | --- |`);
for (const c of collections) {
  console.log(
    `| ${c.name} | ${c.documents} | ${f(c.documents / users, 2)} | ${f(c.bytesPerDocument, 0)} | ${c.indexes.join("; ")} |`,
  );
}
process.exit(0);
