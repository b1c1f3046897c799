import { describe, expect, it } from "vitest";
import { stubRouter } from "./scope-table";
import { assertScopesDeclared, createApiProcedure, metaOf, missingScope, publicProcedure, t } from "./trpc";

describe("scopes of procedures", () => {
  const update = { scope: "users:write", fieldScopes: { role: { scope: "admin" } } } as const;
  const create = {
    scope: "users:write",
    fieldScopes: { role: { scope: "admin", values: ["admin"] } },
  } as const;

  it("names the procedure's scope when the key lacks it", () => {
    expect(missingScope({ scope: "admin" }, { id: "x" }, ["users:read", "users:write"])).toEqual({
      scope: "admin",
    });
    expect(missingScope({ scope: "users:read" }, undefined, ["users:read"])).toBeUndefined();
  });

  it("asks for admin when a users:write key sends a role (any value on update, admin on create)", () => {
    expect(missingScope(update, { id: "x", role: "user" }, ["users:write"])).toEqual({
      scope: "admin",
      field: "role",
    });
    expect(missingScope(update, { id: "x", first_name: "Jo" }, ["users:write"])).toBeUndefined();
    expect(missingScope(update, { id: "x", role: "admin" }, ["users:write", "admin"])).toBeUndefined();
    expect(missingScope(create, { role: "admin" }, ["users:write"])).toEqual({
      scope: "admin",
      field: "role",
    });
    expect(missingScope(create, { role: "user" }, ["users:write"])).toBeUndefined();
    // The procedure's own scope is checked first.
    expect(missingScope(update, { role: "user" }, ["admin"])).toEqual({ scope: "users:write" });
  });

  it("refuses to build a router with a procedure that declares no scope", () => {
    const apiProcedure = createApiProcedure();
    const forgotten = t.router({
      scoped: apiProcedure.meta({ scope: "users:read" }).query(() => 1),
      open: publicProcedure
        .meta({ openapi: { method: "GET", path: "/open", protect: false } })
        .query(() => 1),
      nested: t.router({ bare: apiProcedure.query(() => 1) }),
      unscoped: apiProcedure.meta({ openapi: { method: "GET", path: "/x" } }).query(() => 1),
    });
    expect(() => assertScopesDeclared(forgotten._def.procedures)).toThrow(
      /Procedures without a scope: nested\.bare, unscoped\./,
    );
  });

  it("gives every procedure of the service a scope (or makes it public on purpose)", () => {
    const procedures: Record<string, unknown> = stubRouter()._def.procedures;
    const scopes = Object.fromEntries(
      Object.entries(procedures).map(([path, p]) => [path, metaOf(p)?.scope ?? null]),
    );
    expect(scopes).toMatchObject({
      "users.health": null,
      "users.live": null,
      "users.byId": "users:read",
      "users.list": "users:read",
      "users.create": "users:write",
      "users.update": "users:write",
      "users.auth.check": "auth",
      "users.mfa.confirm": "auth",
      "users.deleteById": "admin",
      "users.import": "admin",
    });
  });
});
