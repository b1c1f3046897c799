/**
 * `pnpm bench`: the users service against a raw-driver baseline on one local stack, same
 * connections and duration per target, alternating targets to cancel drift, after an
 * unmeasured warm-up of each. Besides latency and throughput it reads the CPU time each
 * process spent per request (/proc), which stays meaningful when the load generator, the
 * database and the servers share a few cores. Writes bench/results/latest.json and .md
 * (with an SVG chart), replacing the previous report (history lives in git). `--duration` seconds per run (default 10), `--rounds` (default 3),
 * `--warmup` seconds per target (default 3), `--env NAME=value` (repeatable) for the
 * service's settings, e.g. `--env PASSWORD_HASH_CONCURRENCY=1`; `--smoke` is a short run (2 s, 1 round) whose report goes to a
 * temporary folder, for CI to check that the benchmark still runs. `--layers` measures the
 * lookups on the service with each HTTP layer (today's node:http listener, Hono, Fastify;
 * see bench/layer-server.ts) instead of the built service, in the same alternating rounds.
 * `--memory-limit-mb` (default 256, 0 for none) starts the service with the heap flags the
 * image would pick in a container with that limit (src/heap-limit.ts).
 */
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createPasswordHasher, owaspArgon2id } from "@usersvc/core";
import { freePort, startLocalDatabase, startLocalMailServer } from "@usersvc/local-stack";
import autocannon from "autocannon";
import { measuredEnv, startMeasured } from "../scripts/measured-server";
import { heapFlags } from "../src/heap-limit";
import { type LookupResult, writeReport } from "./report";
import { seedUsers } from "./seed";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    rounds: { type: "string", default: "3" },
    warmup: { type: "string", default: "3" },
    env: { type: "string", multiple: true, default: [] },
    smoke: { type: "boolean", default: false },
    layers: { type: "boolean", default: false },
    "memory-limit-mb": { type: "string", default: "256" },
  },
});
const duration = values.smoke ? 2 : Number(values.duration);
const rounds = values.smoke ? 1 : Number(values.rounds);
const warmup = values.smoke ? 1 : Number(values.warmup);
const connections = 50;
const serviceEnv = Object.fromEntries(
  values.env.map((pair) => {
    const at = pair.indexOf("=");
    if (at < 1) throw new Error(`--env wants NAME=value, got '${pair}'`);
    return [pair.slice(0, at), pair.slice(at + 1)];
  }),
);
const users = 10_000;
const loadAtStart = os.loadavg();

await using db = await startLocalDatabase();
await using mail = await startLocalMailServer();
const { apiKey, env } = measuredEnv({ db, mail, dbName: "bench" });

// Seed the users straight into the database (argon2 hash computed once).
const password = "Bench-password-1";
const { hash, ids } = await seedUsers(db.uri, "bench", users, password);

const servicePort = await freePort();
const baselinePort = await freePort();
// Started as the image starts it in a container with this memory limit (0: no limit).
const memoryLimitMb = Number(values["memory-limit-mb"]);
const service = await startMeasured([...heapFlags(memoryLimitMb * 1_048_576), "dist/main.js"], servicePort, {
  ...env,
  ...serviceEnv,
});
const baseline = await startMeasured(["--import", "tsx", "bench/baseline.ts"], baselinePort, env);
// The peers: what a team would write instead of adopting the service (bench/peers/).
const peers: { name: string; port: number; child: Awaited<ReturnType<typeof startMeasured>> }[] = [];
for (const [name, file] of [
  ["Express + mongoose", "bench/peers/express.ts"],
  ["Fastify + mongoose", "bench/peers/fastify.ts"],
] as const) {
  const port = await freePort();
  peers.push({ name, port, child: await startMeasured(["--import", "tsx", file], port, env) });
}
const hexIds = ids.map((id) => id.toHexString());
// One process per HTTP layer, all started the same way (tsx), so only the layer differs.
const layers: { name: string; port: number; pid: number | undefined; kill: () => void }[] = [];
// However the run ends (a failed check throws), the servers it started stop with it: their
// open stdout would otherwise keep the caller (turbo, CI) waiting.
process.on("exit", () => {
  service.kill("SIGTERM");
  baseline.kill("SIGTERM");
  for (const layer of layers) layer.kill();
  for (const peer of peers) peer.child.kill("SIGTERM");
});
for (const name of values.layers ? ["node", "hono", "fastify"] : []) {
  const port = await freePort();
  const child = await startMeasured(["--import", "tsx", "bench/layer-server.ts"], port, {
    ...env,
    ...serviceEnv,
    HTTP_LAYER: name,
  });
  layers.push({ name, port, pid: child.pid, kill: () => child.kill("SIGTERM") });
}

