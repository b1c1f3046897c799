import type { AnyProcedure, AnyRouter, inferProcedureInput, inferProcedureOutput } from "@trpc/server";
import type { AppRouter as ServerRouter } from "@usersvc/server";
import type { CallOptions } from "./retry";
import type { Router } from "./router";

/**
 * Every procedure of a router as `{ path, procedure }`, e.g.
 * `{ path: "users.auth.check"; procedure: ... }` (nested routers flattened with dots).
 */
type ProcedureEntries<TRecord, TPrefix extends string, TDepth extends unknown[]> = TDepth["length"] extends 4
  ? never
  : {
      [K in keyof TRecord & string]: TRecord[K] extends AnyProcedure
        ? { path: `${TPrefix}${K}`; procedure: TRecord[K] }
        : TRecord[K] extends object
          ? ProcedureEntries<TRecord[K], `${TPrefix}${K}.`, [...TDepth, unknown]>
          : never;
    }[keyof TRecord & string];

type EntriesOf<TRouter extends AnyRouter> = ProcedureEntries<TRouter["_def"]["record"], "", []>;

/** The tRPC path of every procedure of a router: `"users.create" | "users.auth.check" | ...`. */
export type ProcedurePath<TRouter extends AnyRouter> =
  EntriesOf<TRouter> extends infer E ? (E extends { path: infer P extends string } ? P : never) : never;

/** The procedure at a tRPC path. */
export type ProcedureAt<TRouter extends AnyRouter, TPath> =
  EntriesOf<TRouter> extends infer E
    ? E extends { path: TPath; procedure: infer TProcedure extends AnyProcedure }
      ? TProcedure
      : never
    : never;

/** One page of a cursor-paginated list, as the service answers it. */
export type Page<TItem> = { items: TItem[]; next_cursor: string | null };

/**
 * How one procedure appears on the client: a line of {@link resourceMap}.
 * - `method`: `"<resource>.<name>"`, the method's place on the client (`client.users.getById`).
 * - `type`: `"query"` or `"mutation"`, exactly the procedure's own (checked against the router).
 * - `shorthand`: the one input field that may be passed alone (`getById(id)` for `getById({ id })`).
 * - `paginate`: `true` adds `<name>All`, an async iterator over every page (only allowed for
 *   procedures that take a `cursor` and answer `{ items, next_cursor }`).
 */
export type ResourceSpec<TProcedure extends AnyProcedure> = {
  method: `${string}.${string}`;
  type: TProcedure["_def"]["type"];
  shorthand?: keyof NonNullable<inferProcedureInput<TProcedure>> & string;
  paginate?: inferProcedureOutput<TProcedure> extends Page<unknown>
    ? "cursor" extends keyof NonNullable<inferProcedureInput<TProcedure>>
      ? true
      : never
    : never;
};

/**
 * The shape a resource map must have: exactly one line per procedure of the router. A
 * procedure without a line, a line for no procedure, or a wrong `type` fails to compile.
 */
export type ResourceMap<TRouter extends AnyRouter> = {
  [P in ProcedurePath<TRouter>]: ResourceSpec<ProcedureAt<TRouter, P>>;
};

/**
 * Where each procedure of the service lives on the client: one line per procedure, checked
 * against the router's types (see {@link ResourceMap}). The rules, decided once:
 * - a procedure of a nested router `users.<group>.<name>` becomes `client.<group>.<name>`
 *   (`users.auth.check` -> `client.auth.check`, `users.mfa.enable` -> `client.mfa.enable`);
 * - a procedure directly under `users` becomes `client.users.<name>`, lookups spelled
 *   `get...` (`users.byId` -> `client.users.getById`);
 * - the health probes are `client.health.check()` and `client.health.live()`;
 * - a single-key lookup or deletion takes that key alone (`getById(id)`,
 *   `getByIdentifier(identifier)`), or the object;
 * - a cursor-paged list gets `<name>All` (`client.users.listAll(filters)`,
 *   `client.events.listAll(filters)`, `client.webhooks.deliveriesAll({ id })`);
 * - a procedure of a router nested one level deeper, `users.<group>.<sub>.<verb>`, stays in
 *   its group as `<verb><Sub>` (`users.auth.code.request` -> `client.auth.requestCode`);
 * - a lookup by id inside a group is `get` (`users.webhooks.byId` -> `client.webhooks.get(id)`).
 *
 * A new procedure on the server fails the SDK's type check until it has its line here.
 */
