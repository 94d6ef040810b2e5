import { processCpuSeconds } from '../proc-cpu.js';
import type { LoadSpec, RunResult } from '../load/types.js';
import { DEMO_LOGIN_BODY } from '../setups.js';
import { perLogin, sampleSigner } from '../signer-metrics.js';
import type { BenchContext } from './context.js';

export interface LoginResult {
  /** Through (b)'s nginx, whose limit_req caps /login per client address. */
  viaNginx: RunResult;
  /** Straight to (b)'s signer: what it can do. */
  direct: RunResult;
  /** The signer's own CPU per login and a login's mean wall time, over the direct run. */
  signer: ReturnType<typeof perLogin>;
  /** The demo app's CPU per login over the direct run: its password hash, mostly. */
  appCpuMs: number;
}

/** POST /login as the demo user, through nginx and then straight to the signer, for the same time. */
export async function runLogins(ctx: BenchContext): Promise<LoginResult> {
  const { opts, generator, started } = ctx;
  const spec = (url: string): LoadSpec => ({
    url: `${url}/login`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: DEMO_LOGIN_BODY,
    expect: 200,
    connections: opts.loginConnections,
    duration: opts.loginDuration,
  });
  ctx.progress(`logins through nginx, ${opts.loginDuration} s...`);
  const viaNginx = await generator.run(spec(started.shipped.url));
  ctx.signal.throwIfAborted();
  ctx.progress(`logins straight to the signer, ${opts.loginDuration} s...`);
  const before = await sampleSigner(started.shipped.signerUrl);
  const appBefore = processCpuSeconds(started.shipped.upstreamPid);
  const direct = await generator.run(spec(started.shipped.signerUrl));
  const appAfter = processCpuSeconds(started.shipped.upstreamPid);
  const signer = perLogin(before, await sampleSigner(started.shipped.signerUrl));
  ctx.signal.throwIfAborted();
  return { viaNginx, direct, signer, appCpuMs: signer.logins > 0 ? ((appAfter - appBefore) / signer.logins) * 1000 : Number.NaN };
}
