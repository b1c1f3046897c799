/**
 * The baseline the service is measured against: a bare node:http server doing the same
 * lookup (GET /id?id=) with the official MongoDB driver on the same database, answering the
 * same JSON. No framework, no validation beyond the id check, no logging.
 */
import http from "node:http";
import { MongoClient, ObjectId } from "mongodb";

const client = new MongoClient(process.env.MONGODB_URI ?? "", { maxPoolSize: 50 });
await client.connect();
const users = client.db(process.env.MONGODB_DB).collection("users");
const projection = {
  username: 1,
  first_name: 1,
  last_name: 1,
  email: 1,
  gender: 1,
  role: 1,
  is_active: 1,
  mfa_enabled: 1,
  locale: 1,
  created_at: 1,
  updated_at: 1,
};

const server = http.createServer(async (req, res) => {
  const id = new URL(req.url ?? "/", "http://x").searchParams.get("id") ?? "";
  if (!/^[0-9a-f]{24}$/i.test(id)) {
    res.writeHead(400).end();
    return;
  }
  const doc = await users.findOne({ _id: new ObjectId(id) }, { projection });
  if (!doc) {
    res.writeHead(404).end();
    return;
  }
  const body = JSON.stringify({
    id: doc._id.toHexString(),
    username: doc.username,
    first_name: doc.first_name,
    last_name: doc.last_name,
    email: doc.email,
    gender: doc.gender,
    role: doc.role,
    is_active: doc.is_active,
    mfa_enabled: doc.mfa_enabled,
    locale: doc.locale ?? null,
    created_at: (doc.created_at as Date).toISOString(),
    updated_at: (doc.updated_at as Date).toISOString(),
  });
  res.writeHead(200, { "content-type": "application/json" }).end(body);
});
server.listen(Number(process.env.PORT), "127.0.0.1", () => process.stdout.write("baseline listening\n"));
process.on("SIGTERM", () => server.close(() => client.close().then(() => process.exit(0))));