// The comparison is fair only if every target does the same work: check they answer alike.
{
  const sample = hexIds[hexIds.length - 1] ?? "";
  const get = async (url: string) => {
    const response = await fetch(url, { headers: { authorization: `Bearer ${apiKey}` } });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    return response.json();
  };
  const rest = await get(`http://127.0.0.1:${servicePort}/api/users/id?id=${sample}`);
  const input = encodeURIComponent(JSON.stringify({ id: sample }));
  const trpcOf = async (port: number) =>
    (
      (await get(`http://127.0.0.1:${port}/trpc/users.byId?input=${input}`)) as {
        result?: { data?: unknown };
      }
    ).result?.data;
  const raw = await get(`http://127.0.0.1:${baselinePort}/id?id=${sample}`);
  const answers: [string, unknown][] = [
    ["tRPC", await trpcOf(servicePort)],
    ["baseline", raw],
  ];
  for (const peer of peers)
    answers.push([peer.name, await get(`http://127.0.0.1:${peer.port}/api/users/id?id=${sample}`)]);
  for (const layer of layers) {
    answers.push([
      `${layer.name} REST`,
      await get(`http://127.0.0.1:${layer.port}/api/users/id?id=${sample}`),
    ]);
    answers.push([`${layer.name} tRPC`, await trpcOf(layer.port)]);
  }
  for (const [name, body] of answers) {
    if (JSON.stringify(body) !== JSON.stringify(rest)) {
      throw new Error(`${name} answers ${JSON.stringify(body)}, REST ${JSON.stringify(rest)}`);
    }
  }
}
let next = 0;
const someId = () => hexIds[next++ % hexIds.length] ?? "";
const auth = { authorization: `Bearer ${apiKey}` };

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
const cpuSeconds = (pid: number | undefined): number => {
  if (pid === undefined) return Number.NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ)
};
/** A memory figure of /proc/<pid>/status, in MB. */
const statusMb = (pid: number | undefined, field: "VmHWM" | "RssAnon"): number =>
  Number(
    new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? Number.NaN,
  ) / 1024;
/** Peak resident memory of a process so far, in MB. */
const peakRssMb = (pid: number | undefined): number => statusMb(pid, "VmHWM");
/** Resident anonymous memory of a process now (heap, arenas; not mapped files), in MB. */
const anonRssMb = (pid: number | undefined): number => statusMb(pid, "RssAnon");
/** Runs `work` and returns what it returned plus the CPU ms each process spent on it. */
async function measureCpu<T>(pids: (number | undefined)[], work: () => Promise<T>) {
  const before = pids.map(cpuSeconds);
  const result = await work();
  return { result, cpuMs: pids.map((pid, i) => (cpuSeconds(pid) - (before[i] ?? 0)) * 1_000) };
}

