import { readApiKeys } from "@usersvc/config";
import { describe, expect, it } from "vitest";
import { mintApiKey } from "../scripts/api-key";

describe("api-key create", () => {
  it("refuses a name that would make its entry anything but the one named key", () => {
    // A comma splits the entry: its first part would be a plain key holding every scope.
    for (const name of ["plain-key-0123456789,billing", "a,b", "x/y", "bill ing", ""]) {
      expect(() => mintApiKey({ name, scopes: ["users:read"] }), name).toThrow(/--name/);
    }
  });

  it("prints an entry that the configuration reads as exactly that key", () => {
    const minted = mintApiKey({ name: "billing", scopes: ["users:read"] });
    expect(readApiKeys({ apiKeys: minted.entry, file: undefined, authDisabled: false })).toEqual({
      keys: [{ name: "billing", scopes: ["users:read"], sha256: minted.fileEntry.sha256, legacy: false }],
      problems: [],
    });
  });
});
