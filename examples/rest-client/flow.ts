/**
 * A REST caller in the style of any other stack: a client generated from the service's
 * OpenAPI document (openapi-typescript: `schema.d.ts`; openapi-fetch: the calls), walking the
 * main flow: register, activate with the emailed code, look up, log in, delete.
 */
import createClient from "openapi-fetch";
import type { paths } from "./schema";

export type RestFlowOptions = {
  /** The service's base URL, e.g. http://127.0.0.1:8000 (the REST API is under /api). */
  url: string;
  apiKey: string;
  /** Reads the activation code the service emailed to this address. */
  activationCode: (email: string) => Promise<string>;
};

/** Runs the flow; returns one line per step (what the service answered). */
export async function restFlow({ url, apiKey, activationCode }: RestFlowOptions): Promise<string[]> {
  const client = createClient<paths>({
    baseUrl: `${url.replace(/\/+$/, "")}/api`,
    headers: { authorization: `Bearer ${apiKey}` },
  });
  const steps: string[] = [];
  const suffix = Math.random().toString(36).slice(2, 10);
  const username = `rest_${suffix}`;
  const email = `rest.${suffix}@example.com`;
  const password = "Quartz-Lantern-Meadow-58";

  const created = await client.POST("/users", {
    body: {
      username,
      first_name: "Rest",
      last_name: "Client",
      email,
      password,
      password_confirmation: password,
      gender: "Unspecified",
    },
  });
  if (!created.data) throw new Error(`register: ${created.response.status} ${created.error?.code}`);
  const { id } = created.data;
  steps.push(`registered:${created.response.status}:${created.data.is_active}`);

  const activated = await client.PATCH("/users/activation", {
    body: { identifier: username, code: await activationCode(email) },
  });
  steps.push(`activated:${activated.data?.is_active}`);

  const found = await client.GET("/users/identifier", { params: { query: { identifier: email } } });
  steps.push(`found:${found.data?.id === id}`);

  const login = await client.POST("/users/auth/check", { body: { identifier: username, password } });
  steps.push(`login:${login.data?.id === id}`);
  const wrong = await client.POST("/users/auth/check", {
    body: { identifier: username, password: "Wrong-pass-123" },
  });
  // Errors are typed too: `code` is the service's stable code.
  steps.push(`wrong-password:${wrong.response.status}:${wrong.error?.code}`);

  const deleted = await client.DELETE("/users/id", { params: { query: { id } } });
  steps.push(`deleted:${deleted.data?.message}`);
  const gone = await client.GET("/users/id", { params: { query: { id } } });
  steps.push(`gone:${gone.response.status}:${gone.error?.code}`);
  return steps;
}
