import type { BenchOptions } from './options.js';

/** Seconds each part of a run should take, and their sum. */
export interface Budget {
  parts: Record<string, number>;
  totalS: number;
}

/** Starting five setups (three stacks, two nginx) and the sanity check. */
const START_S = 20;
/** Per measured run: a login for fresh headers, the generator's start and stop. */
const PER_RUN_S = 0.5;
/** Tokens the bench mints per second with the product's issuer (jose, WebCrypto), measured on the 2-core machine. */
const MINT_PER_S = 15_000;

/** What the run should take, from the options and how many setups each part drives. */
export function estimateBudget(opts: BenchOptions, setups: { throughput: number; mix: number }): Budget {
  const on = (p: BenchOptions['phases'][number]) => opts.phases.includes(p);
  const runs = (count: number, duration: number) => count * (opts.warmup + opts.rounds * (duration + PER_RUN_S));
  const mixTokens = Math.round(opts.mixUsers / 0.9);
  const parts: Record<string, number> = {
    'start-up': START_S,
    ...(on('throughput') ? { throughput: runs(setups.throughput, opts.duration) } : {}),
    ...(on('mix') ? { mix: runs(setups.mix, opts.mixDuration) + mixTokens / MINT_PER_S } : {}),
    ...(on('memory') ? { memory: opts.memoryWarmup + opts.memoryDuration + opts.memoryTokens / MINT_PER_S } : {}),
    ...(on('logins') ? { logins: 2 * (opts.loginDuration + PER_RUN_S) } : {}),
  };
  const totalS = Object.values(parts).reduce((s, v) => s + v, 0);
  return { parts: Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, Math.round(v)])), totalS: Math.round(totalS) };
}

/** The hard stop: well past the budget, the bench stops everything and says so rather than hang. */
export const deadlineS = (b: Budget): number => Math.round(b.totalS * 1.5 + 120);

/** "about 7.1 min (start-up 20 s, throughput 150 s, ...)" */
export function describeBudget(b: Budget): string {
  const parts = Object.entries(b.parts).map(([k, v]) => `${k} ${v} s`).join(', ');
  return `about ${(b.totalS / 60).toFixed(1)} min (${parts}); stops itself after ${deadlineS(b)} s`;
}