type Target = {
  name: string;
  url: string;
  pid: number | undefined;
  path: () => string;
  lookupsPerRequest: number;
};
/** REST, tRPC and a batch of four tRPC lookups on one server, names prefixed when comparing layers. */
const lookupTargets = (prefix: string, port: number, pid: number | undefined): Target[] => [
  {
    name: `${prefix}REST`,
    url: `http://127.0.0.1:${port}`,
    pid,
    path: () => `/api/users/id?id=${someId()}`,
    lookupsPerRequest: 1,
  },
  {
    name: `${prefix}tRPC`,
    url: `http://127.0.0.1:${port}`,
    pid,
    path: () => `/trpc/users.byId?input=${encodeURIComponent(JSON.stringify({ id: someId() }))}`,
    lookupsPerRequest: 1,
  },
  {
    name: prefix ? `${prefix}batch (4)` : "tRPC batch (4)",
    url: `http://127.0.0.1:${port}`,
    pid,
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
];
const targets: Target[] = [
  ...(values.layers
    ? layers.flatMap((layer) => lookupTargets(`${layer.name} `, layer.port, layer.pid))
    : lookupTargets("", servicePort, service.pid)),
  ...peers.map((peer) => ({
    name: peer.name,
    url: `http://127.0.0.1:${peer.port}`,
    pid: peer.child.pid,
    path: () => `/api/users/id?id=${someId()}`,
    lookupsPerRequest: 1,
  })),
  {
    name: "baseline",
    url: `http://127.0.0.1:${baselinePort}`,
    pid: baseline.pid,
    path: () => `/id?id=${someId()}`,
    lookupsPerRequest: 1,
  },
];

type Run = {
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  non2xx: number;
  errors: number;
  serverCpuMs: number;
  databaseCpuMs: number;
};
const runs = new Map<string, Run[]>(targets.map((t) => [t.name, []]));
const load = (target: Target, seconds: number) =>
  autocannon({
    url: target.url,
    connections,
    duration: seconds,
    headers: auth,
    requests: [{ method: "GET", setupRequest: (request) => ({ ...request, path: target.path() }) }],
  });
for (const target of targets) await load(target, warmup); // JIT, pools and caches, unmeasured
for (let round = 0; round < rounds; round++) {
  for (const target of round % 2 ? [...targets].reverse() : targets) {
    const { result, cpuMs } = await measureCpu([target.pid, db.pid()], () => load(target, duration));
    const lookupsDone = result["2xx"] * target.lookupsPerRequest;
    runs.get(target.name)?.push({
      rps: result.requests.average * target.lookupsPerRequest,
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors,
      serverCpuMs: (cpuMs[0] ?? Number.NaN) / lookupsDone,
      databaseCpuMs: (cpuMs[1] ?? Number.NaN) / lookupsDone,
    });
    process.stderr.write(`round ${round + 1} ${target.name}: ${Math.round(result.requests.average)} req/s\n`);
  }
}
const mean = (list: number[]) => list.reduce((a, b) => a + b, 0) / Math.max(1, list.length);
const lookups: Record<string, LookupResult> = Object.fromEntries(
  [...runs].map(([name, list]) => [
    name,
    {
      lookups_per_s: mean(list.map((r) => r.rps)),
      p50_ms: mean(list.map((r) => r.p50)),
      p90_ms: mean(list.map((r) => r.p90)),
      p99_ms: mean(list.map((r) => r.p99)),
      non2xx: list.reduce((a, r) => a + r.non2xx, 0),
      errors: list.reduce((a, r) => a + r.errors, 0),
      server_cpu_ms_per_lookup: mean(list.map((r) => r.serverCpuMs)),
      database_cpu_ms_per_lookup: mean(list.map((r) => r.databaseCpuMs)),
    },
  ]),
);
const rssAfterLookupsMb = peakRssMb(service.pid);

// auth/check at the configured argon2 parameters (each login a different user, right
// password), with the health route and the liveness route probed meanwhile.
const hasher = createPasswordHasher(owaspArgon2id);
const samples: number[] = [];
for (let i = 0; i < 20; i++) {
  const started = performance.now();
  await hasher.verify(hash, password);
  samples.push(performance.now() - started);
}
const singleHashMs = [...samples].sort((a, b) => a - b)[10] ?? Number.NaN;
const cores = os.availableParallelism();
const idealLogins = (cores / singleHashMs) * 1_000;
// What the cores really give when each runs a hash (shared caches and memory bandwidth).
const parallelStarted = performance.now();
const parallelRounds = 10;
await Promise.all(
  Array.from({ length: cores }, async () => {
    for (let i = 0; i < parallelRounds; i++) await hasher.verify(hash, password);
  }),
);
const parallelHashesPerS = ((cores * parallelRounds) / (performance.now() - parallelStarted)) * 1_000;
// The probes ask at a steady 50/s each: flat out, they would take CPU from the logins.
const probe = (path: string) =>
  autocannon({ url: `http://127.0.0.1:${servicePort}${path}`, connections: 1, overallRate: 50, duration });
/** The processes a server started (argon2's, with PASSWORD_HASH_RUNTIME=child-process). */
const childrenOf = (pid: number | undefined) =>
  readdirSync("/proc").filter((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid;
    } catch {
      return false;
    }
  });
const logins = (seconds: number) =>
  autocannon({
    url: `http://127.0.0.1:${servicePort}`,
    connections: 4 * cores,
    duration: seconds,
    headers: { ...auth, "content-type": "application/json" },
    requests: [
      {
        method: "POST",
        path: "/api/users/auth/check",
        setupRequest: (request) => ({
          ...request,
          body: JSON.stringify({ identifier: `bench_${next++ % users}`, password }),
        }),
      },
    ],
  });
