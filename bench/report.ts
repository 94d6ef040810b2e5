import { cpus, release, totalmem } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunResult } from './load.js';

/** A setup's median over the rounds, and its raw runs. */
export interface Row {
  key: string;
  label: string;
  runs: RunResult[];
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers outside 2xx, summed over the runs: the "errors". */
  non2xx: number;
  /** Connection errors and timeouts, summed: reported apart, since a real client would retry them. */
  connectionErrors: number;
}

/** The median of a non-empty list (the mean of the middle two for an even count). */
export function median(values: number[]): number {
  const s = [...values].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Medians of rate and latencies; errors are summed over the rounds. */
export function summarize(key: string, label: string, runs: RunResult[]): Row {
  return {
    key,
    label,
    runs,
    requestsPerSec: median(runs.map((r) => r.requestsPerSec)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    non2xx: runs.reduce((sum, r) => sum + r.errors - r.connectionErrors, 0),
    connectionErrors: runs.reduce((sum, r) => sum + r.connectionErrors, 0),
  };
}

/** The machine, as the header of the results says it. */
export function machine(nginxVersion: string, autocannonVersion: string): Record<string, string> {
  const list = cpus();
  return {
    cpu: `${list[0]?.model.trim() ?? 'unknown'} x ${list.length}`,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    os: `${process.platform} ${release()}`,
    node: process.version,
    nginx: nginxVersion,
    'load generator': `autocannon ${autocannonVersion} (in the bench's own Node process, on the same cores)`,
  };
}

/** The table: one line per setup, with its ratio to the first row (the limit). */
export function table(rows: Row[]): string {
  const limit = rows[0];
  const head = ['setup', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'conn err', 'vs (a)', 'p99 vs (a)'];
  const lines = rows.map((r) => [
    r.label,
    r.requestsPerSec.toFixed(0),
    r.p50Ms.toFixed(2),
    r.p99Ms.toFixed(2),
    String(r.non2xx),
    String(r.connectionErrors),
    limit ? `${((r.requestsPerSec / limit.requestsPerSec) * 100).toFixed(0)}%` : '',
    limit && limit.p99Ms > 0 ? `${(r.p99Ms / limit.p99Ms).toFixed(2)}x` : '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(fmt)].join('\n');
}

/** Writes `<stamp>.txt` (what was printed) and `<stamp>.json` (everything) into `dir`; returns both paths. */
export function writeResults(dir: string, stamp: string, text: string, json: unknown): string[] {
  mkdirSync(dir, { recursive: true });
  const files = [join(dir, `${stamp}.txt`), join(dir, `${stamp}.json`)];
  writeFileSync(files[0]!, `${text}\n`);
  writeFileSync(files[1]!, `${JSON.stringify(json, null, 2)}\n`);
  return files;
}
