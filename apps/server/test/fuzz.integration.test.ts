import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "@usersvc/local-stack";
import { describe, expect, it } from "vitest";
import { startTestServer } from "./harness";

const exec = promisify(execFile);
const schemathesis = path.join(repoRoot, ".tools/venv/bin/schemathesis");

describe("API fuzzing (schemathesis, every check but one and every phase, stateful included, fixed seed)", () => {
  it("finds no server error, no undocumented status and no response outside the spec", async () => {
    if (!existsSync(schemathesis))
      throw new Error("schemathesis is missing: run scripts/check.sh (it installs it)");
    // No background work: the webhooks it subscribes point at made-up hosts, which must not be
    // resolved or called (the network is loopback only).
    await using server = await startTestServer(
      {
        LOGIN_MAX_FAILURES: "1000",
        MFA_MAX_FAILURES: "1000",
        LOGIN_MAX_FAILURES_PER_DAY: "1000",
        MFA_MAX_FAILURES_PER_DAY: "1000",
      },
      { worker: false },
    );
    const result = await exec(
      schemathesis,
      [
        "run",
        `${server.url}/api/openapi.json`,
        "--url",
        `${server.url}/api`,
        "--checks",
        "all",
        // ST302 ("created resource not found") misfires on our body-only operations under
        // /users (PATCH /users/id, /users/mfa/enable, /users/email/change, ...): schemathesis
        // applies a link's body fields by a coin flip, and with no query parameter to check
        // it still counts the 404 of an unlinked, generated id as the created user missing.
        // Reading a created user back (GET /users/id, by query parameter) is covered by the
        // stateful links and by the integration tests.
        "--exclude-checks",
        "ensure_resource_availability",
        "--no-color",
      ],
      {
        cwd: path.join(import.meta.dirname, "fuzz"), // its schemathesis.toml
        env: {
          ...process.env,
          USERS_API_KEY: server.apiKey,
          SCHEMATHESIS_TELEMETRY: "false",
          SCHEMATHESIS_HOOKS: "hooks", // hooks.py, beside schemathesis.toml
          PYTHONPATH: path.join(import.meta.dirname, "fuzz"),
        },
        maxBuffer: 64 * 1024 * 1024,
      },
    ).catch((error: { stdout?: string; stderr?: string }) => ({
      stdout: error.stdout ?? "",
      stderr: error.stderr ?? "",
      failed: true,
    }));
    const output = `${result.stdout}\n${result.stderr}`;
    expect("failed" in result, output.slice(-6_000)).toBe(false);
    expect(output).toMatch(/\d+ generated/);
    // The stateful phase chained calls through the document's OpenAPI links (openapi-links.ts).
    const covered = Number(/API Links:\s+(\d+) covered/.exec(output)?.[1] ?? 0);
    console.info(`schemathesis stateful: ${/API Links:.*$/m.exec(output)?.[0] ?? "no links line"}`);
    expect(covered, output.slice(-6_000)).toBeGreaterThanOrEqual(8);
  }, 300_000);
});
