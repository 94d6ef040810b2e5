import type { MixToken } from '../load/types.js';
import { summarize, type Row } from '../report/rows.js';
import { sampleSigner } from '../signer-metrics.js';
import { planMix, type MixPlan } from '../tokens/mix.js';
import { interleaved, setupOf, type BenchContext } from './context.js';

/** The realistic mix's shares: expired tokens, and invalid ones (bad signature or malformed). */
export const MIX_SHARES = { expired: 0.05, invalid: 0.05 } as const;
/** The same order every run. */
const SEED = 7;

export interface MixResult {
  plan: MixPlan;
  rows: Row[];
  /** /verify calls (c)'s signer answered for how many answers (c) gave. */
  cacheC?: { verifies: number; answers: number };
}

/**
 * The token mix (many users, some expired or invalid tokens) through every setup that checks
 * tokens, and through (a) as the limit, where every request passes (it checks nothing): each
 * answer is checked against what its token must get.
 */
export async function runMix(ctx: BenchContext): Promise<MixResult> {
  const { opts, generator, started } = ctx;
  const plan = planMix(opts.mixUsers, MIX_SHARES);
  ctx.progress(`minting the token mix: ${plan.valid} valid, ${plan.expired} expired, ${plan.forged} with a bad signature, ${plan.malformed} malformed...`);
  const tokens = await ctx.minter.mix(plan, SEED);
  const open: readonly MixToken[] = tokens.map((t) => ({ ...t, expect: 0 }));
  const setups = started.setups.filter((s) => s.checksTokens || s.key === 'a');
  const spec = (s: (typeof setups)[number], duration: number) => ({ url: `${s.url}${opts.path}`, tokens: s.checksTokens ? tokens : open, connections: opts.connections, duration });
  for (const s of opts.warmup > 0 ? setups : []) {
    ctx.progress(`warm-up ${s.label} with the mix...`);
    await generator.run(spec(s, opts.warmup));
    ctx.signal.throwIfAborted();
  }
  const cUrl = setupOf(ctx, 'c')?.signerUrl;
  const before = cUrl ? await sampleSigner(cUrl) : undefined;
  const runs = await interleaved(ctx, setups, opts.rounds, (s) => generator.run(spec(s, opts.mixDuration)));
  const after = cUrl ? await sampleSigner(cUrl) : undefined;
  const rows = setups.map((s) => summarize(s.key, s.label, runs.get(s.key)!));
  const c = rows.find((r) => r.key === 'c');
  return { plan, rows, ...(before && after && c ? { cacheC: { verifies: after.verifyCount - before.verifyCount, answers: c.answers } } : {}) };
}
