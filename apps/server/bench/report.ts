import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "@usersvc/local-stack";
import { heapFlags } from "../src/heap-limit";

export type LookupResult = {
  lookups_per_s: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  non2xx: number;
  errors: number;
  /** CPU time of the answering server (service or baseline) per lookup. */
  server_cpu_ms_per_lookup: number;
  /** CPU time of the database server per lookup. */
  database_cpu_ms_per_lookup: number;
};

export type BenchResult = {
  date: string;
  machine: {
    cores: number;
    cpu: string;
    node: string;
    /** os.loadavg() when the run started and ended: above the cores, other work shared them. */
    load_average?: { start: number[]; end: number[] };
  };
  settings: {
    connections: number;
    duration_s: number;
    rounds: number;
    warmup_s: number;
    users: number;
    database: string;
    /** Settings given to the service with --env. */
    service_env: Record<string, string>;
    /** The container memory limit the service was started for (its heap flags); 0: none. */
    memory_limit_mb: number;
    argon2: { memoryCost: number; timeCost: number; parallelism: number };
  };
  lookups: Record<string, LookupResult>;
  ratios: {
    rest_vs_baseline_throughput: number | null;
    rest_vs_baseline_p99: number | null;
    trpc_vs_rest_throughput: number | null;
    batch_vs_rest_throughput: number | null;
    rest_vs_baseline_server_cpu: number | null;
    rest_vs_best_peer_throughput: number | null;
    batch_vs_best_peer_throughput: number | null;
  };
  auth_check: {
    single_hash_ms: number;
    ideal_per_s: number;
    /** Hashes per second with every core hashing at once, in the benchmark's own process. */
    parallel_hashes_per_s: number;
    measured_per_s: number;
    ratio_to_ideal: number;
    non2xx: number;
    /** Share of the login storm's requests answered 503 SERVICE_BUSY (or any non-2xx). */
    shed_share: number;
    server_cpu_ms_per_login: number;
    /** CPU of the hashing child processes per answered login (0 with the in-process runtime). */
    hashers_cpu_ms_per_login: number;
    database_cpu_ms_per_login: number;
  };
  health_during_login_storm: { p50_ms: number; p99_ms: number; live_p99_ms: number };
  server_peak_rss_mb: number;
  /** Sum of the peak RSS of the server's child processes (argon2 in child processes), 0 when none. */
  hashers_peak_rss_mb: number;
  /** The hashing processes' anonymous memory at the end of the storm (what a container adds). */
  hashers_anon_mb: number;
  server_peak_rss_after_lookups_mb: number;
  baseline_peak_rss_mb: number;
};

/**
 * The memory budget's row (with a memory limit): what the container would be charged, the
 * server's peak RSS plus the hashing processes' own memory, against the limit.
 */
const budget = (result: BenchResult) => {
  const limit = result.settings.memory_limit_mb;
  if (!(limit > 0)) return "";
  const used = result.server_peak_rss_mb + result.hashers_anon_mb;
  return `| the service in its ${limit} MiB container: server peak RSS + hashing processes' own memory | <= ${limit} MiB | ${f(result.server_peak_rss_mb, 0)} + ${f(result.hashers_anon_mb, 0)} = ${f(used, 0)} MB | ${verdict(used <= limit)} |\n`;
};

const f = (value: number | null | undefined, digits = 1) =>
  value == null || Number.isNaN(value) ? "n/a" : value.toFixed(digits);
const verdict = (ok: boolean) => (ok ? "met" : "missed");

/** A horizontal bar chart of lookups per second, as a standalone SVG. */
function chart(lookups: Record<string, LookupResult>): string {
  const entries = Object.entries(lookups);
  const max = Math.max(...entries.map(([, l]) => l.lookups_per_s), 1);
  const rows = entries
    .map(([name, l], i) => {
      const y = 30 + i * 34;
      const width = Math.round((l.lookups_per_s / max) * 360);
      return `<text x="10" y="${y + 16}" font-size="13">${name}</text><rect x="140" y="${y}" width="${width}" height="22" fill="#4c78a8"/><text x="${146 + width}" y="${y + 16}" font-size="12">${Math.round(l.lookups_per_s)}/s · p99 ${f(l.p99_ms)} ms</text>`;
    })
    .join("\n");
  const height = 40 + entries.length * 34;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="720" height="${height}" font-family="sans-serif">
<text x="10" y="18" font-size="14" font-weight="bold">GET user by id: lookups per second (higher is better)</text>
${rows}
</svg>
`;
}

function markdown(result: BenchResult, stamp: string): string {
  const r = result.ratios;
  const a = result.auth_check;
  const h = result.health_during_login_storm;
  const s = result.settings;
  return `# Benchmark ${result.date}

${result.machine.cores} cores (${result.machine.cpu}), Node ${result.machine.node}${
    result.machine.load_average
      ? ` (load average ${result.machine.load_average.start.map((n) => n.toFixed(1)).join(", ")} at the start, ${result.machine.load_average.end.map((n) => n.toFixed(1)).join(", ")} at the end: above ${result.machine.cores}, other processes shared the cores)`
      : ""
  }; ${s.connections} connections,
${s.warmup_s} s warm-up per target, then ${s.duration_s} s per run in ${s.rounds} alternating rounds;
${s.users.toLocaleString("en")} users on a local ${s.database}${
    Object.keys(s.service_env).length > 0
      ? `; service started with ${Object.entries(s.service_env)
          .map(([name, value]) => `\`${name}=${value}\``)
          .join(", ")}`
      : ""
  }; the service started as the image starts it ${
    s.memory_limit_mb > 0
      ? `in a ${s.memory_limit_mb} MiB container (\`${heapFlags(s.memory_limit_mb * 1_048_576).join(" ")}\`)`
      : "without a memory limit"
  }. The load generator, the database and the
