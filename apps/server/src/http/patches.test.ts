/**
 * The library patches of patches/ (why: docs/patches.md) still apply: each test fails on the
 * unpatched library, so a version bump that drops a patch is noticed here, not in `pnpm bench`.
 */
import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { initTRPC } from "@trpc/server";
import { nodeHTTPRequestHandler } from "@trpc/server/adapters/node-http";
import { createOpenApiNodeHttpHandler, type OpenApiMeta } from "trpc-to-openapi";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";

const t = initTRPC.meta<OpenApiMeta>().create();
const router = t.router({
  echo: t.procedure
    .meta({ openapi: { method: "GET", path: "/echo" } })
    .input(z.object({ word: z.string() }))
    .output(z.object({ word: z.string() }))
    .query(({ input }) => ({ word: input.word })),
});

const servers: ReturnType<typeof createServer>[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});
async function serve(listener: RequestListener): Promise<string> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Counts the Fetch `Request`s constructed while `work` runs (the server shares this process). */
async function countRequests(work: () => Promise<void>): Promise<number> {
  const original = globalThis.Request;
  let built = 0;
  globalThis.Request = new Proxy(original, {
    construct(target, args, newTarget) {
      built++;
      return Reflect.construct(target, args, newTarget);
    },
  });
  try {
    await work();
  } finally {
    globalThis.Request = original;
  }
  return built;
}

describe("library patches", () => {
  it("trpc-to-openapi answers a REST call without building a Fetch Request for its abort signal", async () => {
    const handler = createOpenApiNodeHttpHandler({ router });
    const url = await serve((req, res) => void handler(req, res));
    let body: unknown;
    const built = await countRequests(async () => {
      body = await (await fetch(`${url}/echo?word=hi`)).json();
    });
    expect(body).toEqual({ word: "hi" });
    expect(built).toBe(0); // unpatched: one per call
  });

  it("tRPC's node adapter sends a JSON answer whole (Content-Length), not chunked through a stream", async () => {
    const url = await serve(
      (req, res) =>
        void nodeHTTPRequestHandler({ router, req, res, path: (req.url ?? "").slice(1).split("?")[0] ?? "" }),
    );
    const input = encodeURIComponent(JSON.stringify({ word: "hi" }));
    const single = await fetch(`${url}/echo?input=${input}`);
    expect(await single.json()).toEqual({ result: { data: { word: "hi" } } });
    expect(single.headers.get("transfer-encoding")).toBeNull();
    expect(single.headers.get("content-length")).not.toBeNull();
    const batch = await fetch(
      `${url}/echo,echo?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: { word: "a" }, 1: { word: "b" } }))}`,
    );
    expect(await batch.json()).toEqual([
      { result: { data: { word: "a" } } },
      { result: { data: { word: "b" } } },
    ]);
    expect(batch.headers.get("transfer-encoding")).toBeNull();
  });
});
