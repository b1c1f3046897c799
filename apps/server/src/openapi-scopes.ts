import { apiScopes, metaOf, type RouteMeta } from "./trpc";

type Operation = {
  description?: string;
  security?: Record<string, string[]>[];
  responses?: Record<string, { description?: string; content?: unknown }>;
  [extension: `x-${string}`]: unknown;
};

const errorContent = { "application/json": { schema: { $ref: "#/components/schemas/Error" } } };

/** The sentence that says which scopes a route needs (OpenAPI description, docs/integration.md). */
export function describeScopes(meta: RouteMeta): string | undefined {
  if (!meta.scope) return undefined;
  const fields = Object.entries(meta.fieldScopes ?? {}).map(
    ([field, rule]) =>
      `sending \`${field}\`${rule.values ? ` as ${rule.values.join(" or ")}` : ""} also needs \`${rule.scope}\``,
  );
  return `Needs an API key with the \`${meta.scope}\` scope${fields.length > 0 ? `; ${fields.join("; ")}` : ""}.`;
}

/**
 * Shows a route's required scope in its operation: the bearer security requirement names it
 * (OpenAPI 3.1 allows role names there), `x-required-scope` (and `x-field-scopes`) carry it for
 * tools, the description says it, and 403 documents INSUFFICIENT_SCOPE.
 */
export function documentScopes(operation: Operation, meta: RouteMeta | undefined): void {
  if (!meta?.scope) return;
  operation.security = [{ bearerAuth: [meta.scope] }];
  operation["x-required-scope"] = meta.scope;
  if (meta.fieldScopes) operation["x-field-scopes"] = meta.fieldScopes;
  const sentence = describeScopes(meta);
  operation.description = [operation.description, sentence].filter(Boolean).join("\n\n");
  const responses = operation.responses ?? {};
  operation.responses = responses;
  const forbidden = `INSUFFICIENT_SCOPE (required_scope names it): the API key lacks the \`${meta.scope}\` scope${meta.fieldScopes ? " or a field's" : ""}`;
  const existing = responses["403"];
  // A route's own 403 description is kept; the scope refusal is added unless it says it already.
  const description = !existing?.description
    ? forbidden
    : existing.description.includes("INSUFFICIENT_SCOPE")
      ? existing.description
      : `${existing.description}; or ${forbidden}`;
  responses["403"] = { ...existing, description, content: errorContent };
}

/**
 * The table of routes by scope in docs/integration.md (between its `scopes` markers), from
 * the procedures' own meta: a unit test compares it with the file, so the two cannot drift
 * (`pnpm --filter @usersvc/server docs:scopes` rewrites it).
 */
export function renderScopeTable(procedures: Record<string, unknown>): string {
  const rows = Object.entries(procedures).map(([name, procedure]) => ({ name, meta: metaOf(procedure) }));
  const order = [...apiScopes, undefined];
  rows.sort((a, b) => order.indexOf(a.meta?.scope) - order.indexOf(b.meta?.scope));
  const lines = ["| Scope | Method | REST path | tRPC | Also needs |", "| --- | --- | --- | --- | --- |"];
  for (const { name, meta } of rows) {
    const rest = meta?.openapi ? `\`/api${meta.openapi.path}\`` : "(tRPC only)";
    const extra = Object.entries(meta?.fieldScopes ?? {})
      .map(
        ([field, rule]) =>
          `\`${rule.scope}\` to send \`${field}\`${rule.values ? ` as ${rule.values.join(" or ")}` : ""}`,
      )
      .join("; ");
    lines.push(
      `| ${meta?.scope ? `\`${meta.scope}\`` : "none (public)"} | ${meta?.openapi?.method ?? "-"} | ${rest} | \`${name}\` | ${extra || "-"} |`,
    );
  }
  return lines.join("\n");
}
