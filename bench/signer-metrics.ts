/** The signer counters the bench reads before and after a run. */
export interface SignerSample {
  verifyCount: number;
  /** Seconds spent inside the /verify handler's decision, summed. */
  verifySeconds: number;
  /** Successful logins, and the wall time of every login (upstream wait included), summed. */
  loginSuccess: number;
  loginCount: number;
  loginSeconds: number;
  cpuSeconds: number;
  rssBytes: number;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** One sample's value from Prometheus text: `name` alone or with exactly `labels` (`outcome="success"`); NaN when absent. */
export function metricValue(text: string, name: string, labels?: string): number {
  const series = labels === undefined ? `${escapeRegex(name)}(?:\\{[^}]*\\})?` : `${escapeRegex(name)}\\{${escapeRegex(labels)}\\}`;
  const m = new RegExp(`^${series} ([0-9.e+-]+|NaN)$`, 'm').exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

/** The sample the bench needs, from the text of GET /metrics. */
export function parseSignerMetrics(text: string): SignerSample {
  return {
    verifyCount: metricValue(text, 'tokengate_verify_duration_seconds_count'),
    verifySeconds: metricValue(text, 'tokengate_verify_duration_seconds_sum'),
    loginSuccess: metricValue(text, 'tokengate_login_total', 'outcome="success"'),
    loginCount: metricValue(text, 'tokengate_login_duration_seconds_count'),
    loginSeconds: metricValue(text, 'tokengate_login_duration_seconds_sum'),
    cpuSeconds: metricValue(text, 'process_cpu_seconds_total'),
    rssBytes: metricValue(text, 'process_resident_memory_bytes'),
  };
}

/** Reads the signer's own GET /metrics (its port only; nginx never routes it). */
export async function sampleSigner(signerUrl: string): Promise<SignerSample> {
  const res = await fetch(`${signerUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`${signerUrl}/metrics answered ${res.status}`);
  return parseSignerMetrics(await res.text());
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

/** Per successful login between two samples: the signer's CPU (its own work: the app hashes the password) and a login's mean wall time, in ms. */
export function perLogin(before: SignerSample, after: SignerSample): { logins: number; cpuMs: number; wallMs: number } {
  const n = after.loginSuccess - before.loginSuccess;
  const all = after.loginCount - before.loginCount;
  return {
    logins: n,
    cpuMs: n > 0 ? ((after.cpuSeconds - before.cpuSeconds) / n) * 1e3 : Number.NaN,
    wallMs: all > 0 ? ((after.loginSeconds - before.loginSeconds) / all) * 1e3 : Number.NaN,
  };
}
