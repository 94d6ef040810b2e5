import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../scripts/stack/paths.js';
import { runLoad, stopLoad, type RunResult } from './load.js';
import { keepsAlive } from './keepalive.js';
import { parseOptions } from './options.js';
import { machine, summarize, table, writeResults } from './report.js';
import { startSetups, type Started } from './setups.js';
import { perVerify, sampleSigner } from './signer-metrics.js';

/** "12 x 502, 3 connection errors": what the errors of a run were. */
const describeErrors = (r: RunResult) =>
  [...Object.entries(r.statuses).map(([code, n]) => `${n} x ${code}`), ...(r.connectionErrors > 0 ? [`${r.connectionErrors} connection errors`] : [])].join(', ');

/**
 * `npm run bench`: starts the compared setups side by side, drives each in turn with the same
 * load (interleaved rounds, median), prints the table and keeps the raw numbers in bench/results/.
 */

const args = process.argv.slice(2);
const opts = parseOptions(args);
const command = process.env.npm_lifecycle_event === 'bench' ? `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}` : `node dist/bench/main.js ${args.join(' ')}`.trim();
const workDir = mkdtempSync(join(tmpdir(), 'tokengate-bench-'));
const aborting = new AbortController();
let started: Started | undefined;
let cleaning: Promise<void> | undefined;

/** Stops every process the bench started and removes its scratch directory; safe to call twice. */
const cleanUp = () =>
  (cleaning ??= (async () => {
    stopLoad();
    await started?.stop();
    rmSync(workDir, { recursive: true, force: true });
  })());

// Handlers first: Ctrl-C during start-up must stop what already started (startStack does, on abort).
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    process.stderr.write(`\nbench: ${sig}, stopping everything it started...\n`);
    aborting.abort(new Error(`interrupted by ${sig}`));
    void cleanUp().finally(() => process.exit(130));
  });
}

const out: string[] = [];
const say = (line = '') => {
  out.push(line);
  process.stdout.write(`${line}\n`);
};

try {
  process.stdout.write('bench: starting the setups...\n');
  started = await startSetups(workDir, aborting.signal);
  const acVersion = (JSON.parse(readFileSync(join(ROOT, 'node_modules/autocannon/package.json'), 'utf8')) as { version: string }).version;
  const info = machine(started.nginxVersion, acVersion);
  const date = new Date();
  say(`tokengate benchmark, ${date.toISOString()}`);
  say(`command: ${command}`);
  for (const [k, v] of Object.entries(info)) say(`${k}: ${v}`);
  say(`load: GET ${opts.path}, ${opts.connections} keepalive connections, ${opts.duration} s per run, ${opts.rounds} interleaved rounds (median), ${opts.warmup} s warm-up per setup`);
  say();

  const { setups } = started;
  const closing: string[] = [];
  for (const s of setups) if (!(await keepsAlive(`${s.url}${opts.path}`, await s.headers()))) closing.push(s.label);
  if (opts.warmup > 0) {
    for (const s of setups) {
      process.stdout.write(`warm-up ${s.label}...\n`);
      await runLoad({ url: `${s.url}${opts.path}`, headers: await s.headers(), connections: opts.connections, duration: opts.warmup });
      aborting.signal.throwIfAborted();
    }
  }
  const signerBefore = await sampleSigner(started.signerUrl);
  const runs = new Map<string, RunResult[]>(setups.map((s) => [s.key, []]));
  for (let round = 0; round < opts.rounds; round++) {
    // Each round starts with another setup, so a slow drift of the machine does not favour one.
    for (let i = 0; i < setups.length; i++) {
      const s = setups[(i + round) % setups.length]!;
      const r = await runLoad({ url: `${s.url}${opts.path}`, headers: await s.headers(), connections: opts.connections, duration: opts.duration });
      // A stopped run (Ctrl-C) ends early: it is not a result.
      aborting.signal.throwIfAborted();
      runs.get(s.key)!.push(r);
      process.stdout.write(`round ${round + 1}/${opts.rounds} ${s.label}: ${r.requestsPerSec.toFixed(0)} req/s, p99 ${r.p99Ms.toFixed(2)} ms, ${r.errors} errors${r.errors > 0 ? ` (${describeErrors(r)})` : ''}, load generator ${r.generatorCpuPct.toFixed(0)}% CPU\n`);
    }
  }
  const signer = perVerify(signerBefore, await sampleSigner(started.signerUrl));

  const rows = setups.map((s) => summarize(s.key, s.label, runs.get(s.key)!));
  say(table(rows));
  say();
  say(`signer of (b), over its measured runs: ${signer.verifies} /verify calls; decision inside the handler ${signer.decisionUs.toFixed(0)} µs mean (wall time, waits in the busy event loop included); signer CPU ${signer.cpuUs.toFixed(0)} µs per /verify (all its CPU during the runs / calls; a --cpu-prof flame would split it); RSS ${signer.rssMiB.toFixed(0)} MiB at the end`);
  for (const label of closing) say(`warning: ${label} answers Connection: close, so every request opens a new connection (no client keepalive); its latencies as autocannon reports them are not comparable`);
  const busiest = Math.max(...rows.flatMap((r) => r.runs.map((x) => x.generatorCpuPct)));
  say(`load generator CPU: up to ${busiest.toFixed(0)}% of one core in a run${busiest > 85 ? ' - near saturation, so the fastest setups (and their ratios) are understated' : ''}; latencies have 1 ms resolution`);
  say(`not measured: ${started.notMeasured.join('; ')}`);
  say('caveat: the load generator runs in this Node process on the same cores as nginx and the signer, and follows the nginx access logs; on a 2-core machine only the ratios mean much');

  const stamp = date.toISOString().replace(/[:.]/g, '-');
  const files = writeResults(join(ROOT, 'bench', 'results'), stamp, out.join('\n'), { date: date.toISOString(), command, machine: info, options: opts, rows, signer, noKeepalive: closing, notMeasured: started.notMeasured });
  process.stdout.write(`\nwritten: ${files.map((f) => f.slice(ROOT.length + 1)).join(', ')}\n`);
  await cleanUp();
} catch (err) {
  if (!aborting.signal.aborted) {
    process.stderr.write(`bench: ${(err as Error).message}\n(logs kept in ${workDir})\n`);
    stopLoad();
    await started?.stop();
    process.exit(1);
  }
}
