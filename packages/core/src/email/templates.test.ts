import { describe, expect, it } from "vitest";
import { renderActivation } from "./templates";

describe("activation email", () => {
  it("carries the code in both bodies and escapes the user's name in HTML", () => {
    const email = renderActivation({
      to: "a@b.c",
      firstName: "<b>Eve</b>",
      code: "012345",
      expiresInMinutes: 60,
    });
    expect(email.text).toContain("Your activation code is 012345.");
    expect(email.text).toContain("expires in 60 minutes");
    expect(email.html).toContain("012345");
    expect(email.html).toContain("&#60;b&#62;Eve&#60;/b&#62;");
    expect(email.html).not.toContain("<b>Eve</b>");
  });
});
