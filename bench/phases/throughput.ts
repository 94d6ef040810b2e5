import { keepsAlive } from '../keepalive.js';
import { summarize, type Row } from '../report/rows.js';
import { interleaved, loadOf, type BenchContext } from './context.js';
import { sampleSigners, signerNotes, type SignerNotes } from './signers.js';

/** The steady state with one token, and what the signers said about it. */
export interface ThroughputResult extends SignerNotes {
  rows: Row[];
  /** Setups that answered Connection: close. */
  noKeepalive: string[];
}

/** Every setup with one valid bearer token, in interleaved rounds: the table. */
export async function runThroughput(ctx: BenchContext): Promise<ThroughputResult> {
  const { opts, generator, started } = ctx;
  const spec = async (s: (typeof started.setups)[number], duration: number) => ({
    url: `${s.url}${opts.path}`,
    headers: await s.headers(),
    ...loadOf(ctx, duration),
  });
  const noKeepalive: string[] = [];
  for (const s of started.setups) if (!(await keepsAlive(`${s.url}${opts.path}`, await s.headers()))) noKeepalive.push(s.label);
  for (const s of opts.warmup > 0 ? started.setups : []) {
    ctx.progress(`warm-up ${s.label}...`);
    await generator.run(await spec(s, opts.warmup));
    ctx.signal.throwIfAborted();
  }
  const before = await sampleSigners(ctx);
  const runs = await interleaved(ctx, started.setups, opts.rounds, async (s) => generator.run(await spec(s, opts.duration)));
  const after = await sampleSigners(ctx);
  const rows = started.setups.map((s) => summarize(s.key, s.label, runs.get(s.key)!));
  return { rows, noKeepalive, ...signerNotes(before, after, rows) };
}
