import { cpus } from 'node:os';
import type { BenchContext } from './phases/context.js';
import type { FirstSightResult } from './phases/first-sight.js';
import type { LoginResult } from './phases/logins.js';
import type { MemoryResult } from './phases/memory.js';
import type { MixResult } from './phases/mix.js';
import type { SignerNotes } from './phases/signers.js';
import type { ThroughputResult } from './phases/throughput.js';
import { describeStatuses, type Row } from './report/rows.js';
import { kindsLine, resultsTable } from './report/table.js';
import { formatTarget, type TargetCheck } from './report/targets.js';
import { wrkThreads } from './load/wrk.js';

const refsOf = (rows: readonly Row[]) => ({ limit: rows.find((r) => r.key === 'a'), reference: rows.find((r) => r.key === 'e') });
/** wrk threads of a part; `matched`: its answers must be matched to their tokens (the mix). */
const threadsOf = (ctx: BenchContext, matched: boolean) =>
  matched && !ctx.table.echo ? ctx.table.connections : wrkThreads({ connections: ctx.table.connections, threads: ctx.table.threads });
/** How wrk ran, and how a mix's answers were matched to their tokens. */
function threadsNote(ctx: BenchContext, matched: boolean): string {
  if (ctx.generator.name !== 'wrk') return '';
  const how = !matched
    ? ''
    : ctx.table.echo
      ? ' (each pass matched to its token by the line number the app echoes in X-Tg-Seq, each refusal to the oldest waiting token that expects one)'
      : ' (one per connection, so each answer is matched to its token)';
  return `; wrk with ${plural(threadsOf(ctx, matched), 'thread')}${how}`;
}
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const head = (ctx: BenchContext, title: string) => `== [${ctx.table.key}] ${title}`;

/** "its signer answered 120 /verify calls for 80000 answers (0.2 per 100 requests)" and what that means. */
function cacheLine(cache: { verifies: number; answers: number }, firstSight: boolean): string {
  const per100 = cache.answers > 0 ? (cache.verifies / cache.answers) * 100 : Number.NaN;
  const working = firstSight
    ? 'every first sight goes to the signer, and its pass is then stored'
    : per100 < 50
      ? 'the nginx auth cache answers most requests'
      : 'the nginx auth cache is not at work: (c) measured like (b)';
  return `(c): its signer answered ${cache.verifies} /verify calls for ${cache.answers} answers (${per100.toFixed(1)} per 100 requests): ${working}`;
}

/** (b)'s signer's cost per /verify over a part, and (c)'s cache at work. */
function signerLines(ctx: BenchContext, notes: SignerNotes, firstSight = false): void {
  const s = notes.signerB;
  if (s) {
    ctx.say(
      `(b)'s signer: ${s.verifies} /verify calls; decision inside the handler ${s.decisionUs.toFixed(0)} µs mean (wall time, waits in the busy event loop included); signer CPU ${s.cpuUs.toFixed(0)} µs per /verify (all its CPU / calls); RSS ${s.rssMiB.toFixed(0)} MiB at the end`,
    );
  }
  if (notes.cacheC) ctx.say(cacheLine(notes.cacheC, firstSight));
}

/** Load generator CPU and latency resolution, which bound what the table can tell. */
function generatorLine(ctx: BenchContext, rows: readonly Row[], matched = false): string {
  const busiest = Math.max(...rows.flatMap((r) => r.runs.map((x) => x.generatorCpuPct)));
  const resolution = ctx.generator.name === 'autocannon' ? '; latencies have 1 ms resolution' : '';
  // What it can use at most: one core per thread, and no more than the machine's.
  const threads = ctx.generator.name === 'wrk' ? Math.min(threadsOf(ctx, matched), cpus().length) : 1;
  const saturated = busiest > 85 * threads ? ' - near saturation, so the fastest setups (and their ratios to the others) are understated' : '';
  return `load generator CPU: up to ${busiest.toFixed(0)}% of one core in a run${saturated}${resolution}`;
}

/** The table's heading: its app, its load, what did not run, and what was checked first. */
export function tableSection(ctx: BenchContext, sanity: string): void {
  const { say, table } = ctx;
  say();
  say(`=== ${table.name} table: every setup in front of ${table.app}`);
  say(
    `${table.connections} keepalive connections; ratios are to (a) of this table. The load generator, nginx, the signers and the apps share this machine's cores: only ratios within one table of one run mean anything`,
  );
  say(`sanity check: ${sanity}`);
  for (const n of ctx.started.notRun) say(`not run: ${n}`);
}

/** The steady state with one token. */
export function throughputSection(ctx: BenchContext, t: ThroughputResult): void {
  const { opts, say } = ctx;
  say();
  say(
    head(
      ctx,
      `Steady state, one token: GET ${opts.path} with one valid bearer token, ${opts.duration} s per run, ${opts.rounds} interleaved rounds (median), ${opts.warmup} s warm-up per setup${threadsNote(ctx, false)}`,
    ),
  );
  say(resultsTable(t.rows, refsOf(t.rows)));
  signerLines(ctx, t);
  if (t.rows.some((r) => r.key === 'e'))
    say(
      '(e) checks in Lua what the signer checks of an HS256 access token (shape, alg, typ, signature, exp/nbf/iat with leeway, iss/aud, sub/roles), but no revocation and no policy',
    );
  for (const label of t.noKeepalive)
    say(`warning: ${label} answers Connection: close, so every request opens a new connection; its latencies are not comparable`);
  say(generatorLine(ctx, t.rows));
}

