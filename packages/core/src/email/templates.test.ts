import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { activationEmail, emailKinds, loginLockedEmail } from "./kinds";
import { builtinTemplatesDir, EmailTemplateError, loadEmailTemplates, safeSubject } from "./templates";

const load = (options: { overrideDir?: string; defaultLocale?: string } = {}) =>
  loadEmailTemplates({ kinds: emailKinds, ...options });

const dirs: string[] = [];
/** An operator's folder in a temp dir: `{ "de/activation.subject.hbs": "..." }`. */
function overrideFolder(files: Record<string, string>) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "email-templates-"));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("the templates we ship", () => {
  const templates = load();

  it("exist in English and German, English the default", () => {
    expect(templates.locales).toEqual(["en", "de"]);
    expect(builtinTemplatesDir()).toMatch(/templates$/);
  });

  it.each(["en", "de"])("render every kind in %s with its sample variables, none left empty", (locale) => {
    for (const { kind, sample } of emailKinds) {
      const email = templates.render(kind, sample, locale);
      expect(email.subject, kind).toMatch(/\S/);
      expect(email.subject).not.toMatch(/[\r\n]/);
      expect(email.text, kind).toContain(`${locale === "de" ? "Hallo" : "Hello"} John,`);
      expect(email.html, kind).toContain(`<html lang="${locale}">`);
      expect(email.html, kind).toContain(`<title>${email.subject.replace(/'/g, "&#x27;")}</title>`);
      expect(`${email.text}${email.html}`).not.toMatch(/undefined|\{\{/);
    }
  });

  it("carry the activation code and link in both bodies, escaping the user's name in HTML only", () => {
    const email = templates.render("activation", {
      ...activationEmail.sample,
      firstName: "<b>Eve</b>",
      link: "https://app.example.com/activate?token=abc&x=<y>",
    });
    expect(email.subject).toBe("Your activation code: 042917");
    expect(email.text).toContain("Hello <b>Eve</b>,");
    expect(email.text).toContain("Your activation code is 042917.");
    expect(email.text).toContain("https://app.example.com/activate?token=abc&x=<y>");
    expect(email.text).toContain("expire in 60 minutes");
    expect(email.html).toContain(
      'href="https://app.example.com/activate?token&#x3D;abc&amp;x&#x3D;&lt;y&gt;"',
    );
    expect(email.html).toContain("&lt;b&gt;Eve&lt;/b&gt;");
    expect(email.html).not.toContain("<b>Eve</b>");
  });

  it("say in the login-locked notice how many failures and how long sign-ins pause", () => {
    const email = templates.render("login-locked", { ...loginLockedEmail.sample, firstName: "<i>Ann</i>" });
    expect(email.text).toContain("wrong password 5 times");
    expect(email.text).toContain("paused for 15 minutes");
    expect(email.text).toMatch(/not you, reset your password/);
    expect(email.html).toContain("&lt;i&gt;Ann&lt;/i&gt;");
  });
});

describe("locale fallback", () => {
  const templates = load();
  it.each([
    ["de", "de"],
    ["de-AT", "de"],
    ["DE-at", "de"],
    ["fr", "en"],
    ["pt-BR", "en"],
    [null, "en"],
    [undefined, "en"],
    ["not a locale!", "en"],
  ])("%s is rendered in %s", (requested, used) => {
    expect(templates.resolveLocale(requested)).toBe(used);
    const subject = templates.render("activation", activationEmail.sample, requested).subject;
    expect(subject).toBe(used === "de" ? "Ihr Aktivierungscode: 042917" : "Your activation code: 042917");
  });

  it("uses EMAIL_DEFAULT_LOCALE when the user has none or one without templates", () => {
    const german = load({ defaultLocale: "de" });
    expect(german.locales[0]).toBe("de");
    expect(german.render("activation", activationEmail.sample).subject).toBe("Ihr Aktivierungscode: 042917");
    expect(german.render("activation", activationEmail.sample, "fr").subject).toBe(
      "Ihr Aktivierungscode: 042917",
    );
    expect(german.render("activation", activationEmail.sample, "en").subject).toBe(
      "Your activation code: 042917",
    );
  });

  it("refuses a default locale no template exists for", () => {
    expect(() => load({ defaultLocale: "fr" })).toThrow(/no email templates for the default locale fr/);
  });
});

describe("subjects", () => {
  it("lose CR, LF and every control character: a name cannot add a header", () => {
    expect(safeSubject("Hi\r\nBcc: eve@example.com\u0000\u001b")).toBe("Hi Bcc: eve@example.com");
    const templates = load({
      overrideDir: overrideFolder({
        "en/password-changed.subject.hbs": "Password changed for {{firstName}}\n",
      }),
    });
    const email = templates.render("password-changed", { to: "a@b.c", firstName: "Eve\r\nBcc: x@evil.test" });
    expect(email.subject).toBe("Password changed for Eve Bcc: x@evil.test");
  });
});

describe("an operator's folder (EMAIL_TEMPLATES_DIR)", () => {
  it("overrides ours per kind, part and locale; missing files fall back to ours", () => {
    const templates = load({
      overrideDir: overrideFolder({
        "en/activation.subject.hbs": "Welcome to ACME, {{firstName}}: {{code}}",
        "en/layout.html.hbs": '<html lang="{{locale}}"><body class=acme>{{> @partial-block}}</body></html>',
        "fr/activation.subject.hbs": "Votre code d'activation : {{code}}",
      }),
    });
    expect(templates.locales).toEqual(["en", "de", "fr"]);
    const en = templates.render("activation", activationEmail.sample, "en");
    expect(en.subject).toBe("Welcome to ACME, John: 042917");
    expect(en.text).toContain("Your activation code is 042917.");
    expect(en.html).toContain("<body class=acme>");
    // German keeps ours (the operator changed English only); French has its subject, English bodies.
    expect(templates.render("activation", activationEmail.sample, "de").subject).toBe(
      "Ihr Aktivierungscode: 042917",
    );
    const fr = templates.render("activation", activationEmail.sample, "fr-CA");
    expect(fr.subject).toBe("Votre code d'activation : 042917");
    expect(fr.text).toContain("Your activation code is 042917.");
    expect(fr.html).toContain("<body class=acme>");
  });

  it("with a syntax error stops the load, naming the file and line", () => {
    const dir = overrideFolder({ "de/activation.html.hbs": "<p>Hallo</p>\n<p>{{code</p>\n" });
    const error = (() => {
      try {
        load({ overrideDir: dir });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(EmailTemplateError);
    expect((error as Error).message).toContain(`${path.join(dir, "de/activation.html.hbs")}:2`);
  });

  it("referring to a variable the kind does not provide stops the load, naming the file and line", () => {
    const dir = overrideFolder({
      "en/password-reset.text.hbs": "Hello {{firstName}},\n\nYour code: {{code}}\n",
    });
    expect(() => load({ overrideDir: dir })).toThrow(
      new RegExp(`${path.join(dir, "en/password-reset.text.hbs")}:3: "code" not defined`),
    );
  });

  it("that does not exist stops the load", () => {
    expect(() => load({ overrideDir: "/nonexistent/templates" })).toThrow(/does not exist/);
  });
});