// An unmeasured warm-up, as for the lookups: the login path compiled, the hashing process
// started, the database's connections opened.
await logins(warmup);
// The hashing processes' CPU during the storm.
const hashersCpuBefore = new Map(childrenOf(service.pid).map((pid) => [pid, cpuSeconds(Number(pid))]));
const {
  result: [storm, health, live],
  cpuMs: [stormServerMs = Number.NaN, stormDatabaseMs = Number.NaN],
} = await measureCpu([service.pid, db.pid()], () =>
  Promise.all([logins(duration), probe("/api/users/health"), probe("/api/users/health/live")]),
);
const serverPeakRssMb = peakRssMb(service.pid);
const hashersStormMs =
  childrenOf(service.pid).reduce(
    (sum, pid) => sum + cpuSeconds(Number(pid)) - (hashersCpuBefore.get(pid) ?? 0),
    0,
  ) * 1_000;
const hashersPeakRssMb = childrenOf(service.pid).reduce((sum, pid) => sum + peakRssMb(Number(pid)), 0);
// What a container's limit charges for the hashing process: its own (anonymous) memory. Its
// file-backed pages (the node binary, ~45 MB) are the server's too, counted once.
const hashersAnonMb = childrenOf(service.pid).reduce((sum, pid) => sum + anonRssMb(Number(pid)), 0);
const baselinePeakRssMb = peakRssMb(baseline.pid);
service.kill("SIGTERM");
baseline.kill("SIGTERM");
for (const layer of layers) layer.kill();
for (const peer of peers) peer.child.kill("SIGTERM");

const base = lookups.baseline;
const rest = lookups.REST ?? lookups["node REST"];
const trpc = lookups.tRPC ?? lookups["node tRPC"];
const batch = lookups["tRPC batch (4)"] ?? lookups["node batch (4)"];
const peerRates = peers.flatMap((peer) => lookups[peer.name]?.lookups_per_s ?? []);
const bestPeer = peerRates.length > 0 ? Math.max(...peerRates) : undefined;
const written = writeReport(values.smoke ? mkdtempSync(path.join(os.tmpdir(), "bench-smoke-")) : undefined, {
  date: new Date().toISOString(),
  machine: {
    cores,
    cpu: os.cpus()[0]?.model ?? "unknown",
    node: process.version,
    load_average: { start: loadAtStart, end: os.loadavg() },
  },
  settings: {
    connections,
    duration_s: duration,
    rounds,
    warmup_s: warmup,
    users,
    database: db.kind,
    service_env: serviceEnv,
    memory_limit_mb: memoryLimitMb,
    argon2: owaspArgon2id,
  },
  lookups,
  ratios: {
    rest_vs_baseline_throughput: rest && base ? rest.lookups_per_s / base.lookups_per_s : null,
    rest_vs_baseline_p99: rest && base ? rest.p99_ms / base.p99_ms : null,
    trpc_vs_rest_throughput: trpc && rest ? trpc.lookups_per_s / rest.lookups_per_s : null,
    batch_vs_rest_throughput: batch && rest ? batch.lookups_per_s / rest.lookups_per_s : null,
    rest_vs_baseline_server_cpu:
      rest && base ? rest.server_cpu_ms_per_lookup / base.server_cpu_ms_per_lookup : null,
    // Goal: REST and batched tRPC ahead of every peer (>= 1 here).
    rest_vs_best_peer_throughput: rest && bestPeer ? rest.lookups_per_s / bestPeer : null,
    batch_vs_best_peer_throughput: batch && bestPeer ? batch.lookups_per_s / bestPeer : null,
  },
  auth_check: {
    single_hash_ms: singleHashMs,
    ideal_per_s: idealLogins,
    parallel_hashes_per_s: parallelHashesPerS,
    // Answered logins only: a 503 SERVICE_BUSY (shed) is not a login.
    measured_per_s: storm["2xx"] / duration,
    ratio_to_ideal: storm["2xx"] / duration / idealLogins,
    non2xx: storm.non2xx,
    shed_share: storm.non2xx / Math.max(1, storm.requests.total),
    server_cpu_ms_per_login: stormServerMs / storm["2xx"],
    hashers_cpu_ms_per_login: hashersStormMs / storm["2xx"],
    database_cpu_ms_per_login: stormDatabaseMs / storm["2xx"],
  },
  health_during_login_storm: {
    p50_ms: health.latency.p50,
    p99_ms: health.latency.p99,
    live_p99_ms: live.latency.p99,
  },
  server_peak_rss_mb: serverPeakRssMb,
  hashers_peak_rss_mb: hashersPeakRssMb,
  hashers_anon_mb: hashersAnonMb,
  server_peak_rss_after_lookups_mb: rssAfterLookupsMb,
  baseline_peak_rss_mb: baselinePeakRssMb,
});
console.log(readFileSync(written.markdown, "utf8"));
console.log(`written: ${Object.values(written).join(", ")}`);
