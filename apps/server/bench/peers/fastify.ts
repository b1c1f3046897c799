/**
 * Peer: Fastify 5 + mongoose, the lookup as Fastify's docs would write it: a JSON schema
 * for the query and for the answer (which Fastify compiles into its serializer).
 */
import Fastify from "fastify";
import { authorized, connect, findUser, shutdown } from "./model";

await connect();
const app = Fastify({ logger: false });
const nullableString = { type: ["string", "null"] } as const;
const user = {
  type: "object",
  properties: {
    id: { type: "string" },
    username: { type: "string" },
    first_name: { type: "string" },
    last_name: { type: "string" },
    email: { type: "string" },
    gender: { type: "string" },
    role: { type: "string" },
    is_active: { type: "boolean" },
    mfa_enabled: { type: "boolean" },
    locale: nullableString,
    created_at: { type: "string" },
    updated_at: { type: "string" },
  },
} as const;
app.get("/api/users/health/live", async () => ({ status: "ok" }));
app.get<{ Querystring: { id: string } }>(
  "/api/users/id",
  {
    schema: {
      querystring: {
        type: "object",
        properties: { id: { type: "string", pattern: "^[0-9a-fA-F]{24}$" } },
        required: ["id"],
      },
      response: { 200: user },
    },
  },
  async (request, reply) => {
    if (!authorized(request.headers.authorization))
      return reply.code(401).send({ message: "invalid API key" });
    const found = await findUser(request.query.id);
    if (!found) return reply.code(404).send({ message: "user not found" });
    return found;
  },
);
await app.listen({ port: Number(process.env.PORT), host: "127.0.0.1" });
process.stdout.write("fastify listening\n");
process.on("SIGTERM", () => void app.close().then(() => shutdown().then(() => process.exit(0))));
