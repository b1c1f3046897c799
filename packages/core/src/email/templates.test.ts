import { describe, expect, it } from "vitest";
import { renderActivation, renderLoginLocked } from "./templates";

describe("activation email", () => {
  it("carries the code in both bodies and escapes the user's name in HTML", () => {
    const email = renderActivation({
      to: "a@b.c",
      firstName: "<b>Eve</b>",
      code: "012345",
      link: "https://app.example.com/activate?token=abc&x=<y>",
      expiresInMinutes: 60,
    });
    expect(email.text).toContain("Your activation code is 012345.");
    expect(email.text).toContain("https://app.example.com/activate?token=abc");
    expect(email.text).toContain("expire in 60 minutes");
    expect(email.html).toContain('href="https://app.example.com/activate?token=abc&#38;x=&#60;y&#62;"');
    expect(email.html).toContain("012345");
    expect(email.html).toContain("&#60;b&#62;Eve&#60;/b&#62;");
    expect(email.html).not.toContain("<b>Eve</b>");
  });
});

describe("login-locked notice", () => {
  it("says how many wrong passwords, how long sign-ins pause, and to reset the password if it was not the owner", () => {
    const email = renderLoginLocked({ to: "a@b.c", firstName: "<i>Ann</i>", failures: 5, lockedMinutes: 15 });
    expect(email.text).toContain("wrong password 5 times");
    expect(email.text).toContain("paused for 15 minutes");
    expect(email.text).toMatch(/not you, reset your password/);
    expect(email.html).toContain("&#60;i&#62;Ann&#60;/i&#62;");
  });
});
