import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { renderScopeTable } from "./openapi-scopes";
import { scopeTableFile, scopeTableOf, stubRouter } from "./scope-table";

describe("docs/integration.md", () => {
  it("lists every route under the scope its procedure declares (pnpm --filter @usersvc/server docs:scopes)", () => {
    const text = readFileSync(path.resolve(import.meta.dirname, "../../..", scopeTableFile), "utf8");
    expect(scopeTableOf(text)).toBe(renderScopeTable(stubRouter()._def.procedures));
  });
});
