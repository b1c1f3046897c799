import { TRPCError } from "@trpc/server";
import { DomainError } from "@usersvc/core";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { describeError, describeTransportError } from "./errors";

describe("error descriptions", () => {
  it("describes an error once, however many hooks ask", () => {
    const error = new TRPCError({
      code: "TOO_MANY_REQUESTS",
      cause: new DomainError("TOO_MANY_ATTEMPTS", "Too many attempts.", { retryAfterSeconds: 60 }),
    });
    const first = describeError(error);
    expect(first).toEqual({
      code: "TOO_MANY_ATTEMPTS",
      httpStatus: 429,
      message: "Too many attempts.",
      issues: [],
      retryAfterSeconds: 60,
    });
    expect(describeError(error)).toBe(first);
  });

  it("turns input validation into VALIDATION_ERROR with field issues", () => {
    const parsed = z.object({ id: z.string().length(24, "must be 24 characters") }).safeParse({ id: "x" });
    const error = new TRPCError({ code: "BAD_REQUEST", cause: parsed.error });
    expect(describeError(error)).toMatchObject({
      code: "VALIDATION_ERROR",
      httpStatus: 400,
      message: "Invalid input: id: must be 24 characters",
      issues: [{ path: "id", message: "must be 24 characters" }],
    });
  });

  it("hides what an unexpected failure says", () => {
    const error = new TRPCError({
      code: "INTERNAL_SERVER_ERROR",
      cause: new Error("db password is hunter2"),
    });
    const described = describeError(error);
    expect(described).toMatchObject({ code: "INTERNAL_ERROR", httpStatus: 500 });
    expect(described.message).not.toContain("hunter2");
  });

  it("gives transport answers their status from the one code mapping", () => {
    expect(describeTransportError("PAYLOAD_TOO_LARGE", "too big").httpStatus).toBe(413);
    expect(describeTransportError("UNSUPPORTED_MEDIA_TYPE", "json only").httpStatus).toBe(415);
    expect(describeTransportError("METHOD_NOT_ALLOWED", "no").httpStatus).toBe(405);
    expect(describeTransportError("MALFORMED_JSON", "broken").httpStatus).toBe(400);
  });
});