servers share these cores, so CPU time per lookup (read from /proc) is the fairer measure of what
each server costs.

![lookups per second](${stamp}.svg)

| target | lookups/s | vs baseline | p50 ms | p90 ms | p99 ms | server CPU ms/lookup | database CPU ms/lookup | non-2xx | errors |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${Object.entries(result.lookups)
  .map(
    ([name, l]) =>
      `| ${name} | ${f(l.lookups_per_s, 0)} | ${f(l.lookups_per_s / (result.lookups.baseline?.lookups_per_s ?? Number.NaN), 2)}x | ${f(l.p50_ms)} | ${f(l.p90_ms)} | ${f(l.p99_ms)} | ${f(l.server_cpu_ms_per_lookup, 3)} | ${f(l.database_cpu_ms_per_lookup, 3)} | ${l.non2xx} | ${l.errors} |`,
  )
  .join("\n")}

The peers (Express + mongoose, Fastify + mongoose; apps/server/bench/peers/) are what a team
would write instead of adopting the service: the same lookup and JSON, an API-key check, no
logging, metrics or security headers.

| target | goal | measured | |
| --- | --- | --- | --- |
| REST throughput vs baseline | >= 0.9x | ${f(r.rest_vs_baseline_throughput, 2)}x | ${verdict((r.rest_vs_baseline_throughput ?? 0) >= 0.9)} |
| REST p99 vs baseline | <= 1.1x | ${f(r.rest_vs_baseline_p99, 2)}x | ${verdict((r.rest_vs_baseline_p99 ?? 99) <= 1.1)} |
| tRPC single calls vs REST | >= 1x | ${f(r.trpc_vs_rest_throughput, 2)}x | ${verdict((r.trpc_vs_rest_throughput ?? 0) >= 1)} |
| tRPC batched (what the SDK sends) vs REST | >= 1.3x | ${f(r.batch_vs_rest_throughput, 2)}x | ${verdict((r.batch_vs_rest_throughput ?? 0) >= 1.3)} |
| REST vs the faster peer | >= 1x | ${f(r.rest_vs_best_peer_throughput, 2)}x | ${verdict((r.rest_vs_best_peer_throughput ?? 0) >= 1)} |
| tRPC batched vs the faster peer | >= 1x | ${f(r.batch_vs_best_peer_throughput, 2)}x | ${verdict((r.batch_vs_best_peer_throughput ?? 0) >= 1)} |
| auth/check vs ideal (cores / one hash = ${f(a.ideal_per_s, 0)}/s, one hash ${f(a.single_hash_ms)} ms) | >= 0.9x | ${f(a.ratio_to_ideal, 2)}x (${f(a.measured_per_s, 0)}/s) | ${verdict(a.ratio_to_ideal >= 0.9)} |
| liveness p99 during the login storm | <= 20 ms | ${f(h.live_p99_ms)} ms | ${verdict(h.live_p99_ms <= 20)} |
| server peak RSS vs baseline peak RSS | <= 1.5x | ${f(result.server_peak_rss_mb, 0)} / ${f(result.baseline_peak_rss_mb, 0)} MB = ${f(result.server_peak_rss_mb / result.baseline_peak_rss_mb, 2)}x | ${verdict(result.server_peak_rss_mb / result.baseline_peak_rss_mb <= 1.5)} |
${budget(result)}
| for reading the targets | measured |
| --- | --- |
| REST server CPU per lookup vs baseline's | ${f(r.rest_vs_baseline_server_cpu, 2)}x |
| argon2 on every core at once, in the benchmark process | ${f(a.parallel_hashes_per_s, 0)} hashes/s |
| CPU per answered login: server process / hashing child processes / database | ${f(a.server_cpu_ms_per_login)} ms / ${f(a.hashers_cpu_ms_per_login)} ms / ${f(a.database_cpu_ms_per_login)} ms |
| health p99 during the login storm (with a database ping) | ${f(h.p99_ms)} ms |
| health p50 during the login storm | ${f(h.p50_ms)} ms |
| login non-2xx (503 SERVICE_BUSY: shed) | ${a.non2xx} (${f(a.shed_share * 100)}% of the storm's requests) |
| server peak RSS after the lookups, before the logins | ${f(result.server_peak_rss_after_lookups_mb, 0)} MB |
| baseline peak RSS | ${f(result.baseline_peak_rss_mb, 0)} MB |
| hashing child processes' peak RSS, added up (PASSWORD_HASH_RUNTIME=child-process) | ${f(result.hashers_peak_rss_mb, 0)} MB |
| hashing child processes' anonymous memory (RSS less the shared node binary) | ${f(result.hashers_anon_mb, 0)} MB |
| auth/check vs argon2 on every core at once (what the cores give hashes alone) | ${f(a.measured_per_s / a.parallel_hashes_per_s, 2)}x |
`;
}

/**
 * Writes latest.json, latest.md and latest.svg into `dir` (default bench/results), replacing
 * the previous report (earlier ones are in git history); returns their paths.
 */
export function writeReport(
  dir: string | undefined,
  result: BenchResult,
): { json: string; markdown: string; svg: string } {
  dir ??= path.join(repoRoot, "bench/results");
  mkdirSync(dir, { recursive: true });
  const name = "latest";
  const base = path.join(dir, name);
  const paths = { json: `${base}.json`, markdown: `${base}.md`, svg: `${base}.svg` };
  writeFileSync(paths.json, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(paths.markdown, markdown(result, name));
  writeFileSync(paths.svg, chart(result.lookups));
  return paths;
}
