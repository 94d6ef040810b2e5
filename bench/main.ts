import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../scripts/stack/paths.js';
import { deadlineS, describeBudget, estimateBudget } from './budget.js';
import { chooseGenerator } from './load/generator.js';
import { luaSupport } from './nginx/lua-module.js';
import { parseOptions } from './options.js';
import type { BenchContext } from './phases/context.js';
import { runLogins } from './phases/logins.js';
import { runMemory } from './phases/memory.js';
import { runMix } from './phases/mix.js';
import { runThroughput } from './phases/throughput.js';
import { profilerEnv, takeProfile } from './cpu-prof/collect.js';
import { machine, writeResults } from './report/results.js';
import { checkTargets } from './report/targets.js';
import { loginSection, memorySection, mixSection, targetSection, throughputSection } from './sections.js';
import { checkSetups } from './sanity.js';
import { startSetups, type Started } from './setups.js';
import { createMinter, defaultTokenSettings } from './tokens/mint.js';

/**
 * `npm run bench`: starts the compared setups side by side, drives each with the same load
 * (interleaved rounds, median), runs the token mix, the memory run and the logins, prints the
 * tables and the issue's targets, and keeps the raw numbers in bench/results/.
 */

const args = process.argv.slice(2);
const opts = parseOptions(args);
const command = process.env.npm_lifecycle_event === 'bench' ? `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}` : `node dist/bench/main.js ${args.join(' ')}`.trim();
const workDir = mkdtempSync(join(tmpdir(), 'tokengate-bench-'));
const profDir = join(workDir, 'cpu-prof');
const aborting = new AbortController();
const { generator, note: generatorNote } = chooseGenerator(opts.generator, workDir);
let started: Started | undefined;
let interrupted = false;
let stopping: Promise<void> | undefined;

/** Stops the load and every process the bench started; safe to call twice. Scratch files stay until `removeScratch`. */
const stopAll = () =>
  (stopping ??= (async () => {
    generator.stop();
    await started?.stop();
  })());
const removeScratch = () => rmSync(workDir, { recursive: true, force: true });

// Handlers first: Ctrl-C during start-up must stop what already started (startStack does, on abort).
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    process.stderr.write(`\nbench: ${sig}, stopping everything it started...\n`);
    interrupted = true;
    aborting.abort(new Error(`interrupted by ${sig}`));
    void stopAll()
      .then(removeScratch)
      .finally(() => process.exit(130));
  });
}

const out: string[] = [];
const say = (line = '') => {
  out.push(line);
  process.stdout.write(`${line}\n`);
};
const progress = (line: string) => process.stdout.write(`  ${line}\n`);

// (a) to (d), and (e) when nginx's Lua module is there; the mix drives the same ones.
const setupCount = luaSupport().ok ? 5 : 4;
const budget = estimateBudget(opts, { throughput: setupCount, mix: setupCount });
const watchdog = setTimeout(() => {
  aborting.abort(new Error(`the run went past its time limit of ${deadlineS(budget)} s`));
  generator.stop();
}, deadlineS(budget) * 1000);
watchdog.unref();

try {
  process.stdout.write(`bench: time budget ${describeBudget(budget)}\nbench: starting the setups...\n`);
  const tokenSettings = defaultTokenSettings();
  if (opts.cpuProf) mkdirSync(profDir, { recursive: true });
  started = await startSetups({
    workDir,
    signal: aborting.signal,
    tokens: tokenSettings,
    ...(opts.cpuProf ? { signerEnv: profilerEnv(profDir) } : {}),
  });
  const minter = await createMinter(started.secretFile, tokenSettings);
  const sanity = await checkSetups(started.setups, minter, opts.path);
  const date = new Date();
  const info = machine(started.nginxVersion, generator.description);
  say(`tokengate benchmark, ${date.toISOString()}`);
  say(`command: ${command}`);
  for (const [k, v] of Object.entries(info)) say(`${k}: ${v}`);
  if (generatorNote) say(`note: ${generatorNote}`);
  say(`time budget: ${describeBudget(budget)}`);
  say(`sanity check: ${sanity}`);
  if (opts.cpuProf) say('--cpu-prof: (b)\'s signer runs under the V8 profiler, which slows it: this run\'s (b) numbers are not comparable');

  const ctx: BenchContext = { opts, generator, started, minter, signal: aborting.signal, say, progress };
  const throughput = opts.phases.includes('throughput') ? await runThroughput(ctx) : undefined;
  if (throughput) throughputSection(ctx, throughput);
  const mix = opts.phases.includes('mix') ? await runMix(ctx) : undefined;
  if (mix) mixSection(ctx, mix);
  const memory = opts.phases.includes('memory') ? await runMemory(ctx) : undefined;
  if (memory) memorySection(ctx, memory);
  const logins = opts.phases.includes('logins') ? await runLogins(ctx) : undefined;
  if (logins) loginSection(ctx, logins);

  const targets = checkTargets({ ...(throughput ? { throughput: throughput.rows } : {}), ...(mix ? { mix: mix.rows } : {}), ...(memory ? { memory: memory.verdict } : {}) });
  targetSection(ctx, targets);
  const lost = started.ended();
  if (lost.length > 0) say(`warning: processes that ended on their own during the run (a signal from outside the bench?): ${lost.join(', ')}`);
  const notMeasured = [...started.notMeasured, ...(['throughput', 'mix', 'memory', 'logins'] as const).filter((p) => !opts.phases.includes(p)).map((p) => `${p} (left out with --only)`)];
  if (notMeasured.length > 0) say(`not measured: ${notMeasured.join('; ')}`);
  say(`caveat: the load generator, nginx, the signers and the apps all share this machine's ${cpus().length} cores; only the ratios mean much`);

  const stamp = date.toISOString().replace(/[:.]/g, '-');
  const profile = opts.cpuProf ? await takeProfile(started.shipped.signerPid, profDir, join(ROOT, 'bench', 'results'), stamp) : undefined;
  if (opts.cpuProf) {
    say();
    if (!profile) say("== CPU profile: (b)'s signer wrote none (see its log in the scratch directory)");
    else {
      say(`== CPU profile of (b)'s signer over the whole run (${profile.file.slice(ROOT.length + 1)}), self time as a share of its busy samples:`);
      for (const h of profile.hotspots) say(`  ${h.selfPct.toFixed(1).padStart(5)}%  ${h.name}`);
    }
  }
  await stopAll();
  const files = writeResults(join(ROOT, 'bench', 'results'), stamp, out.join('\n'), {
    date: date.toISOString(),
    command,
    machine: info,
    options: opts,
    budget,
    sanity,
    throughput,
    mix,
    memory,
    logins,
    targets,
    notMeasured,
    profile,
  });
  process.stdout.write(`\nwritten: ${files.map((f) => f.slice(ROOT.length + 1)).join(', ')}\n`);
  removeScratch();
  clearTimeout(watchdog);
} catch (err) {
  if (!interrupted) {
    const reason = aborting.signal.aborted ? (aborting.signal.reason as Error) : (err as Error);
    const ended = started?.ended() ?? [];
    const lost = ended.length > 0 ? `\nprocesses that ended on their own during the run (a signal from outside the bench?): ${ended.join(', ')}` : '';
    process.stderr.write(`bench: ${reason.message}${lost}\n(logs kept in ${workDir})\n`);
    await stopAll();
    process.exit(1);
  }
}
