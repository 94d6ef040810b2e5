import type { Row } from '../report/rows.js';
import { perVerify, sampleSigner, type SignerSample } from '../signer-metrics.js';
import { setupOf, type BenchContext } from './context.js';

/** What (b)'s and (c)'s signers said about a part of the run. */
export interface SignerNotes {
  /** (b)'s signer over the part's measured runs. */
  signerB?: ReturnType<typeof perVerify>;
  /** How many /verify calls (c)'s signer answered for how many answers (c) gave: the auth cache at work, or not. */
  cacheC?: { verifies: number; answers: number };
}

/** Samples of (b)'s and (c)'s signers at one moment. */
export interface SignerSamples {
  b?: SignerSample;
  c?: SignerSample;
}

/** Samples (b)'s and (c)'s signers, for what happened between two moments. */
export async function sampleSigners(ctx: BenchContext): Promise<SignerSamples> {
  const [b, c] = [setupOf(ctx, 'b')?.signerUrl, setupOf(ctx, 'c')?.signerUrl];
  return { ...(b ? { b: await sampleSigner(b) } : {}), ...(c ? { c: await sampleSigner(c) } : {}) };
}

/** The signers' notes between two samples; (c)'s answers come from its row. */
export function signerNotes(before: SignerSamples, after: SignerSamples, rows: readonly Row[]): SignerNotes {
  const c = rows.find((r) => r.key === 'c');
  return {
    ...(before.b && after.b ? { signerB: perVerify(before.b, after.b) } : {}),
    ...(before.c && after.c && c ? { cacheC: { verifies: after.c.verifyCount - before.c.verifyCount, answers: c.answers } } : {}),
  };
}
