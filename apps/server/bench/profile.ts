/**
 * `pnpm --filter @usersvc/server bench:profile [--target rest|trpc|batch|login] [--duration 8]`:
 * a V8 CPU profile of the built service (`node --cpu-prof dist/main.js`) under one kind of
 * load on its own FerretDB, printed as the functions and packages with the most self time.
 * Where the benchmark's ratios come from; the .cpuprofile is kept for a flame graph
 * (Chrome DevTools or speedscope).
 */
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { freePort, startLocalDatabase, startLocalMailServer } from "@usersvc/local-stack";
import autocannon from "autocannon";
import { measuredEnv, startMeasured } from "../scripts/measured-server";
import { seedUsers } from "./seed";

const { values } = parseArgs({
  options: {
    target: { type: "string", default: "rest" },
    duration: { type: "string", default: "8" },
    top: { type: "string", default: "25" },
  },
});
await using db = await startLocalDatabase();
await using mail = await startLocalMailServer();
const { apiKey, env } = measuredEnv({ db, mail, dbName: "profile" });
const password = "Bench-password-1";
const { ids } = await seedUsers(db.uri, "profile", 2_000, password);
const hexIds = ids.map((id) => id.toHexString());
const dir = mkdtempSync(path.join(os.tmpdir(), "cpuprofile-"));
const port = await freePort();
const server = await startMeasured(["--cpu-prof", `--cpu-prof-dir=${dir}`, "dist/main.js"], port, env);
let next = 0;
const someId = () => hexIds[next++ % hexIds.length] ?? "";
const paths: Record<string, () => string> = {
  rest: () => `/api/users/id?id=${someId()}`,
  trpc: () => `/trpc/users.byId?input=${encodeURIComponent(JSON.stringify({ id: someId() }))}`,
  batch: () =>
    `/trpc/users.byId,users.byId,users.byId,users.byId?batch=1&input=${encodeURIComponent(
      JSON.stringify({ 0: { id: someId() }, 1: { id: someId() }, 2: { id: someId() }, 3: { id: someId() } }),
    )}`,
};
const login = values.target === "login";
const result = await autocannon({
  url: `http://127.0.0.1:${port}`,
  connections: login ? 8 : 50,
  duration: Number(values.duration),
  headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
  requests: [
    login
      ? {
          method: "POST",
          path: "/api/users/auth/check",
          setupRequest: (request) => ({
            ...request,
            body: JSON.stringify({ identifier: `bench_${next++ % hexIds.length}`, password }),
          }),
        }
      : {
          method: "GET",
          setupRequest: (request) => ({ ...request, path: (paths[values.target] ?? paths.rest)?.() }),
        },
  ],
});
server.kill("SIGTERM");
await new Promise((resolve) => server.once("exit", resolve));
console.log(`${values.target}: ${Math.round(result.requests.average)} req/s, ${result.non2xx} non-2xx`);

type Node = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
};
const file = readdirSync(dir).find((name) => name.endsWith(".cpuprofile"));
if (!file) throw new Error(`no profile written in ${dir}`);
const profile = JSON.parse(readFileSync(path.join(dir, file), "utf8")) as {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
};
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) => {
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);
const packageOf = (url: string) => {
  const match = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1] ?? url;
  if (url.startsWith("node:")) return "node (core)";
  if (url === "") return "(native, gc, idle)";
  return "service";
};
const sum = (key: (node: Node) => string) => {
  const totals = new Map<string, number>();
  for (const [id, micros] of self) {
    const node = byId.get(id);
    if (node) totals.set(key(node), (totals.get(key(node)) ?? 0) + micros);
  }
  return [...totals].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top));
};
const pct = (micros: number) => `${((micros / total) * 100).toFixed(1)}%`;
console.log("\nself time by package:");
for (const [name, micros] of sum((node) => packageOf(node.callFrame.url)))
  console.log(`  ${pct(micros).padStart(6)}  ${name}`);
console.log("\nself time by function:");
for (const [name, micros] of sum(
  (node) =>
    `${node.callFrame.functionName || "(anonymous)"} ${packageOf(node.callFrame.url)} ${path.basename(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`,
))
  console.log(`  ${pct(micros).padStart(6)}  ${name}`);
console.log(`\nprofile: ${path.join(dir, file)}`);
