/** The signer counters the bench reads before and after the load on (b). */
export interface SignerSample {
  verifyCount: number;
  /** Seconds spent inside the /verify handler's decision, summed. */
  verifySeconds: number;
  cpuSeconds: number;
  rssBytes: number;
}

/** Reads the signer's own GET /metrics (its port only; nginx never routes it). */
export async function sampleSigner(signerUrl: string): Promise<SignerSample> {
  const res = await fetch(`${signerUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
  const text = await res.text();
  const value = (name: string) => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
    return m ? Number(m[1]) : Number.NaN;
  };
  return {
    verifyCount: value('tokengate_verify_duration_seconds_count'),
    verifySeconds: value('tokengate_verify_duration_seconds_sum'),
    cpuSeconds: value('process_cpu_seconds_total'),
    rssBytes: value('process_resident_memory_bytes'),
  };
}

/** Per /verify between two samples: the decision's wall time and the signer's whole CPU time, in µs. */
export function perVerify(before: SignerSample, after: SignerSample): { verifies: number; decisionUs: number; cpuUs: number; rssMiB: number } {
  const n = after.verifyCount - before.verifyCount;
  return {
    verifies: n,
    decisionUs: n > 0 ? ((after.verifySeconds - before.verifySeconds) / n) * 1e6 : Number.NaN,
    cpuUs: n > 0 ? ((after.cpuSeconds - before.cpuSeconds) / n) * 1e6 : Number.NaN,
    rssMiB: after.rssBytes / 2 ** 20,
  };
}
