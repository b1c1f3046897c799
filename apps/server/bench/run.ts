/**
 * `pnpm bench`: the users service against a raw-driver baseline on one local stack, same
 * connections and duration per target, alternating targets to cancel drift. Writes
 * bench/results/<date>.json and .md (with an SVG chart). `--duration` seconds per run
 * (default 10), `--rounds` (default 3); `--duration 2 --rounds 1` is a smoke run.
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { createPasswordHasher, owaspArgon2id } from "@usersvc/core";
import { freePort, startLocalDatabase, startLocalMailServer } from "@usersvc/local-stack";
import autocannon from "autocannon";
import { MongoClient, ObjectId } from "mongodb";
import { measuredEnv, startMeasured } from "../scripts/measured-server";
import { writeReport } from "./report";

const { values } = parseArgs({
  options: { duration: { type: "string", default: "10" }, rounds: { type: "string", default: "3" } },
});
const duration = Number(values.duration);
const rounds = Number(values.rounds);
const connections = 50;

await using db = await startLocalDatabase();
await using mail = await startLocalMailServer();
const { apiKey, env } = measuredEnv({ db, mail, dbName: "bench" });

// Seed 10,000 users straight into the database (argon2 hash computed once).
const hash = await createPasswordHasher(owaspArgon2id).hash("Bench-password-1");
const mongo = await new MongoClient(db.uri).connect();
const ids = Array.from({ length: 10_000 }, () => new ObjectId());
await mongo
  .db("bench")
  .collection("users")
  .insertMany(
    ids.map((_id, i) => ({
      _id,
      username: `bench_${i}`,
      username_key: `bench_${i}`,
      first_name: "Bench",
      first_name_key: "bench",
      last_name: `User${i}`,
      last_name_key: `user${i}`,
      email: `bench.${i}@example.com`,
      email_key: `bench.${i}@example.com`,
      password_hash: hash,
      gender: "Other",
      role: "user",
      is_active: true,
      mfa_enabled: false,
      activation: null,
      created_at: new Date(),
      updated_at: new Date(),
    })),
  );
await mongo.close();

const servicePort = await freePort();
const baselinePort = await freePort();
const service = await startMeasured(["dist/main.js"], servicePort, env);
const baseline = await startMeasured(["--import", "tsx", "bench/baseline.ts"], baselinePort, env);
const hexIds = ids.map((id) => id.toHexString());
let next = 0;
const someId = () => hexIds[next++ % hexIds.length] ?? "";
const auth = { authorization: `Bearer ${apiKey}` };

type Target = { name: string; url: string; path: () => string; lookupsPerRequest: number };
const targets: Target[] = [
  {
    name: "REST",
    url: `http://127.0.0.1:${servicePort}`,
    path: () => `/api/users/id?id=${someId()}`,
    lookupsPerRequest: 1,
  },
  {
    name: "tRPC",
    url: `http://127.0.0.1:${servicePort}`,
    path: () => `/trpc/users.byId?input=${encodeURIComponent(JSON.stringify({ id: someId() }))}`,
    lookupsPerRequest: 1,
  },
  {
    name: "tRPC batch (4)",
    url: `http://127.0.0.1:${servicePort}`,
    path: () =>
      `/trpc/users.byId,users.byId,users.byId,users.byId?batch=1&input=${encodeURIComponent(
        JSON.stringify({
          0: { id: someId() },
          1: { id: someId() },
          2: { id: someId() },
          3: { id: someId() },
        }),
      )}`,
    lookupsPerRequest: 4,
  },
  {
    name: "baseline",
    url: `http://127.0.0.1:${baselinePort}`,
    path: () => `/id?id=${someId()}`,
    lookupsPerRequest: 1,
  },
];

type Run = { rps: number; p50: number; p90: number; p99: number; non2xx: number; errors: number };
const runs = new Map<string, Run[]>(targets.map((t) => [t.name, []]));
const load = (target: Target) =>
  autocannon({
    url: target.url,
    connections,
    duration,
    headers: auth,
    requests: [{ method: "GET", setupRequest: (request) => ({ ...request, path: target.path() }) }],
  });
for (let round = 0; round < rounds; round++) {
  for (const target of round % 2 ? [...targets].reverse() : targets) {
    const result = await load(target);
    runs.get(target.name)?.push({
      rps: result.requests.average * target.lookupsPerRequest,
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors,
    });
    process.stderr.write(`round ${round + 1} ${target.name}: ${Math.round(result.requests.average)} req/s\n`);
  }
}
const mean = (list: number[]) => list.reduce((a, b) => a + b, 0) / Math.max(1, list.length);
const lookups = Object.fromEntries(
  [...runs].map(([name, list]) => [
    name,
    {
      lookups_per_s: mean(list.map((r) => r.rps)),
      p50_ms: mean(list.map((r) => r.p50)),
      p90_ms: mean(list.map((r) => r.p90)),
      p99_ms: mean(list.map((r) => r.p99)),
      non2xx: list.reduce((a, r) => a + r.non2xx, 0),
      errors: list.reduce((a, r) => a + r.errors, 0),
    },
  ]),
);

// auth/check at the configured argon2 parameters, and health while it is saturated.
const hasher = createPasswordHasher(owaspArgon2id);
const samples: number[] = [];
for (let i = 0; i < 20; i++) {
  const started = performance.now();
  await hasher.verify(hash, "Bench-password-1");
  samples.push(performance.now() - started);
}
const singleHashMs = [...samples].sort((a, b) => a - b)[10] ?? Number.NaN;
const cores = os.availableParallelism();
const idealLogins = (cores / singleHashMs) * 1_000;
const [storm, health] = await Promise.all([
  autocannon({
    url: `http://127.0.0.1:${servicePort}`,
    connections: 4 * cores,
    duration,
    headers: { ...auth, "content-type": "application/json" },
    requests: [
      {
        method: "POST",
        path: "/api/users/auth/check",
        setupRequest: (request) => ({
          ...request,
          body: JSON.stringify({ identifier: `bench_${next++ % 10_000}`, password: "Bench-password-1" }),
        }),
      },
    ],
  }),
  autocannon({ url: `http://127.0.0.1:${servicePort}/api/users/health`, connections: 1, duration }),
]);
const peakRssMb =
  Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${service.pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
service.kill("SIGTERM");
baseline.kill("SIGTERM");

const base = lookups.baseline;
const rest = lookups.REST;
const trpc = lookups.tRPC;
const result = {
  date: new Date().toISOString(),
  machine: { cores, cpu: os.cpus()[0]?.model ?? "unknown", node: process.version },
  settings: { connections, duration_s: duration, rounds, users: 10_000, argon2: owaspArgon2id },
  lookups,
  ratios: {
    rest_vs_baseline_throughput: rest && base ? rest.lookups_per_s / base.lookups_per_s : null,
    rest_vs_baseline_p99: rest && base ? rest.p99_ms / base.p99_ms : null,
    trpc_vs_rest_throughput: trpc && rest ? trpc.lookups_per_s / rest.lookups_per_s : null,
  },
  auth_check: {
    single_hash_ms: singleHashMs,
    ideal_per_s: idealLogins,
    measured_per_s: storm.requests.average,
    ratio_to_ideal: storm.requests.average / idealLogins,
    non2xx: storm.non2xx,
  },
  health_during_login_storm: { p99_ms: health.latency.p99, p50_ms: health.latency.p50 },
  server_peak_rss_mb: peakRssMb,
};
const written = writeReport(result);
console.log(JSON.stringify(result, null, 2));
console.log(`written: ${written.join(", ")}`);
