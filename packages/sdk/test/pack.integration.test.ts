import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "@usersvc/local-stack";
import { createActiveUser, seedUser, startTestServer } from "@usersvc/server/testing";
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
        files: ["usage.ts", "usage.cts", "readme.ts"],
      }),
    );
    // The first example of the README that ships in the tarball must compile as it stands.
    const readme = readFileSync(path.join(project, "node_modules/@usersvc/sdk/README.md"), "utf8");
    const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
    expect(example).toContain("await client.auth.check({ identifier, password })");
    writeFileSync(
      path.join(project, "readme.ts"),
      `declare const process: { env: Record<string, string | undefined> };\n${example}\nexport {};\n`,
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
    }).catch((error: { stdout?: string }) => {
      throw new Error(
        `the consumer does not compile:\n${error.stdout
          ?.split("\n")
          .filter((l) => l.includes("error"))
          .join("\n")}`,
      );
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
    expect("stdout" in failed ? failed.stdout : "").toMatch(/usage\.ts\(\d+,\d+\): error TS(2322|2345|2769)/);
    writeFileSync(path.join(project, "usage.ts"), usage);
  }, 60_000);

  it("runs against a live server from ESM and CJS: resource methods, 250 users paged, a retry after SERVICE_BUSY, a webhook verified", async () => {
    await using server = await startTestServer();
    const account = await createActiveUser(server);
    for (let n = 0; n < 250; n++) {
      await seedUser(server, { username: `page_${n}`, email: `page.${n}@example.com`, password_hash: "x" });
    }
    // A proxy that answers the first login check 503 SERVICE_BUSY (as an overloaded hasher
    // does, before any work) and passes everything else through.
    const seen: string[] = [];
    const proxy = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const first = !seen.includes(req.url ?? "");
      seen.push(req.url ?? "");
      if (first && req.url?.startsWith("/trpc/users.auth.check")) {
        res.writeHead(503, { "content-type": "application/json", "retry-after": "1" });
        res.end(
          JSON.stringify({
            error: {
              message: "Too many password checks are waiting; retry in a second.",
              code: -32603,
              data: { code: "SERVICE_BUSY", httpStatus: 503, retryAfterSeconds: 1 },
            },
          }),
        );
        return;
      }
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === "string"),
      );
      const answer = await fetch(`${server.url}${req.url}`, {
        method: req.method ?? "GET",
        headers,
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      });
      res.writeHead(answer.status, {
        "content-type": answer.headers.get("content-type") ?? "application/json",
      });
      res.end(Buffer.from(await answer.arrayBuffer()));
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const address = proxy.address();
    const busyUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
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
    try {
      const args = [server.url, server.apiKey, account.email, account.password];
      const esm = await exec(process.execPath, ["run.mjs", ...args, busyUrl, delivery], { cwd: project });
      expect(esm.stdout.trim()).toBe(
        "health:up auth:true created:false found:true conflict:409 listed:250 retried:true wrong-call-rejected webhook:user.registered:- tampered:refused:INVALID_SIGNATURE dual:true:true",
      );
      expect(seen.filter((url) => url.startsWith("/trpc/users.auth.check"))).toHaveLength(2);
      const cjs = await exec(process.execPath, ["run.cjs", ...args, delivery], { cwd: project });
      const { version } = JSON.parse(readFileSync(path.join(sdkDir, "package.json"), "utf8")) as {
        version: string;
      };
      expect(cjs.stdout.trim()).toBe(
        `cjs live:ok error:true:INVALID_API_KEY auth:true missing:404 webhook:user.registered refused:true:INVALID_SIGNATURE version:${version}`,
      );
    } finally {
      proxy.close();
    }
  }, 90_000);
});
