import { describe, expect, it } from "vitest";
import { createOpenApiDocument } from "./openapi";
import { stubRouter } from "./scope-table";

const router = stubRouter();
const document = createOpenApiDocument(router, "test");

type Operation = {
  operationId: string;
  parameters?: { name: string; in: string; required?: boolean; example?: unknown }[];
  requestBody?: { content: Record<string, { example?: unknown }> };
  responses: Record<
    string,
    { content?: Record<string, { example?: unknown }>; links?: Record<string, Link> }
  >;
};
type Link = {
  operationId: string;
  parameters?: Record<string, string>;
  requestBody?: Record<string, string>;
};

const operations = Object.values(document.paths ?? {}).flatMap((item) =>
  Object.values(item as Record<string, Operation>),
);
const byOperationId = new Map(operations.map((operation) => [operation.operationId, operation]));

type Parser = { safeParse(value: unknown): { success: boolean; error?: unknown } };
/** The zod schemas of the procedure behind an operation (operationId: its path with dashes). */
function schemasOf(operationId: string): { input: Parser | undefined; output: Parser } {
  const procedures: Record<string, unknown> = router._def.procedures;
  const procedure = procedures[operationId.replaceAll("-", ".")] as
    | { _def: { inputs: Parser[]; output: Parser } }
    | undefined;
  if (!procedure) throw new Error(`no procedure for ${operationId}`);
  return { input: procedure._def.inputs[0], output: procedure._def.output };
}

const successOf = (operation: Operation) => {
  const status = Object.keys(operation.responses).find((code) => code.startsWith("2")) ?? "";
  return operation.responses[status];
};

describe("OpenAPI document: examples and links", () => {
  it("has a request example (when there is input) and a success example on every operation, valid for its schemas", () => {
    expect(operations.length).toBeGreaterThan(20);
    for (const operation of operations) {
      const { input, output } = schemasOf(operation.operationId);
      const response = successOf(operation)?.content?.["application/json"]?.example;
      expect(response, `${operation.operationId}: response example`).toBeDefined();
      expect(output.safeParse(response).error, `${operation.operationId}: response example`).toBeUndefined();
      const body = operation.requestBody?.content["application/json"]?.example;
      const query = Object.fromEntries(
        (operation.parameters ?? []).filter((p) => p.example !== undefined).map((p) => [p.name, p.example]),
      );
      if (input && (operation.requestBody || (operation.parameters ?? []).length > 0)) {
        const request = body ?? query;
        expect(
          Object.keys(request as object).length,
          `${operation.operationId}: request example`,
        ).toBeGreaterThan(0);
        expect(input.safeParse(request).error, `${operation.operationId}: request example`).toBeUndefined();
      }
      for (const parameter of operation.parameters ?? []) {
        if (parameter.required)
          expect(parameter.example, `${operation.operationId} ${parameter.name}`).toBeDefined();
      }
    }
  });

  it("links what creates or returns users to what they can be used for, every link to a real operation and field", () => {
    const links = operations.flatMap((operation) =>
      Object.entries(successOf(operation)?.links ?? {}).map(([name, link]) => ({
        from: operation,
        name,
        link,
      })),
    );
    expect(links.length).toBeGreaterThanOrEqual(20);
    for (const { from, name, link } of links) {
      const target = byOperationId.get(link.operationId);
      expect(target, `${from.operationId} -> ${name}`).toBeDefined();
      for (const parameter of Object.keys(link.parameters ?? {})) {
        expect(
          target?.parameters?.map((p) => p.name),
          `${from.operationId} -> ${name}`,
        ).toContain(parameter);
      }
      if (link.requestBody) expect(target?.requestBody, `${from.operationId} -> ${name}`).toBeDefined();
      for (const expression of [
        ...Object.values(link.parameters ?? {}),
        ...Object.values(link.requestBody ?? {}),
      ]) {
        expect(expression).toMatch(/^\$(response|request)\.body#\//);
        if (expression.startsWith("$request.body")) expect(from.requestBody).toBeDefined();
      }
    }
    const chained = (from: string) =>
      Object.values(successOf(byOperationId.get(from) as Operation)?.links ?? {}).map(
        (link) => link.operationId,
      );
    expect(chained("users-create")).toEqual(
      expect.arrayContaining([
        "users-byId",
        "users-update",
        "users-deleteById",
        "users-deleteByIdentifier",
        "users-activate",
      ]),
    );
    expect(chained("users-activate")).toContain("users-byIdentifier");
    expect(chained("users-mfa-enable")).toEqual(
      expect.arrayContaining(["users-mfa-confirm", "users-mfa-qr"]),
    );
    expect(chained("users-mfa-confirm")).toContain("users-mfa-disable");
    expect(chained("users-email-change")).toContain("users-email-confirm");
    expect(chained("users-webhooks-create")).toEqual(
      expect.arrayContaining(["users-webhooks-byId", "users-webhooks-update", "users-webhooks-delete"]),
    );
  });
});
