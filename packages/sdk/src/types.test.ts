import { describe, expectTypeOf, it } from "vitest";
import {
  createUsersClient,
  isUsersServiceError,
  type RouterInputs,
  type RouterOutputs,
  type User,
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
      | "import"
    >();
    expectTypeOf<keyof RouterInputs["users"]["auth"]>().toEqualTypeOf<"check" | "code">();
    expectTypeOf<keyof RouterInputs["users"]["auth"]["code"]>().toEqualTypeOf<"request" | "verify">();
    expectTypeOf<keyof RouterInputs["users"]["password"]>().toEqualTypeOf<
      "forgot" | "reset" | "change" | "strength"
    >();
    expectTypeOf<keyof RouterInputs["users"]["mfa"]>().toEqualTypeOf<
      "enable" | "confirm" | "qr" | "disable"
    >();
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

  it("types the client's methods and narrows errors to the code union", () => {
    const client = createUsersClient({ url: "http://127.0.0.1:1", apiKey: "k" });
    expectTypeOf(client.users.byId.query).parameter(0).toEqualTypeOf<{ id: string }>();
    expectTypeOf(client.users.password.reset.mutate).returns.resolves.toEqualTypeOf<{ message: string }>();
    const error: unknown = new Error("x");
    if (isUsersServiceError(error)) {
      expectTypeOf(error.code).toEqualTypeOf<UsersServiceErrorCode>();
      expectTypeOf(error.status).toEqualTypeOf<number | undefined>();
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
