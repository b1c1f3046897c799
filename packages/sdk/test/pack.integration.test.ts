import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "@usersvc/local-stack";
import { startTestServer } from "@usersvc/server/testing";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const exec = promisify(execFile);
const sdkDir = path.resolve(import.meta.dirname, "..");
const localPnpm = path.join(repoRoot, ".tools/pnpm/node_modules/.bin/pnpm");
const pnpm = existsSync(localPnpm) ? localPnpm : "pnpm";
const tsc = path.join(repoRoot, "node_modules/typescript/bin/tsc");
const trpcVersion = (
  JSON.parse(readFileSync(path.join(sdkDir, "package.json"), "utf8")) as {
    devDependencies: Record<string, string>;
  }
).devDependencies["@trpc/client"];

/** The SDK as a consumer gets it: `pnpm pack`, installed with its peers only, outside the workspace. */
describe("SDK package, as a consumer sees it", () => {
  const project = mkdtempSync(path.join(os.tmpdir(), "sdk-consumer-"));

  beforeAll(async () => {
    // Build (turbo: cached when up to date; the SDK's types come from the server's build),
    // then pack exactly that build.
    await exec(
      pnpm,
      ["exec", "turbo", "run", "build", "--filter=@usersvc/sdk", "--output-logs=errors-only"],
      {
        cwd: repoRoot,
        env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" },
      },
    );
    await exec(pnpm, ["pack", "--pack-destination", project], { cwd: sdkDir });
    const [packed] = (await exec("sh", ["-c", `ls ${project}/*.tgz`])).stdout.trim().split("\n");
    const catalog = readFileSync(path.join(repoRoot, "pnpm-workspace.yaml"), "utf8");
    const peer = /"@trpc\/client": (\S+)/.exec(catalog)?.[1] ?? trpcVersion;
    writeFileSync(
      path.join(project, "package.json"),
      JSON.stringify({ name: "consumer", private: true, type: "module" }),
    );
    await exec(
      "npm",
      [
        "install",
        "--no-audit",
        "--no-fund",
        "--no-package-lock",
        packed ?? "",
        `@trpc/client@${peer}`,
        `@trpc/server@${peer}`,
      ],
      { cwd: project, env: { ...process.env, npm_config_update_notifier: "false" } },
    );
    cpSync(path.join(import.meta.dirname, "consumer"), project, { recursive: true });
    writeFileSync(
      path.join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          skipLibCheck: false,
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          lib: ["ES2022", "DOM", "ESNext.Disposable"],
          types: [],
          outDir: "out",
        },
        files: ["usage.ts", "usage.cts"],
      }),
    );
  }, 180_000);

  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it("installs with its peers only: no zod, mongoose or server code comes along", () => {
    for (const name of ["zod", "mongoose", "trpc-to-openapi", "@usersvc/server", "@usersvc/core"]) {
      expect(existsSync(path.join(project, "node_modules", name)), name).toBe(false);
    }
    const manifest = JSON.parse(
      readFileSync(path.join(project, "node_modules/@usersvc/sdk/package.json"), "utf8"),
    );
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(JSON.stringify(manifest)).not.toMatch(/workspace:|catalog:/);
  });

  it("type-checks a usage file with skipLibCheck off (and a wrong call fails to compile)", async () => {
    const compiled = await exec(process.execPath, [tsc, "-p", "tsconfig.json", "--listFiles"], {
      cwd: project,
    });
    // ESM and CommonJS consumers each got their own declarations.
    expect(compiled.stdout).toMatch(/@usersvc\/sdk\/dist\/index\.d\.ts$/m);
    expect(compiled.stdout).toMatch(/@usersvc\/sdk\/dist\/index\.d\.cts$/m);
    // Without its @ts-expect-error, the deliberately wrong call is a compile error.
    const usage = readFileSync(path.join(project, "usage.ts"), "utf8");
    writeFileSync(path.join(project, "usage.ts"), usage.replace(/\/\/ @ts-expect-error.*\n/, ""));
    const failed = await exec(process.execPath, [tsc, "-p", "tsconfig.json", "--noEmit"], {
      cwd: project,
    }).catch((error: { stdout: string }) => error);
    expect("stdout" in failed ? failed.stdout : "").toMatch(/usage\.ts\(\d+,\d+\): error TS2322/);
    writeFileSync(path.join(project, "usage.ts"), usage);
  }, 60_000);

  it("runs against a live server, and verifies a webhook, from ESM and CJS", async () => {
    await using server = await startTestServer();
    // A delivery as a Standard Webhooks sender makes it, signed by the reference library.
    const secret = `whsec_${Buffer.from("pack-test-secret-0123456789abcdef").toString("base64")}`;
    const body = JSON.stringify({
      id: "msg_pack",
      type: "user.registered",
      version: 1,
      timestamp: new Date().toISOString(),
      data: { user_id: "63a1f1234abc5678def12345", user: null, details: {} },
    });
    const now = new Date();
    const headers = {
      "webhook-id": "msg_pack",
      "webhook-timestamp": String(Math.floor(now.getTime() / 1_000)),
      "webhook-signature": new Webhook(secret).sign("msg_pack", now, body),
    };
    const delivery = JSON.stringify({ body, headers, secret });
    const esm = await exec(process.execPath, ["run.mjs", server.url, server.apiKey, delivery], {
      cwd: project,
    });
    expect(esm.stdout.trim()).toBe(
      "health:up created:false conflict:409 wrong-call-rejected webhook:user.registered:- tampered:refused:INVALID_SIGNATURE dual:true:true",
    );
    const cjs = await exec(process.execPath, ["run.cjs", server.url, server.apiKey, delivery], {
      cwd: project,
    });
    expect(cjs.stdout.trim()).toBe(
      "cjs live:ok error:true:INVALID_API_KEY webhook:user.registered refused:true:INVALID_SIGNATURE",
    );
  }, 60_000);
});
