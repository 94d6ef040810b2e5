import { summarize, type Row } from '../report/rows.js';
import type { SetupDef } from '../setups.js';
import { interleaved, loadOf, type BenchContext } from './context.js';
import { sampleSigners, signerNotes, type SignerNotes } from './signers.js';

/** Over the estimate: the machine may be quicker in this part than in the one-token runs. */
const MARGIN = 1.3;
/** At most this many tokens per round (the bench's memory and wrk's), at least this many. */
const MAX_PER_ROUND = 300_000;
const MIN_PER_ROUND = 1_000;

/** The first-sight table, and what the signers said about it. */
export interface FirstSightResult extends SignerNotes {
  rows: Row[];
  /** Never-sent tokens each setup got per round. */
  perRound: number;
  /** Setups that sent a token a second time (the list ran out), with how many such requests of how many. */
  repeated: { key: string; label: string; remembersTokens: boolean; repeats: number; answers: number }[];
}

/**
 * Tokens a round needs so that no setup that remembers tokens runs out: the fastest of them at its
 * one-token rate (which its first sight cannot beat), over a run, with a margin; `guess` when the
 * one-token part did not run.
 */
export function firstSightPerRound(steady: readonly Row[] | undefined, setups: readonly SetupDef[], guess: number, durationS: number): number {
  const rates = setups
    .filter((s) => s.remembersTokens)
    .map((s) => steady?.find((r) => r.key === s.key)?.requestsPerSec)
    .filter((r): r is number => r !== undefined && r > 0);
  const rate = rates.length > 0 ? Math.max(...rates) : guess;
  return Math.min(MAX_PER_ROUND, Math.max(MIN_PER_ROUND, Math.ceil(rate * durationS * MARGIN)));
}

/**
 * The first-sight path: every request carries a valid token the setup has never seen (one user
 * each), so nothing can come from a cache of verified tokens. Round r sends list r to every setup
 * (each has caches of its own); (a) is the bare reference under the same requests.
 */
export async function runFirstSight(ctx: BenchContext, steady?: readonly Row[]): Promise<FirstSightResult> {
  const { opts, generator, started } = ctx;
  const setups = started.setups.filter((s) => s.checksTokens || s.key === 'a');
  const perRound = firstSightPerRound(steady, setups, ctx.table.rateGuess, opts.firstDuration);
  ctx.progress(`first sight: ${opts.rounds} x ${perRound} never-sent valid tokens...`);
  const lists = await ctx.fresh.rounds(opts.rounds, perRound);
  ctx.signal.throwIfAborted();
  // Warm with one token (it uses up no fresh one), unless the one-token part just did.
  for (const s of steady === undefined && opts.warmup > 0 ? setups : []) {
    ctx.progress(`warm-up ${s.label} with one token...`);
    await generator.run({ url: `${s.url}${opts.path}`, headers: await s.headers(), ...loadOf(ctx, opts.warmup) });
    ctx.signal.throwIfAborted();
  }
  const before = await sampleSigners(ctx);
  const runs = await interleaved(ctx, setups, opts.rounds, (s, round) =>
    generator.run({ url: `${s.url}${opts.path}`, tokens: lists[round]!, ...loadOf(ctx, opts.firstDuration) }),
  );
  const after = await sampleSigners(ctx);
  const rows = setups.map((s) => summarize(s.key, s.label, runs.get(s.key)!));
  const repeated = setups
    .map((s) => ({
      key: s.key,
      label: s.label,
      remembersTokens: s.remembersTokens,
      repeats: runs.get(s.key)!.reduce((n, r) => n + r.repeats, 0),
      answers: rows.find((r) => r.key === s.key)!.answers,
    }))
    .filter((r) => r.repeats > 0);
  return { rows, perRound, repeated, ...signerNotes(before, after, rows) };
}
