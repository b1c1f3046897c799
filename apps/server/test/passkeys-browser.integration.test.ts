import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { AuthenticationOptions, RegistrationOptions } from "@usersvc/core";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { createActiveUser, json, post, startTestServer } from "./harness";

/*
 * One real ceremony end to end: headless Chromium (Debian's `chromium`, installed by
 * scripts/check.sh) with the DevTools virtual authenticator (CTAP2, resident keys, user
 * verification) on a page served from http://localhost (a secure context), registering a
 * passkey and signing in with it. The browser makes the attestation and the assertion; the
 * server verifies them.
 */
/** The small test page: what a frontend does with the service's options (relayed by the test). */
const testPage = `<!doctype html>
<title>passkeys</title>
<script>
  async function createPasskey(options) {
    const credential = await navigator.credentials.create({
      publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options),
    });
    return credential.toJSON();
  }
  async function getPasskey(options) {
    const credential = await navigator.credentials.get({
      publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
    });
    return credential.toJSON();
  }
</script>`;

describe("passkeys in a real browser (Chromium's virtual authenticator)", () => {
  it("registers a passkey and signs in with it, discoverable, through the REST routes", async () => {
    const page = createServer((_request, response) => {
      response.writeHead(200, { "content-type": "text/html" }).end(testPage);
    });
    await new Promise<void>((resolve) => page.listen(0, "127.0.0.1", resolve));
    const origin = `http://localhost:${(page.address() as AddressInfo).port}`;
    await using server = await startTestServer({ WEBAUTHN_RP_ID: "localhost", WEBAUTHN_ORIGINS: origin });
    const browser = await chromium
      .launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] })
      .catch((error: unknown) => {
        throw new Error(
          `headless chromium failed (scripts/check.sh installs Debian's chromium): ${String(error)}`,
        );
      });
    try {
      const tab = await browser.newPage();
      await tab.goto(origin);
      const devtools = await tab.context().newCDPSession(tab);
      await devtools.send("WebAuthn.enable");
      const { authenticatorId } = await devtools.send("WebAuthn.addVirtualAuthenticator", {
        options: {
          protocol: "ctap2",
          transport: "internal",
          hasResidentKey: true,
          hasUserVerification: true,
          isUserVerified: true,
        },
      });

      const user = await createActiveUser(server);
      const creation = await post(server, "/api/users/passkeys/register/options", {
        id: user.id,
        current_password: user.password,
      });
      const creationOptions = await json<RegistrationOptions>(creation);
      const attestation: unknown = await tab.evaluate(`createPasskey(${JSON.stringify(creationOptions)})`);
      const registered = await post(server, "/api/users/passkeys/register/verify", {
        id: user.id,
        response: attestation,
        name: "Chromium",
      });
      expect(registered.status, await registered.clone().text()).toBe(200);
      const { credentials } = await devtools.send("WebAuthn.getCredentials", { authenticatorId });
      expect(credentials).toHaveLength(1);
      expect(credentials[0]?.isResidentCredential).toBe(true);

      const request = await post(server, "/api/users/passkeys/authenticate/options", {});
      const requestOptions = await json<AuthenticationOptions>(request);
      const assertion: unknown = await tab.evaluate(`getPasskey(${JSON.stringify(requestOptions)})`);
      const signedIn = await post(server, "/api/users/passkeys/authenticate/verify", { response: assertion });
      expect(signedIn.status, await signedIn.clone().text()).toBe(200);
      expect(await json(signedIn)).toMatchObject({ id: user.id, username: user.username });
      // The same assertion again is a replay.
      const replayed = await post(server, "/api/users/passkeys/authenticate/verify", { response: assertion });
      expect(await json(replayed)).toMatchObject({ code: "PASSKEY_CHALLENGE_INVALID" });
    } finally {
      await browser.close();
      page.close();
    }
  }, 60_000);
});
