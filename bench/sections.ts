import type { BenchContext } from './phases/context.js';
import type { LoginResult } from './phases/logins.js';
import type { MemoryResult } from './phases/memory.js';
import type { MixResult } from './phases/mix.js';
import type { ThroughputResult } from './phases/throughput.js';
import { describeStatuses, type Row } from './report/rows.js';
import { kindsLine, resultsTable } from './report/table.js';
import { formatTarget, type TargetCheck } from './report/targets.js';
import { wrkThreads } from './load/wrk.js';

const refsOf = (rows: readonly Row[]) => ({ limit: rows.find((r) => r.key === 'a'), reference: rows.find((r) => r.key === 'e') });
const threadsNote = (ctx: BenchContext, mix: boolean) =>
  ctx.generator.name === 'wrk' ? `; wrk with ${wrkThreads({ connections: ctx.opts.connections, ...(mix ? { tokens: [] } : {}) })} threads` : '';

/** "its signer answered 120 /verify calls for 80000 answers (0.2 per 100 requests)" and what that means. */
function cacheLine(cache: { verifies: number; answers: number }): string {
  const per100 = cache.answers > 0 ? (cache.verifies / cache.answers) * 100 : Number.NaN;
  const working = per100 < 50 ? 'the nginx auth cache answers most requests' : 'the nginx auth cache is not at work (AUTH_CACHE_TTL_S not implemented yet, or nothing cacheable): (c) measured like (b)';
  return `(c): its signer answered ${cache.verifies} /verify calls for ${cache.answers} answers (${per100.toFixed(1)} per 100 requests): ${working}`;
}

/** Load generator CPU and latency resolution, which bound what the table can tell. */
function generatorLine(ctx: BenchContext, rows: readonly Row[]): string {
  const busiest = Math.max(...rows.flatMap((r) => r.runs.map((x) => x.generatorCpuPct)));
  const resolution = ctx.generator.name === 'autocannon' ? '; latencies have 1 ms resolution' : '';
  return `load generator CPU: up to ${busiest.toFixed(0)}% of one core in a run${busiest > 85 && ctx.generator.name === 'autocannon' ? ' - near saturation, so the fastest setups (and their ratios) are understated' : ''}${resolution}`;
}

/** The issue's table and what the signers said about it. */
export function throughputSection(ctx: BenchContext, t: ThroughputResult): void {
  const { opts, say } = ctx;
  say();
  say(`== Throughput: GET ${opts.path} with one valid bearer token, ${opts.connections} keepalive connections, ${opts.duration} s per run, ${opts.rounds} interleaved rounds (median), ${opts.warmup} s warm-up per setup${threadsNote(ctx, false)}`);
  say(resultsTable(t.rows, refsOf(t.rows)));
  if (t.signerB) {
    const s = t.signerB;
    say(`(b)'s signer over its measured runs: ${s.verifies} /verify calls; decision inside the handler ${s.decisionUs.toFixed(0)} µs mean (wall time, waits in the busy event loop included); signer CPU ${s.cpuUs.toFixed(0)} µs per /verify (all its CPU / calls); RSS ${s.rssMiB.toFixed(0)} MiB at the end`);
  }
  if (t.cacheC) say(cacheLine(t.cacheC));
  if (t.rows.some((r) => r.key === 'e')) say('(e) checks in Lua what the signer checks of an HS256 access token (shape, alg, typ, signature, exp/nbf/iat with leeway, iss/aud, sub/roles), but no revocation and no policy');
  for (const label of t.noKeepalive) say(`warning: ${label} answers Connection: close, so every request opens a new connection; its latencies are not comparable`);
  say(generatorLine(ctx, t.rows));
}

/** The token mix's table, and its answers by kind of token. */
export function mixSection(ctx: BenchContext, m: MixResult): void {
  const { opts, say } = ctx;
  say();
  say(`== Token mix: ${m.plan.valid} valid tokens (one user each), ${m.plan.expired} expired, ${m.plan.forged} with a bad signature, ${m.plan.malformed} malformed, in a fixed shuffled order; GET ${opts.path}, ${opts.connections} connections, ${opts.mixDuration} s per run, ${opts.rounds} rounds (median)${threadsNote(ctx, true)}`);
  say('errors = answers other than the token\'s own expected one (2xx for a valid token, 401 for any other); (a) checks nothing, so it must answer 2xx to every one');
  say(resultsTable(m.rows, refsOf(m.rows)));
  for (const r of m.rows) say(`  ${r.key}: ${kindsLine(r)}`);
  if (m.cacheC) say(cacheLine(m.cacheC));
}

/** The memory run's samples and verdict. */
export function memorySection(ctx: BenchContext, m: MemoryResult): void {
  const { opts, say } = ctx;
  say();
  say(`== Memory: (b)'s signer under ${m.tokens} distinct valid tokens sent over and over, ${opts.memoryWarmup} s warm-up + ${opts.memoryDuration} s, ${opts.connections} connections; RSS from its /metrics`);
  say(`RSS (MiB) at ${m.verdict.samples.map((s) => `${s.atS.toFixed(0)}s ${(s.rssBytes / 2 ** 20).toFixed(0)}`).join(', ')}`);
  say(`${m.verdict.pass ? 'PASS' : 'FAIL'}: ${m.verdict.summary}`);
  say(`load meanwhile: ${m.run.requestsPerSec.toFixed(0)} req/s, p99 ${m.run.p99Ms.toFixed(2)} ms, ${m.run.unexpected} unexpected answers, ${m.run.connectionErrors} connection errors`);
}

/** Logins through nginx and straight to the signer, and the signer's own cost per login. */
export function loginSection(ctx: BenchContext, l: LoginResult): void {
  const { opts, say } = ctx;
  const ok = (r: LoginResult['direct']) => r.statuses['200'] ?? 0;
  say();
  say(`== Logins: POST /login as the demo user, ${opts.loginConnections} connections, ${opts.loginDuration} s each`);
  const refused = describeStatuses(l.viaNginx.statuses, (c) => c === 200);
  say(
    `through nginx: ${(ok(l.viaNginx) / l.viaNginx.durationS).toFixed(1)} logins/s (${ok(l.viaNginx)} x 200${refused ? `, ${refused}` : ''}); ` +
      "the template's limit_req on /login (5 r/s, burst 20, per client address) refuses the rest with 429: every request here comes from 127.0.0.1, so this is that designed limit, not the signer's capacity",
  );
  const other = describeStatuses(l.direct.statuses, (c) => c === 200);
  say(`straight to the signer: ${(ok(l.direct) / l.direct.durationS).toFixed(1)} logins/s, p50 ${l.direct.p50Ms.toFixed(1)} ms, p99 ${l.direct.p99Ms.toFixed(1)} ms${other ? `, other answers: ${other}` : ', every answer 200'}`);
  say(
    `cost per login: the signer's own CPU ${l.signer.cpuMs.toFixed(2)} ms (token signing, session store, express; from its process_cpu_seconds_total), ` +
      `the demo app's CPU ${l.appCpuMs.toFixed(1)} ms (mostly its argon2id password hash; from /proc), a login's mean wall time in the signer ${l.signer.wallMs.toFixed(1)} ms (waiting on the app included)`,
  );
}

/** The issue's targets, each met or missed with its numbers. */
export function targetSection(ctx: BenchContext, targets: readonly TargetCheck[]): void {
  ctx.say();
  ctx.say('== Targets (issue 7)');
  for (const t of targets) ctx.say(formatTarget(t));
}
