/**
 * `USERS_URL=http://127.0.0.1:8000 USERS_API_KEY=... pnpm --filter @usersvc/examples signup-app`
 * then `curl -X POST localhost:3000/signup -d '{"username":...}'`.
 */
import { serve } from "@hono/node-server";
import { createUsersClient } from "@usersvc/sdk";
import { createSignupApp } from "./app";

const { USERS_URL = "http://127.0.0.1:8000", USERS_API_KEY = "", PORT = "3000" } = process.env;
const app = createSignupApp(createUsersClient({ url: USERS_URL, apiKey: USERS_API_KEY }));
serve({ fetch: app.fetch, port: Number(PORT), hostname: "127.0.0.1" }, ({ port }) =>
  console.log(`signup app on http://127.0.0.1:${port}`),
);
