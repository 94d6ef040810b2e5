import type { BenchOptions } from './options.js';
import type { Table } from './tables.js';

/** Seconds each part of a run should take, and their sum. */
export interface Budget {
  parts: Record<string, number>;
  totalS: number;
}

/** Starting one table's setups (three stacks, up to three nginx) and its sanity check. */
const START_S = 20;
/** Per measured run: a login for fresh headers, the generator's start and stop. */
const PER_RUN_S = 0.5;
/** Tokens the bench mints per second with the product's issuer (jose, WebCrypto), measured on the 2-core machine. */
const MINT_PER_S = 15_000;
/** Seconds the token mix's warm-up takes per setup past --warmup, on average, to send every token once at first-sight rates. */
const MIX_WARMUP_EXTRA_S = 8;

/** What the run should take, from the options, the tables and how many setups each drives. */
export function estimateBudget(opts: BenchOptions, tables: readonly (Pick<Table, 'key' | 'rateGuess'> & { setups: number })[]): Budget {
  const on = (p: BenchOptions['phases'][number]) => opts.phases.includes(p);
  const runs = (count: number, duration: number, warmupS = opts.warmup) => count * (warmupS + opts.rounds * (duration + PER_RUN_S));
  const mixTokens = Math.round(opts.mixUsers / 0.9);
  // The first-sight tokens are minted once, for the fastest table, and shared.
  const freshTokens = Math.max(0, ...tables.map((t) => t.rateGuess * opts.firstDuration * 1.3)) * opts.rounds;
  const parts: Record<string, number> = {};
  for (const t of tables) {
    parts[`${t.key} start-up`] = START_S;
    if (on('throughput')) parts[`${t.key} throughput`] = runs(t.setups, opts.duration);
    if (on('first-sight'))
      parts[`${t.key} first sight`] = runs(t.setups, opts.firstDuration, on('throughput') ? 0 : opts.warmup) + (t === tables[0] ? freshTokens / MINT_PER_S : 0);
    if (on('mix')) parts[`${t.key} mix`] = runs(t.setups, opts.mixDuration, opts.warmup > 0 ? opts.warmup + MIX_WARMUP_EXTRA_S : 0) + mixTokens / MINT_PER_S;
  }
  if (on('memory')) parts.memory = opts.memoryWarmup + opts.memoryDuration + opts.memoryTokens / MINT_PER_S;
  if (on('logins')) parts.logins = 2 * (opts.loginDuration + PER_RUN_S);
  const totalS = Object.values(parts).reduce((s, v) => s + v, 0);
  return { parts: Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, Math.round(v)])), totalS: Math.round(totalS) };
}

/** The hard stop: well past the budget, the bench stops everything and says so rather than hang. */
export const deadlineS = (b: Budget): number => Math.round(b.totalS * 1.5 + 120);

/** "about 7.1 min (fast start-up 20 s, fast throughput 92 s, ...)" */
export function describeBudget(b: Budget): string {
  const parts = Object.entries(b.parts)
    .map(([k, v]) => `${k} ${v} s`)
    .join(', ');
  return `about ${(b.totalS / 60).toFixed(1)} min (${parts}); stops itself after ${deadlineS(b)} s`;
}
