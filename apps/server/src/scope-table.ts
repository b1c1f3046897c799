import type { UseCases } from "@usersvc/core";
import { renderScopeTable } from "./openapi-scopes";
import { createAppRouter } from "./router";

/** Where the table of routes by scope lives, from the repository root. */
export const scopeTableFile = "docs/integration.md";
const start = "<!-- scopes:start (generated: pnpm --filter @usersvc/server docs:scopes) -->";
const end = "<!-- scopes:end -->";

/** The router with no service behind it: enough to read every procedure's meta. */
export function stubRouter() {
  const useCases = new Proxy({} as UseCases, { get: () => () => Promise.reject(new Error("stub")) });
  return createAppRouter({ health: { check: () => Promise.reject(new Error("stub")) }, useCases });
}

/** The table between the markers of `text`; null when the markers are missing. */
export function scopeTableOf(text: string): string | null {
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  return from < 0 || to < from ? null : text.slice(from + start.length, to).trim();
}

/** `text` with the table between its markers replaced by the router's (appended when missing). */
export function withScopeTable(text: string, procedures: Record<string, unknown>): string {
  const table = `${start}\n\n${renderScopeTable(procedures)}\n\n${end}`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  return from < 0 || to < from
    ? `${text}\n${table}\n`
    : `${text.slice(0, from)}${table}${text.slice(to + end.length)}`;
}
