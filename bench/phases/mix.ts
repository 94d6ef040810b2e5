import type { MixToken, RunResult } from '../load/types.js';
import { summarize, type Row } from '../report/rows.js';
import { planMix, type MixPlan } from '../tokens/mix.js';
import { interleaved, loadOf, type BenchContext } from './context.js';
import { sampleSigners, signerNotes, type SignerNotes } from './signers.js';

/** The realistic mix's shares: expired tokens, and invalid ones (bad signature or malformed). */
export const MIX_SHARES = { expired: 0.05, invalid: 0.05 } as const;
/** The same order every run. */
const SEED = 7;
/** Warm-up runs per setup at most, and seconds of one, to send every token of the mix once before measuring. */
const MAX_WARMUPS = 3;
const MAX_WARMUP_S = 30;

/** Whether a run sent every token of a list of `count` (each thread wrapped past its share, give or take). */
const sentAll = (r: RunResult, count: number) => r.repeats > 0 && r.answers >= count * 1.1;

export interface MixResult extends SignerNotes {
  plan: MixPlan;
  rows: Row[];
  /** Setups whose warm-up ended before every token of the mix had been sent once. */
  coldStart: string[];
}

/**
 * The token mix (many users, some expired or invalid tokens) through every setup that checks
 * tokens, and through (a) as the bare reference, where every request passes (it checks nothing):
 * each answer is checked against what its token must get. The steady state: each setup is warmed
 * until it has seen every token of the mix once.
 */
export async function runMix(ctx: BenchContext): Promise<MixResult> {
  const { opts, generator, started } = ctx;
  const plan = planMix(opts.mixUsers, MIX_SHARES);
  ctx.progress(`minting the token mix: ${plan.valid} valid, ${plan.expired} expired, ${plan.forged} with a bad signature, ${plan.malformed} malformed...`);
  const tokens = await ctx.minter.mix(plan, SEED);
  const open: readonly MixToken[] = tokens.map((t) => ({ ...t, expect: 0 }));
  const setups = started.setups.filter((s) => s.checksTokens || s.key === 'a');
  const spec = (s: (typeof setups)[number], duration: number) => ({
    url: `${s.url}${opts.path}`,
    tokens: s.checksTokens ? tokens : open,
    ...loadOf(ctx, duration),
  });
  const coldStart: string[] = [];
  for (const s of opts.warmup > 0 ? setups : []) {
    ctx.progress(`warm-up ${s.label} with the mix...`);
    let r = await generator.run(spec(s, opts.warmup));
    ctx.signal.throwIfAborted();
    // One that remembers tokens: until one run has sent the whole list (each run starts again at
    // its head), so the measured rounds see no first sight; long enough at the rate it just had.
    for (let i = 1; s.remembersTokens && !sentAll(r, tokens.length) && i < MAX_WARMUPS; i++) {
      const seconds = Math.min(MAX_WARMUP_S, Math.ceil((tokens.length * 1.3) / Math.max(1, r.answers / r.durationS)));
      ctx.progress(`warm-up ${s.label} with the mix, ${seconds} s to send every token...`);
      r = await generator.run(spec(s, seconds));
      ctx.signal.throwIfAborted();
    }
    if (s.remembersTokens && !sentAll(r, tokens.length)) coldStart.push(s.label);
  }
  if (opts.warmup === 0) coldStart.push(...setups.filter((s) => s.remembersTokens).map((s) => s.label));
  const before = await sampleSigners(ctx);
  const runs = await interleaved(ctx, setups, opts.rounds, (s) => generator.run(spec(s, opts.mixDuration)));
  const after = await sampleSigners(ctx);
  const rows = setups.map((s) => summarize(s.key, s.label, runs.get(s.key)!));
  return { plan, rows, coldStart, ...signerNotes(before, after, rows) };
}
