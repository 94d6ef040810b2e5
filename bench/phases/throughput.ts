import { keepsAlive } from '../keepalive.js';
import { summarize, type Row } from '../report/rows.js';
import { perVerify, sampleSigner, type SignerSample } from '../signer-metrics.js';
import { interleaved, setupOf, type BenchContext } from './context.js';

/** The main table's runs, and what the signers said about them. */
export interface ThroughputResult {
  rows: Row[];
  /** (b)'s signer over its measured runs. */
  signerB?: ReturnType<typeof perVerify>;
  /** How many /verify calls (c)'s signer answered for how many answers (c) gave: the auth cache at work, or not. */
  cacheC?: { verifies: number; answers: number };
  /** Setups that answered Connection: close. */
  noKeepalive: string[];
}

/** Signer samples of (b) and (c), for what happened between two moments. */
async function sampleBoth(ctx: BenchContext): Promise<{ b?: SignerSample; c?: SignerSample }> {
  const [b, c] = [setupOf(ctx, 'b')?.signerUrl, setupOf(ctx, 'c')?.signerUrl];
  return { ...(b ? { b: await sampleSigner(b) } : {}), ...(c ? { c: await sampleSigner(c) } : {}) };
}

/** Every setup with one valid bearer token, in interleaved rounds: the table. */
export async function runThroughput(ctx: BenchContext): Promise<ThroughputResult> {
  const { opts, generator, started } = ctx;
  const spec = async (s: (typeof started.setups)[number], duration: number) => ({ url: `${s.url}${opts.path}`, headers: await s.headers(), connections: opts.connections, duration });
  const noKeepalive: string[] = [];
  for (const s of started.setups) if (!(await keepsAlive(`${s.url}${opts.path}`, await s.headers()))) noKeepalive.push(s.label);
  for (const s of opts.warmup > 0 ? started.setups : []) {
    ctx.progress(`warm-up ${s.label}...`);
    await generator.run(await spec(s, opts.warmup));
    ctx.signal.throwIfAborted();
  }
  const before = await sampleBoth(ctx);
  const runs = await interleaved(ctx, started.setups, opts.rounds, async (s) => generator.run(await spec(s, opts.duration)));
  const after = await sampleBoth(ctx);
  const rows = started.setups.map((s) => summarize(s.key, s.label, runs.get(s.key)!));
  const c = rows.find((r) => r.key === 'c');
  return {
    rows,
    noKeepalive,
    ...(before.b && after.b ? { signerB: perVerify(before.b, after.b) } : {}),
    ...(before.c && after.c && c ? { cacheC: { verifies: after.c.verifyCount - before.c.verifyCount, answers: c.answers } } : {}),
  };
}
