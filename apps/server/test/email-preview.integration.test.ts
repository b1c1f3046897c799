/**
 * The designers' preview of the emails (`/api/dev/emails`, never in production), and proof
 * that a rendered email really renders: headless Chromium (Debian's `chromium`, installed by
 * scripts/check.sh when missing) takes a screenshot of the German activation email.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { json, startTestServer } from "./harness";

type Listing = { kinds: { kind: string; locale: string; subject: string; html: string; text: string }[] };

describe("email preview (development only)", () => {
  it("lists every kind with its subject in a locale, and serves each email as HTML and text", async () => {
    await using server = await startTestServer();
    const listing = await json<Listing>(await fetch(`${server.url}/api/dev/emails?locale=de`));
    const kinds = listing.kinds.map((k) => k.kind);
    expect(kinds).toEqual(
      expect.arrayContaining(["activation", "password-reset", "email-changed", "mfa-locked"]),
    );
    expect(listing.kinds.every((k) => k.locale === "de")).toBe(true);
    const activation = listing.kinds.find((k) => k.kind === "activation");
    expect(activation?.subject).toMatch(/Aktivierungscode/);
    const html = await fetch(`${server.url}${activation?.html}`);
    expect(html.headers.get("content-type")).toMatch(/^text\/html/);
    expect(html.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(await html.text()).toMatch(/<html[^>]*lang="de"/);
    const text = await (await fetch(`${server.url}${activation?.text}`)).text();
    expect(text).toMatch(/^Subject: .*Aktivierungscode/);
    expect((await fetch(`${server.url}/api/dev/emails/no-such-kind`)).status).toBe(404);
  });

  it("is not mounted in production", async () => {
    await using server = await startTestServer({
      APP_ENV: "production",
      RESET_PASSWORD_URL: "https://app.example.com/reset-password",
      ACTIVATION_URL: "https://app.example.com/activate",
      EMAIL_CONFIRM_URL: "https://app.example.com/confirm-email",
      EMAIL_REVERT_URL: "https://app.example.com/revert-email",
    });
    expect((await fetch(`${server.url}/api/dev/emails`)).status).toBe(404);
  });

  it("renders in a real browser: a screenshot of the German activation email shows its text", async () => {
    await using server = await startTestServer();
    const html = await (await fetch(`${server.url}/api/dev/emails/activation?locale=de&format=html`)).text();
    const dir = mkdtempSync(path.join(os.tmpdir(), "email-shot-"));
    try {
      const page = path.join(dir, "email.html");
      const shot = path.join(dir, "email.png");
      writeFileSync(page, html);
      await promisify(execFile)(
        "chromium",
        [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--hide-scrollbars",
          "--window-size=640,480",
          `--screenshot=${shot}`,
          `file://${page}`,
        ],
        { timeout: 60_000 },
      ).catch((error: unknown) => {
        throw new Error(
          `headless chromium failed (scripts/check.sh installs Debian's chromium): ${String(error)}`,
        );
      });
      const png = PNG.sync.read(readFileSync(shot));
      expect([png.width, png.height]).toEqual([640, 480]);
      // Text was drawn: a good share of pixels is dark, in more than one line of the page.
      let dark = 0;
      const rows = new Set<number>();
      for (let i = 0; i < png.data.length; i += 4) {
        const [r = 255, g = 255, b = 255] = [png.data[i], png.data[i + 1], png.data[i + 2]];
        if (r + g + b < 300) {
          dark += 1;
          rows.add(Math.floor(i / 4 / png.width));
        }
      }
      expect(dark).toBeGreaterThan(500);
      expect(rows.size).toBeGreaterThan(40);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
