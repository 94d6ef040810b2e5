import { setTimeout as sleep } from 'node:timers/promises';
import type { RunResult } from '../load/types.js';
import { sampleSigner } from '../signer-metrics.js';
import { judgeMemory, type MemoryVerdict, type RssSample } from './memory-verdict.js';
import { loadOf, setupOf, type BenchContext } from './context.js';

/** Seconds between two RSS samples. */
const EVERY_S = 5;

export interface MemoryResult {
  verdict: MemoryVerdict;
  run: RunResult;
  tokens: number;
}

/**
 * (b)'s signer under `memoryTokens` distinct valid tokens, sent over and over for the warm-up and
 * the measured time, its RSS read from its /metrics every few seconds.
 */
export async function runMemory(ctx: BenchContext): Promise<MemoryResult> {
  const { opts } = ctx;
  const b = setupOf(ctx, 'b');
  if (!b?.signerUrl) throw new Error('the memory run needs setup (b)');
  ctx.progress(`minting ${opts.memoryTokens} distinct valid tokens...`);
  const tokens = await ctx.minter.valid(opts.memoryTokens, 'mem-user');
  const totalS = opts.memoryWarmup + opts.memoryDuration;
  ctx.progress(`memory run: ${totalS} s on (b) (${opts.memoryWarmup} s warm-up), RSS every ${EVERY_S} s...`);
  const samples: RssSample[] = [];
  const started = Date.now();
  const sample = async () => samples.push({ atS: (Date.now() - started) / 1000, rssBytes: (await sampleSigner(b.signerUrl!)).rssBytes });
  await sample();
  let done = false;
  const running = ctx.generator.run({ url: `${b.url}${opts.path}`, tokens, ...loadOf(ctx, totalS) }).finally(() => (done = true));
  const sampling = (async () => {
    while (!done) {
      await sleep(EVERY_S * 1000 - ((Date.now() - started) % (EVERY_S * 1000)));
      if (!done) await sample();
    }
  })();
  const [run] = await Promise.all([running, sampling]);
  ctx.signal.throwIfAborted();
  return { verdict: judgeMemory(samples, opts.memoryWarmup), run, tokens: tokens.length };
}