/** The first sight of every token. */
export function firstSightSection(ctx: BenchContext, f: FirstSightResult): void {
  const { opts, say } = ctx;
  say();
  say(
    head(
      ctx,
      `First sight: every request a valid token the setup has never seen (one user each, ${f.perRound} per round); GET ${opts.path}, ${opts.firstDuration} s per run, ${opts.rounds} interleaved rounds (median)${threadsNote(ctx, false)}`,
    ),
  );
  say(resultsTable(f.rows, refsOf(f.rows)));
  signerLines(ctx, f, true);
  for (const r of f.repeated) {
    const share = `${r.repeats} of its ${r.answers} requests (${((r.repeats / Math.max(1, r.answers)) * 100).toFixed(1)}%) sent a token a second time`;
    say(
      r.remembersTokens
        ? `warning: ${r.label}: ${share}; the list ran out, so its row is flattered by its cache`
        : `${r.label}: ${share}; it keeps nothing per token, so that changes nothing`,
    );
  }
  say(generatorLine(ctx, f.rows));
}

/** The token mix's table, and its answers by kind of token. */
export function mixSection(ctx: BenchContext, m: MixResult): void {
  const { opts, say } = ctx;
  say();
  say(
    head(
      ctx,
      `Steady state, token mix: ${m.plan.valid} valid tokens (one user each), ${m.plan.expired} expired, ${m.plan.forged} with a bad signature, ${m.plan.malformed} malformed, in a fixed shuffled order, each setup warmed until it has seen every one; GET ${opts.path}, ${opts.mixDuration} s per run, ${opts.rounds} rounds (median)${threadsNote(ctx, true)}`,
    ),
  );
  say(
    "errors = answers other than the token's own expected one (2xx for a valid token, 401 for any other); (a) checks nothing, so it must answer 2xx to every one",
  );
  say(resultsTable(m.rows, refsOf(m.rows)));
  for (const r of m.rows) say(`  ${r.key}: ${kindsLine(r)}`);
  signerLines(ctx, m);
  if (m.coldStart.length > 0)
    say(`warning: not every token had been sent before the measured rounds (warm-up too short) to: ${m.coldStart.join(', ')}; their rows include first sights`);
  say(generatorLine(ctx, m.rows, true));
}

/** The memory run's samples and verdict. */
export function memorySection(ctx: BenchContext, m: MemoryResult): void {
  const { opts, say } = ctx;
  say();
  say(
    head(
      ctx,
      `Memory: (b)'s signer under ${m.tokens} distinct valid tokens sent over and over, ${opts.memoryWarmup} s warm-up + ${opts.memoryDuration} s, ${ctx.table.connections} connections; RSS from its /metrics`,
    ),
  );
  say(`RSS (MiB) at ${m.verdict.samples.map((s) => `${s.atS.toFixed(0)}s ${(s.rssBytes / 2 ** 20).toFixed(0)}`).join(', ')}`);
  say(`${m.verdict.pass ? 'PASS' : 'FAIL'}: ${m.verdict.summary}`);
  say(
    `load meanwhile: ${m.run.requestsPerSec.toFixed(0)} req/s, p99 ${m.run.p99Ms.toFixed(2)} ms, ${m.run.unexpected} unexpected answers, ${m.run.connectionErrors} connection errors`,
  );
}

/** Logins through nginx and straight to the signer, and the signer's own cost per login. */
export function loginSection(ctx: BenchContext, l: LoginResult): void {
  const { opts, say } = ctx;
  const ok = (r: LoginResult['direct']) => r.statuses['200'] ?? 0;
  say();
  say(head(ctx, `Logins: POST /login as the demo user, ${opts.loginConnections} connections, ${opts.loginDuration} s each`));
  const refused = describeStatuses(l.viaNginx.statuses, (c) => c === 200);
  say(
    `through nginx: ${(ok(l.viaNginx) / l.viaNginx.durationS).toFixed(1)} logins/s (${ok(l.viaNginx)} x 200${refused ? `, ${refused}` : ''}); ` +
      "the template's limit_req on /login (5 r/s, burst 20, per client address) refuses the rest with 429: every request here comes from 127.0.0.1, so this is that designed limit, not the signer's capacity",
  );
  const other = describeStatuses(l.direct.statuses, (c) => c === 200);
  say(
    `straight to the signer: ${(ok(l.direct) / l.direct.durationS).toFixed(1)} logins/s, p50 ${l.direct.p50Ms.toFixed(1)} ms, p99 ${l.direct.p99Ms.toFixed(1)} ms${other ? `, other answers: ${other}` : ', every answer 200'}`,
  );
  say(
    `cost per login: the signer's own CPU ${l.signer.cpuMs.toFixed(2)} ms (token signing, session store, express; from its process_cpu_seconds_total), ` +
      `the demo app's CPU ${l.appCpuMs.toFixed(1)} ms (mostly its argon2id password hash; from /proc), a login's mean wall time in the signer ${l.signer.wallMs.toFixed(1)} ms (waiting on the app included)`,
  );
}

/** The issues' targets, newest issue first, each met, missed or not run with its numbers. */
export function targetSection(say: (line?: string) => void, targets: readonly TargetCheck[]): void {
  say();
  say('== Targets');
  const issues = [...new Set(targets.map((t) => t.issue))].sort((x, y) => y - x);
  for (const issue of issues) {
    say(`issue ${issue}:`);
    for (const t of targets.filter((x) => x.issue === issue)) say(`  ${formatTarget(t)}`);
  }
}
