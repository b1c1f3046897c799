import { type inferProcedureOutput, initTRPC } from "@trpc/server";
import { describe, expectTypeOf, it } from "vitest";
import {
  type AppRouter,
  type CallOptions,
  createUsersClient,
  isUsersServiceError,
  type ProcedureAt,
  type ProcedurePath,
  type ResourceMap,
  type RouterInputs,
  type RouterOutputs,
  type resourceMap,
  type User,
  type UsersClient,
  type UsersServiceErrorCode,
} from "./index";

// Compile-time checks (the SDK's `typecheck` task fails when one breaks); vitest runs them too.
describe("SDK types", () => {
  it("exposes every procedure of the router, grouped as the router is", () => {
    expectTypeOf<keyof RouterInputs["users"]>().toEqualTypeOf<
      | "health"
      | "live"
      | "create"
      | "activate"
      | "resendActivation"
      | "byIdentifier"
      | "byId"
      | "deleteById"
      | "deleteByIdentifier"
      | "list"
      | "update"
      | "email"
      | "auth"
      | "password"
      | "mfa"
      | "passkeys"
      | "import"
      | "events"
      | "webhooks"
    >();
    expectTypeOf<keyof RouterInputs["users"]["auth"]>().toEqualTypeOf<"check" | "code">();
    expectTypeOf<keyof RouterInputs["users"]["auth"]["code"]>().toEqualTypeOf<"request" | "verify">();
    expectTypeOf<keyof RouterInputs["users"]["password"]>().toEqualTypeOf<
      "forgot" | "reset" | "change" | "strength"
    >();
    expectTypeOf<keyof RouterInputs["users"]["mfa"]>().toEqualTypeOf<
      "enable" | "confirm" | "qr" | "disable"
    >();
    expectTypeOf<keyof RouterInputs["users"]["passkeys"]>().toEqualTypeOf<
      | "registrationOptions"
      | "register"
      | "authenticationOptions"
      | "authenticate"
      | "list"
      | "rename"
      | "remove"
    >();
  });

  it("types the passkey ceremonies: the browser's JSON in, the user out like auth.check", () => {
    expectTypeOf<RouterOutputs["users"]["passkeys"]["authenticate"]>().toEqualTypeOf<User>();
    expectTypeOf<RouterInputs["users"]["passkeys"]["authenticate"]["response"]["response"]>().toEqualTypeOf<{
      clientDataJSON: string;
      authenticatorData: string;
      signature: string;
      userHandle?: string | undefined;
    }>();
    expectTypeOf<RouterOutputs["users"]["passkeys"]["list"]["passkeys"][number]>().toEqualTypeOf<{
      id: string;
      name: string;
      created_at: string;
      last_used_at: string | null;
      transports: string[];
      device_type: "singleDevice" | "multiDevice";
      backed_up: boolean;
    }>();
  });

  it("types the login-code and password-strength procedures (issue 18)", () => {
    expectTypeOf<RouterInputs["users"]["auth"]["code"]["request"]>().toEqualTypeOf<{ identifier: string }>();
    expectTypeOf<RouterOutputs["users"]["auth"]["code"]["verify"]>().toEqualTypeOf<User>();
    expectTypeOf<RouterOutputs["users"]["password"]["strength"]>().toEqualTypeOf<{
      score: number;
      min_score: number;
      acceptable: boolean;
      warning: string | null;
      suggestions: string[];
    }>();
    expectTypeOf<
      "WEAK_PASSWORD" | "INVALID_LOGIN_CODE" | "LOGIN_CODES_DISABLED"
    >().toExtend<UsersServiceErrorCode>();
    expectTypeOf<keyof RouterInputs["users"]["events"]>().toEqualTypeOf<"list">();
    expectTypeOf<keyof RouterInputs["users"]["webhooks"]>().toEqualTypeOf<
      "create" | "list" | "byId" | "update" | "delete" | "rotateSecret" | "test" | "deliveries"
    >();
  });

  it("types the audit trail and webhook management from the catalogue", () => {
    type Event = RouterOutputs["users"]["events"]["list"]["items"][number];
    expectTypeOf<Event["type"]>().toEqualTypeOf<
      RouterInputs["users"]["webhooks"]["create"]["event_types"][number] | "webhook.test"
    >();
    expectTypeOf<Event["actor"]>().toEqualTypeOf<string | null>();
    expectTypeOf<RouterOutputs["users"]["webhooks"]["create"]["secret"]>().toEqualTypeOf<string>();
    expectTypeOf<RouterOutputs["users"]["webhooks"]["byId"]>().not.toHaveProperty("secret");
  });

  it("infers inputs and outputs from the server's schemas", () => {
    expectTypeOf<RouterInputs["users"]["create"]>().toEqualTypeOf<{
      username: string;
      first_name: string;
      last_name: string;
      email: string;
      password: string;
      password_confirmation: string;
      gender: "Male" | "Female" | "Other" | "Unspecified";
      role?: "user" | "admin" | undefined;
      locale?: string | undefined;
    }>();
    expectTypeOf<User>().toEqualTypeOf<{
      id: string;
      username: string;
      first_name: string;
      last_name: string;
      email: string;
      gender: "Male" | "Female" | "Other" | "Unspecified";
      role: "user" | "admin";
      is_active: boolean;
      mfa_enabled: boolean;
      locale: string | null;
      created_at: string;
      updated_at: string;
    }>();
    expectTypeOf<RouterOutputs["users"]["create"]>().toEqualTypeOf<User>();
    expectTypeOf<RouterOutputs["users"]["activate"]>().toEqualTypeOf<User>();
    expectTypeOf<RouterOutputs["users"]["byIdentifier"]>().toEqualTypeOf<User>();
    expectTypeOf<RouterOutputs["users"]["auth"]["check"]>().toEqualTypeOf<User>();
    expectTypeOf<RouterOutputs["users"]["mfa"]["disable"]>().toEqualTypeOf<User>();
    expectTypeOf<RouterInputs["users"]["auth"]["check"]>().toEqualTypeOf<{
      identifier: string;
      password: string;
      totp_code?: string | undefined;
    }>();
    expectTypeOf<RouterOutputs["users"]["mfa"]["enable"]>().toEqualTypeOf<{
      qr_code: string;
      otpauth_url: string;
      secret: string;
    }>();
    expectTypeOf<RouterOutputs["users"]["mfa"]["confirm"]>().toEqualTypeOf<{ recovery_codes: string[] }>();
    expectTypeOf<RouterOutputs["users"]["health"]>().toEqualTypeOf<{
      status: "ok" | "unavailable";
      database: "up" | "down";
      outbox: { pending: number; oldest_pending_seconds: number | null } | null;
    }>();
    // Activation and email confirmation take the code or the emailed link's token.
    expectTypeOf<{ token: string }>().toExtend<RouterInputs["users"]["activate"]>();
    expectTypeOf<{ identifier: string; code: string }>().toExtend<RouterInputs["users"]["activate"]>();
    expectTypeOf<{ token: string }>().toExtend<RouterInputs["users"]["email"]["confirm"]>();
    expectTypeOf<{ id: string; code: string }>().toExtend<RouterInputs["users"]["email"]["confirm"]>();
    expectTypeOf<keyof RouterInputs["users"]["email"]>().toEqualTypeOf<"change" | "confirm" | "revert">();
    expectTypeOf<RouterInputs["users"]["email"]["revert"]>().toEqualTypeOf<{ token: string }>();
    expectTypeOf<RouterOutputs["users"]["email"]["revert"]>().toEqualTypeOf<User>();
    // Sensitive changes need the current password (and the second factor with MFA on).
    expectTypeOf<RouterInputs["users"]["email"]["change"]>().toEqualTypeOf<{
      id: string;
      new_email: string;
      current_password: string;
      totp_code?: string | undefined;
    }>();
    expectTypeOf<RouterInputs["users"]["mfa"]["enable"]>().toEqualTypeOf<{
      id: string;
      current_password: string;
    }>();
    expectTypeOf<RouterInputs["users"]["mfa"]["disable"]>().toEqualTypeOf<{
      id: string;
      current_password: string;
      code: string;
    }>();
    for (const name of ["resendActivation", "deleteById", "deleteByIdentifier"] as const) {
      expectTypeOf<RouterOutputs["users"][typeof name]>().toEqualTypeOf<{ message: string }>();
    }
  });

  it("types the resource methods: plain async functions with the procedures' inputs and outputs", () => {
    const client = createUsersClient({ url: "http://127.0.0.1:1", apiKey: "k" });
    expectTypeOf(client.auth.check).parameter(0).toEqualTypeOf<RouterInputs["users"]["auth"]["check"]>();
    expectTypeOf(client.auth.check).returns.resolves.toEqualTypeOf<User>();
    // A single-key lookup takes the key alone, or the object.
    expectTypeOf(client.users.getById).parameter(0).toEqualTypeOf<{ id: string } | string>();
    expectTypeOf(client.users.getByIdentifier).parameter(0).toEqualTypeOf<{ identifier: string } | string>();
    expectTypeOf(client.password.reset).returns.resolves.toEqualTypeOf<{ message: string }>();
    expectTypeOf<undefined>().toExtend<Parameters<typeof client.health.live>[0]>();
    expectTypeOf(client.users.list).returns.resolves.toEqualTypeOf<RouterOutputs["users"]["list"]>();
    // Auto-pagination yields users; its filters are the list's, without cursor and page size.
    expectTypeOf(client.users.listAll).returns.toEqualTypeOf<AsyncIterableIterator<User>>();
    expectTypeOf<{ q: string; role: "admin" }>().toExtend<Parameters<typeof client.users.listAll>[0]>();
    expectTypeOf<{ cursor: string }>().not.toExtend<Parameters<typeof client.users.listAll>[0]>();
    // Per-call options on every method.
    expectTypeOf(client.users.create).parameter(1).toEqualTypeOf<CallOptions | undefined>();
    // The raw tRPC client stays available.
    expectTypeOf(client.trpc.users.byId.query).parameter(0).toEqualTypeOf<{ id: string }>();
    expectTypeOf(client.trpc.users.password.reset.mutate).returns.resolves.toEqualTypeOf<{
      message: string;
    }>();
    // @ts-expect-error only the mapped names exist: byId is getById on the client
    expectTypeOf(client.users.byId).toBeFunction();
  });

  it("has a resource method for every procedure of the router, with its output", () => {
    type Path = ProcedurePath<AppRouter>;
    type MethodAt<TName> = TName extends `${infer R extends keyof UsersClient}.${infer N}`
      ? N extends keyof UsersClient[R]
        ? UsersClient[R][N]
        : undefined
      : undefined;
    /** The procedures without a method returning their output (must be none). */
    type Missing = {
      [P in Path]: MethodAt<(typeof resourceMap)[P]["method"]> extends (
        ...args: never[]
      ) => Promise<infer TOutput>
        ? [TOutput] extends [inferProcedureOutput<ProcedureAt<AppRouter, P>>]
          ? never
          : P
        : P;
    }[Path];
    expectTypeOf<Missing>().toEqualTypeOf<never>();
    expectTypeOf<Path>().toExtend<keyof typeof resourceMap>();
    expectTypeOf<"users.auth.check" | "users.byId" | "users.mfa.qr">().toExtend<Path>();
  });

  it("fails to compile a resource map that misses a procedure or gets its type wrong", () => {
    const t = initTRPC.create();
    const router = t.router({
      users: t.router({
        byId: t.procedure.input((v: unknown) => v as { id: string }).query(() => "x"),
        audit: t.router({ list: t.procedure.query(() => []) }),
      }),
    });
    type Router = typeof router;
    expectTypeOf<ProcedurePath<Router>>().toEqualTypeOf<"users.byId" | "users.audit.list">();
    const complete = {
      "users.byId": { method: "users.getById", type: "query", shorthand: "id" },
      "users.audit.list": { method: "audit.list", type: "query" },
    } as const satisfies ResourceMap<Router>;
    expectTypeOf(complete).toBeObject();
    // A new procedure (here users.audit.list) without its line is a compile error.
    const missing = {
      "users.byId": { method: "users.getById", type: "query" },
    } as const;
    // @ts-expect-error users.audit.list has no resource method
    expectTypeOf(missing).toExtend<ResourceMap<Router>>();
    // So is a mutation called as a query, or a shorthand that is not an input field.
    expectTypeOf<{ method: "users.getById"; type: "mutation" }>().not.toExtend<
      ResourceMap<Router>["users.byId"]
    >();
    expectTypeOf<{ method: "users.getById"; type: "query"; shorthand: "nope" }>().not.toExtend<
      ResourceMap<Router>["users.byId"]
    >();
    // Pagination only where the output is a page.
    expectTypeOf<{ method: "audit.list"; type: "query"; paginate: true }>().not.toExtend<
      ResourceMap<Router>["users.audit.list"]
    >();
  });

  it("narrows errors to the code union", () => {
    const error: unknown = new Error("x");
    if (isUsersServiceError(error)) {
      expectTypeOf(error.code).toEqualTypeOf<UsersServiceErrorCode>();
      expectTypeOf(error.status).toEqualTypeOf<number | undefined>();
      expectTypeOf(error.requestId).toEqualTypeOf<string | undefined>();
    }
    if (isUsersServiceError(error, "USERNAME_TAKEN"))
      expectTypeOf(error.code).toEqualTypeOf<"USERNAME_TAKEN">();
    expectTypeOf<"USERNAME_TAKEN">().toExtend<UsersServiceErrorCode>();
    expectTypeOf<"PASSWORD_RESET_REQUIRED">().toExtend<UsersServiceErrorCode>();
    expectTypeOf<"NOT_A_CODE">().not.toExtend<UsersServiceErrorCode>();
    if (isUsersServiceError(error, "INSUFFICIENT_SCOPE"))
      expectTypeOf(error.requiredScope).toEqualTypeOf<
        "users:read" | "users:write" | "auth" | "admin" | undefined
      >();
  });
});