export const resourceMap = {
  "users.health": { method: "health.check", type: "query" },
  "users.live": { method: "health.live", type: "query" },
  "users.create": { method: "users.create", type: "mutation" },
  "users.activate": { method: "users.activate", type: "mutation" },
  "users.resendActivation": { method: "users.resendActivation", type: "query", shorthand: "identifier" },
  "users.byIdentifier": { method: "users.getByIdentifier", type: "query", shorthand: "identifier" },
  "users.byId": { method: "users.getById", type: "query", shorthand: "id" },
  "users.deleteById": { method: "users.deleteById", type: "mutation", shorthand: "id" },
  "users.deleteByIdentifier": {
    method: "users.deleteByIdentifier",
    type: "mutation",
    shorthand: "identifier",
  },
  "users.list": { method: "users.list", type: "query", paginate: true },
  "users.update": { method: "users.update", type: "mutation" },
  "users.import": { method: "users.import", type: "mutation" },
  "users.email.change": { method: "email.change", type: "mutation" },
  "users.email.confirm": { method: "email.confirm", type: "mutation" },
  "users.email.revert": { method: "email.revert", type: "mutation" },
  "users.auth.check": { method: "auth.check", type: "mutation" },
  "users.password.forgot": { method: "password.forgot", type: "mutation" },
  "users.password.reset": { method: "password.reset", type: "mutation" },
  "users.password.change": { method: "password.change", type: "mutation" },
  "users.mfa.enable": { method: "mfa.enable", type: "mutation" },
  "users.mfa.confirm": { method: "mfa.confirm", type: "mutation" },
  "users.mfa.qr": { method: "mfa.qr", type: "query", shorthand: "id" },
  "users.mfa.disable": { method: "mfa.disable", type: "mutation" },
  "users.auth.code.request": { method: "auth.requestCode", type: "mutation", shorthand: "identifier" },
  "users.auth.code.verify": { method: "auth.verifyCode", type: "mutation" },
  "users.password.strength": { method: "password.strength", type: "mutation" },
  "users.passkeys.registrationOptions": { method: "passkeys.registrationOptions", type: "mutation" },
  "users.passkeys.register": { method: "passkeys.register", type: "mutation" },
  "users.passkeys.authenticationOptions": { method: "passkeys.authenticationOptions", type: "mutation" },
  "users.passkeys.authenticate": { method: "passkeys.authenticate", type: "mutation" },
  "users.passkeys.list": { method: "passkeys.list", type: "query", shorthand: "id" },
  "users.passkeys.rename": { method: "passkeys.rename", type: "mutation" },
  "users.passkeys.remove": { method: "passkeys.remove", type: "mutation" },
  "users.events.list": { method: "events.list", type: "query", paginate: true },
  "users.webhooks.create": { method: "webhooks.create", type: "mutation" },
  "users.webhooks.list": { method: "webhooks.list", type: "query" },
  "users.webhooks.byId": { method: "webhooks.get", type: "query", shorthand: "id" },
  "users.webhooks.update": { method: "webhooks.update", type: "mutation" },
  "users.webhooks.delete": { method: "webhooks.delete", type: "mutation", shorthand: "id" },
  "users.webhooks.rotateSecret": { method: "webhooks.rotateSecret", type: "mutation" },
  "users.webhooks.test": { method: "webhooks.test", type: "mutation", shorthand: "id" },
  "users.webhooks.deliveries": { method: "webhooks.deliveries", type: "query", paginate: true },
} as const satisfies ResourceMap<ServerRouter>;

type AnySpec = { method: string; type: string; shorthand?: string; paginate?: true };

type InputOf<TProcedure extends AnyProcedure, TSpec> =
  | inferProcedureInput<TProcedure>
  | (TSpec extends { shorthand: infer S extends keyof NonNullable<inferProcedureInput<TProcedure>> }
      ? NonNullable<inferProcedureInput<TProcedure>>[S]
      : never);

