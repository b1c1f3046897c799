import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "@usersvc/local-stack";

type Lookup = {
  lookups_per_s: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  non2xx: number;
  errors: number;
};
type Result = {
  date: string;
  machine: { cores: number; cpu: string; node: string };
  settings: { connections: number; duration_s: number; rounds: number };
  lookups: Record<string, Lookup>;
  ratios: Record<string, number | null>;
  auth_check: { single_hash_ms: number; ideal_per_s: number; measured_per_s: number; ratio_to_ideal: number };
  health_during_login_storm: { p99_ms: number };
  server_peak_rss_mb: number;
};

const f = (value: number | null | undefined, digits = 1) => (value == null ? "n/a" : value.toFixed(digits));
const verdict = (ok: boolean) => (ok ? "met" : "missed");

/** A horizontal bar chart of lookups per second, as a standalone SVG. */
function chart(lookups: Record<string, Lookup>): string {
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

/** Writes bench/results/<date>.json, .md and .svg; returns their paths. */
export function writeReport(result: Result): string[] {
  const dir = path.join(repoRoot, "bench/results");
  mkdirSync(dir, { recursive: true });
  const stamp = result.date.slice(0, 19).replace(/[:T]/g, "-");
  const base = path.join(dir, stamp);
  const r = result.ratios;
  const md = `# Benchmark ${result.date}

${result.machine.cores} cores (${result.machine.cpu}), Node ${result.machine.node}; ${result.settings.connections} connections,
${result.settings.duration_s} s per run, ${result.settings.rounds} alternating rounds; 10,000 users on local FerretDB.

![lookups per second](${stamp}.svg)

| target | lookups/s | p50 ms | p90 ms | p99 ms | non-2xx | errors |
| --- | --- | --- | --- | --- | --- | --- |
${Object.entries(result.lookups)
  .map(
    ([name, l]) =>
      `| ${name} | ${f(l.lookups_per_s, 0)} | ${f(l.p50_ms)} | ${f(l.p90_ms)} | ${f(l.p99_ms)} | ${l.non2xx} | ${l.errors} |`,
  )
  .join("\n")}

| target | goal | measured | |
| --- | --- | --- | --- |
| REST throughput vs baseline | >= 0.8x | ${f(r.rest_vs_baseline_throughput, 2)}x | ${verdict((r.rest_vs_baseline_throughput ?? 0) >= 0.8)} |
| REST p99 vs baseline | <= 1.25x | ${f(r.rest_vs_baseline_p99, 2)}x | ${verdict((r.rest_vs_baseline_p99 ?? 99) <= 1.25)} |
| tRPC throughput vs REST | >= 1x | ${f(r.trpc_vs_rest_throughput, 2)}x | ${verdict((r.trpc_vs_rest_throughput ?? 0) >= 1)} |
| auth/check vs ideal (cores / one hash = ${f(result.auth_check.ideal_per_s, 0)}/s, one hash ${f(result.auth_check.single_hash_ms)} ms) | >= 0.9x | ${f(result.auth_check.ratio_to_ideal, 2)}x (${f(result.auth_check.measured_per_s, 0)}/s) | ${verdict(result.auth_check.ratio_to_ideal >= 0.9)} |
| health p99 during the login storm | <= 20 ms | ${f(result.health_during_login_storm.p99_ms)} ms | ${verdict(result.health_during_login_storm.p99_ms <= 20)} |
| server peak RSS | <= 200 MB | ${f(result.server_peak_rss_mb, 0)} MB | ${verdict(result.server_peak_rss_mb <= 200)} |
`;
  writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(`${base}.md`, md);
  writeFileSync(`${base}.svg`, chart(result.lookups));
  writeFileSync(path.join(dir, "latest.md"), md.replace(`(${stamp}.svg)`, `(${stamp}.svg)`));
  return [`${base}.json`, `${base}.md`, `${base}.svg`];
}
