import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { json, newUserInput, register, startTestServer, type TestServer } from "./harness";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
/** An operator's template folder (EMAIL_TEMPLATES_DIR) in a temp dir. */
function templatesDir(files: Record<string, string>) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "users-email-templates-"));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

const patchUser = (server: TestServer, body: unknown) =>
  server.api("/api/users/id", {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("emails in the user's language", () => {
  it("registers with locale de-at (canonicalised) and the activation email arrives in German", async () => {
    await using server = await startTestServer();
    const input = newUserInput({ first_name: "Jürgen", locale: "de-at" });
    const created = await register(server, input);
    expect(created.status).toBe(201);
    const user = await json<{ id: string; locale: string | null }>(created);
    expect(user.locale).toBe("de-AT");
    const [email] = await server.inbox.waitForMessages(input.email);
    expect(email?.subject).toMatch(/^Ihr Aktivierungscode: \d{6}$/);
    expect(email?.text).toContain("Hallo Jürgen,");
    expect(email?.text).toMatch(/Ihr Aktivierungscode lautet \d{6}\./);
    expect(email?.html).toContain('<html lang="de">');
    expect(email?.html).toContain("aktivieren Sie Ihr Konto mit einem Klick");
  });

  it("without a locale uses EMAIL_DEFAULT_LOCALE; a profile update sets and clears it", async () => {
    await using server = await startTestServer({
      EMAIL_DEFAULT_LOCALE: "de",
      ACTIVATION_RESEND_COOLDOWN_SECONDS: "0",
    });
    const input = newUserInput();
    const created = await register(server, input);
    const { id, locale } = await json<{ id: string; locale: string | null }>(created);
    expect(locale).toBeNull();
    const [email] = await server.inbox.waitForMessages(input.email);
    expect(email?.subject).toMatch(/^Ihr Aktivierungscode/);

    const set = await patchUser(server, { id, locale: "EN-gb" });
    expect(set.status).toBe(200);
    expect((await json(set)).locale).toBe("en-GB");
    expect((await json(await server.api(`/api/users/id?id=${id}`))).locale).toBe("en-GB");
    const resend = await server.api(`/api/users/activation/resend?identifier=${input.username}`);
    expect(resend.status).toBe(200);
    const messages = await server.inbox.waitForMessages(input.email, { count: 2 });
    expect(messages.at(-1)?.subject).toMatch(/^Your activation code: \d{6}$/);

    const cleared = await patchUser(server, { id, locale: null });
    expect((await json(cleared)).locale).toBeNull();
  });

  it("refuses a locale that is not a BCP 47 tag, at registration and in a profile update", async () => {
    await using server = await startTestServer();
    const bad = await register(server, newUserInput({ locale: "not a locale!" }));
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await json(bad))).toContain("BCP 47");
    const created = await register(server, newUserInput());
    const { id } = await json<{ id: string }>(created);
    expect((await patchUser(server, { id, locale: "en_US" })).status).toBe(400);
  });
});

describe("an operator's templates (EMAIL_TEMPLATES_DIR)", () => {
  it("replace our activation subject and HTML; the text falls back to ours", async () => {
    const dir = templatesDir({
      "en/activation.subject.hbs": "ACME: your code is {{code}}\n",
      "en/activation.html.hbs":
        '<html><body class="acme"><h1>Welcome to ACME, {{firstName}}</h1><p>{{code}}</p></body></html>\n',
    });
    await using server = await startTestServer({ EMAIL_TEMPLATES_DIR: dir });
    const input = newUserInput({ first_name: "<script>alert(1)</script>" });
    expect((await register(server, input)).status).toBe(201);
    const [email] = await server.inbox.waitForMessages(input.email);
    expect(email?.subject).toMatch(/^ACME: your code is \d{6}$/);
    expect(email?.html).toContain('<body class="acme">');
    expect(email?.html).toContain("Welcome to ACME, &lt;script&gt;alert(1)&lt;/script&gt;");
    expect(email?.html).not.toContain("<script>");
    expect(email?.text).toMatch(/Your activation code is \d{6}\./);
  });

  it("with a broken template stops the start, naming the file and line", async () => {
    const dir = templatesDir({
      "de/password-reset.html.hbs": "<p>Hallo {{firstName}}</p>\n<p>{{#if link}}</p>\n",
    });
    await expect(startTestServer({ EMAIL_TEMPLATES_DIR: dir })).rejects.toThrow(
      `${path.join(dir, "de/password-reset.html.hbs")}:`,
    );
    const unknown = templatesDir({ "en/mfa-enabled.text.hbs": "Hello {{firstName}}\n{{recoveryCodes}}\n" });
    await expect(startTestServer({ EMAIL_TEMPLATES_DIR: unknown })).rejects.toThrow(
      `${path.join(unknown, "en/mfa-enabled.text.hbs")}:2: "recoveryCodes" not defined`,
    );
  });
});