/** A resource method: a plain async function (query or mutation chosen for you). */
export type ResourceMethod<TProcedure extends AnyProcedure, TSpec> =
  undefined extends inferProcedureInput<TProcedure>
    ? (input?: InputOf<TProcedure, TSpec>, options?: CallOptions) => Promise<inferProcedureOutput<TProcedure>>
    : (input: InputOf<TProcedure, TSpec>, options?: CallOptions) => Promise<inferProcedureOutput<TProcedure>>;

/** The options of an auto-paginating `...All` method: call options, a total `limit`, a `pageSize`. */
export type PaginateOptions = CallOptions & {
  /** Stop after this many items in all (default: every item). */
  limit?: number;
  /** Items asked per page (default 100, the service's maximum). */
  pageSize?: number;
};

/** An auto-paginating method: every item of every page, fetched page by page as you iterate. */
export type PaginatingMethod<TProcedure extends AnyProcedure> = (
  filters?: Omit<NonNullable<inferProcedureInput<TProcedure>>, "cursor" | "limit">,
  options?: PaginateOptions,
) => AsyncIterableIterator<inferProcedureOutput<TProcedure> extends Page<infer TItem> ? TItem : never>;

/** The resource methods a map gives: `{ users: { getById, ... }, auth: { check }, ... }`. */
export type Resources<TRouter extends AnyRouter, TMap extends Record<string, AnySpec>> = {
  [R in TMap[keyof TMap]["method"] extends `${infer Resource}.${string}` ? Resource : never]: {
    [P in keyof TMap as TMap[P]["method"] extends `${R}.${infer Name}` ? Name : never]: ResourceMethod<
      ProcedureAt<TRouter, P>,
      TMap[P]
    >;
  } & {
    [P in keyof TMap as TMap[P] extends { paginate: true }
      ? TMap[P]["method"] extends `${R}.${infer Name}`
        ? `${Name}All`
        : never
      : never]: PaginatingMethod<ProcedureAt<TRouter, P>>;
  };
};

/** The resource methods of the users service's client. */
export type UsersResources = Resources<Router, typeof resourceMap>;

/** What a resource method does with its arguments: the tRPC call, with retries and options. */
export type Caller = (
  path: string,
  type: "query" | "mutation",
  input: unknown,
  options: CallOptions | undefined,
) => Promise<unknown>;

/** Builds the resource methods from a map (one function per line) over a caller. */
export function buildResources(
  map: Record<string, AnySpec>,
  call: Caller,
): Record<string, Record<string, unknown>> {
  const resources: Record<string, Record<string, unknown>> = {};
  for (const [path, spec] of Object.entries(map)) {
    const [resource = "", name = ""] = spec.method.split(".");
    const group = resources[resource] ?? {};
    resources[resource] = group;
    const type = spec.type === "query" ? "query" : "mutation";
    const { shorthand } = spec;
    const inputOf = (input: unknown) =>
      shorthand && input !== undefined && (typeof input !== "object" || input === null)
        ? { [shorthand]: input }
        : input;
    const method = (input?: unknown, options?: CallOptions) => call(path, type, inputOf(input), options);
    group[name] = method;
    if (spec.paginate) {
      group[`${name}All`] = (filters?: Record<string, unknown>, options?: PaginateOptions) =>
        paginate(
          (input, callOptions) => method(input, callOptions) as Promise<Page<unknown>>,
          filters,
          options,
        );
    }
  }
  return resources;
}

/**
 * Every item of a cursor-paged list: asks for the next page only when the previous one is
 * used up, and stops after `limit` items (when given) or at the last page.
 */
export async function* paginate<TItem>(
  fetchPage: (input: Record<string, unknown>, options: CallOptions) => Promise<Page<TItem>>,
  filters: Record<string, unknown> = {},
  { limit, pageSize = 100, ...options }: PaginateOptions = {},
): AsyncIterableIterator<TItem> {
  if (limit !== undefined && limit <= 0) return;
  let cursor: string | null | undefined;
  let yielded = 0;
  do {
    const size = limit === undefined ? pageSize : Math.min(pageSize, limit - yielded);
    const page = await fetchPage({ ...filters, limit: size, ...(cursor ? { cursor } : {}) }, options);
    for (const item of page.items) {
      yield item;
      yielded++;
      if (limit !== undefined && yielded >= limit) return;
    }
    cursor = page.next_cursor;
  } while (cursor);
}
