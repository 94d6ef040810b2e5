import type { LoadGenerator, RunResult } from '../load/types.js';
import type { BenchOptions } from '../options.js';
import type { Setup, Started } from '../setups.js';
import type { Table } from '../tables.js';
import type { Minter } from '../tokens/mint.js';
import type { FreshPool } from '../tokens/pool.js';

/** What every part of a table works with. */
export interface BenchContext {
  opts: BenchOptions;
  generator: LoadGenerator;
  /** The table being run, and its setups. */
  table: Table;
  started: Started;
  minter: Minter;
  /** Never-sent tokens for the first-sight runs, shared by the tables. */
  fresh: FreshPool;
  signal: AbortSignal;
  /** A line of the results (printed and kept in the .txt). */
  say(line?: string): void;
  /** A progress line (printed only). */
  progress(line: string): void;
}

/** The setup with `key`, if it was started. */
export const setupOf = (ctx: BenchContext, key: Setup['key']): Setup | undefined => ctx.started.setups.find((s) => s.key === key);

/** "4699 req/s, p99 28.00 ms, 0 unexpected, 0 conn err, generator 12% CPU" for a progress line. */
export const runLine = (r: RunResult): string =>
  `${r.requestsPerSec.toFixed(0)} req/s, p99 ${r.p99Ms.toFixed(2)} ms, ${r.unexpected} unexpected, ${r.connectionErrors} conn err, generator ${r.generatorCpuPct.toFixed(0)}% CPU${r.repeats > 0 ? `, ${r.repeats} repeated tokens` : ''}`;

/** The load settings of the table: its connections, its wrk threads, whether its app echoes. */
export const loadOf = (ctx: BenchContext, duration: number) => ({
  connections: ctx.table.connections,
  threads: ctx.table.threads,
  echo: ctx.table.echo,
  duration,
});

/**
 * Runs every setup `rounds` times, each round starting one setup later, so a slow drift of the
 * machine favours none; a stopped run (Ctrl-C) ends the whole thing rather than count.
 */
export async function interleaved<S extends { key: string; label: string }>(
  ctx: BenchContext,
  setups: readonly S[],
  rounds: number,
  run: (s: S, round: number) => Promise<RunResult>,
): Promise<Map<string, RunResult[]>> {
  const runs = new Map<string, RunResult[]>(setups.map((s) => [s.key, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < setups.length; i++) {
      const s = setups[(i + round) % setups.length]!;
      const began = Date.now();
      const r = await run(s, round);
      ctx.signal.throwIfAborted();
      runs.get(s.key)!.push(r);
      ctx.progress(`round ${round + 1}/${rounds} ${s.label}: ${runLine(r)} (${((Date.now() - began) / 1000).toFixed(1)} s)`);
    }
  }
  return runs;
}
