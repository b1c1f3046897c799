/**
 * `pnpm --filter @usersvc/server docs:scopes`: rewrites the table of routes by scope in
 * docs/integration.md from the router (the unit test `scope-table.test.ts` fails while the
 * file and the router disagree).
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { scopeTableFile, stubRouter, withScopeTable } from "../src/scope-table";

const file = path.resolve(import.meta.dirname, "../../..", scopeTableFile);
writeFileSync(file, withScopeTable(readFileSync(file, "utf8"), stubRouter()._def.procedures));
process.stdout.write(`${scopeTableFile}: table of routes by scope rewritten\n`);
