import { existsSync, readFileSync } from "node:fs";
import { currentTotp } from "@usersvc/core";
import { createUsersClient } from "@usersvc/sdk";
import { startTestServer } from "@usersvc/server/testing";
import { describe, expect, inject, it } from "vitest";
import { activationPattern, codeFromMailpit } from "../mailpit";
import { restFlow } from "../rest-client/flow";
import { documentFromRouter, restTypes, schemaFile } from "../scripts/generate-rest-types";
import { createSignupApp } from "../signup-app/app";

/** The examples against a live service (and the Mailpit of the test stack, read over its API). */
describe("examples", () => {
  const mailpit = () => inject("stack").mailpitUrl;

  it("signup app (Hono on the SDK): signs up, activates from the emailed code, logs in with MFA", async () => {
    await using server = await startTestServer();
    const app = createSignupApp(createUsersClient({ url: server.url, apiKey: server.apiKey }));
    const post = async (path: string, body: object) => {
      const response = await app.request(path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const suffix = Math.random().toString(36).slice(2, 10);
    const account = {
      username: `hono_${suffix}`,
      email: `hono.${suffix}@example.com`,
      password: "Hono-pass-123",
    };
    const signup = await post("/signup", { ...account, first_name: "Ho", last_name: "No" });
    expect(signup.status).toBe(201);
    const id = String(signup.body.id);
    expect((await post("/signup", { ...account, first_name: "Ho", last_name: "No" })).body).toMatchObject({
      error: "USERNAME_TAKEN",
    });
    const code = await codeFromMailpit(mailpit(), account.email, activationPattern);
    expect((await post("/activate", { identifier: account.email, code })).body).toEqual({ id, active: true });
    expect((await post("/login", { identifier: account.username, password: account.password })).body).toEqual(
      {
        id,
        username: account.username,
        mfa: false,
      },
    );

    const enrolment = await post("/mfa/enable", { id, password: account.password });
    const secret = String(enrolment.body.secret);
    const now = Math.floor(Date.now() / 1000);
    const confirmed = await post("/mfa/confirm", { id, code: await currentTotp(secret, now - 30) });
    expect(confirmed.body.recovery_codes).toHaveLength(10);
    const asked = await post("/login", { identifier: account.username, password: account.password });
    expect(asked).toEqual({ status: 401, body: { mfa_required: true } });
    const withCode = await post("/login", {
      identifier: account.username,
      password: account.password,
      totp_code: await currentTotp(secret, now),
    });
    expect(withCode.body).toMatchObject({ id, mfa: true });
  }, 60_000);

  it("REST caller (openapi-typescript + openapi-fetch): register, activate, look up, log in, delete", async () => {
    await using server = await startTestServer();
    // The types it was compiled with are those of the document the service serves.
    const served = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as object;
    const fromRouter = await restTypes(await documentFromRouter());
    expect(await restTypes(served)).toBe(
      fromRouter.replace(
        /"0\.0\.0"/g,
        JSON.stringify((served as { info: { version: string } }).info.version),
      ),
    );
    const compiled = existsSync(schemaFile) ? readFileSync(schemaFile, "utf8") : "";
    expect(compiled, "run `pnpm --filter @usersvc/examples typecheck` (it generates the types)").toBe(
      fromRouter,
    );
    const steps = await restFlow({
      url: server.url,
      apiKey: server.apiKey,
      activationCode: (email) => codeFromMailpit(mailpit(), email, activationPattern),
    });
    expect(steps).toEqual([
      "registered:201:false",
      "activated:true",
      "found:true",
      "login:true",
      "wrong-password:401:INVALID_CREDENTIALS",
      "deleted:User deleted.",
      "gone:404:USER_NOT_FOUND",
    ]);
  }, 60_000);
});
