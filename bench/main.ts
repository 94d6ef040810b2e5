import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkNginx, findNginx } from '../scripts/stack/nginx.js';
import { ROOT } from '../scripts/stack/paths.js';
import { deadlineS, describeBudget, estimateBudget } from './budget.js';
import { chooseGenerator } from './load/generator.js';
import { parseOptions } from './options.js';
import type { BenchContext } from './phases/context.js';
import { runFirstSight, type FirstSightResult } from './phases/first-sight.js';
import { runLogins, type LoginResult } from './phases/logins.js';
import { runMemory, type MemoryResult } from './phases/memory.js';
import { runMix, type MixResult } from './phases/mix.js';
import { runThroughput, type ThroughputResult } from './phases/throughput.js';
import { profilerEnv, takeProfile, type ProfileSummary } from './cpu-prof/collect.js';
import { machine, writeResults } from './report/results.js';
import { checkTargets, type TableRows } from './report/targets.js';
import { firstSightSection, loginSection, memorySection, mixSection, tableSection, targetSection, throughputSection } from './sections.js';
import { checkSetups } from './sanity.js';
import { availableSetups, startSetups, type Started } from './setups.js';
import { tablesOf, type Table, type TableKey } from './tables.js';
import { createMinter, defaultTokenSettings, type Minter } from './tokens/mint.js';
import { createFreshPool, type FreshPool } from './tokens/pool.js';

/**
 * `npm run bench`: for each table (the fast app first, the headline, then the demo app) starts
 * the compared setups side by side, drives each with the same load (interleaved rounds, median)
 * with one token, with never-seen tokens and with the token mix, then stops them; the memory run
 * and the logins go with the first table. Prints the tables and the issues' targets, and keeps
 * the raw numbers in bench/results/.
 */

const args = process.argv.slice(2);
const opts = parseOptions(args);
const command =
  process.env.npm_lifecycle_event === 'bench'
    ? `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`
    : `node dist/bench/main.js ${args.join(' ')}`.trim();
const workDir = mkdtempSync(join(tmpdir(), 'tokengate-bench-'));
const aborting = new AbortController();
const { generator, note: generatorNote } = chooseGenerator(opts.generator, workDir);
const tables = tablesOf(opts);
const resultsDir = join(ROOT, 'bench', 'results');
let current: Started | undefined;
const lost: string[] = [];
let interrupted = false;
let stopping: Promise<void> | undefined;

/** Stops the current table's processes (safe to call twice), keeping the names of any that died on their own. */
const stopTable = async () => {
  const s = current;
  current = undefined;
  if (!s) return;
  lost.push(...s.ended().map((e) => `[${s.table.key}] ${e}`));
  await s.stop();
};
/** Stops the load and every process the bench started; safe to call twice. Scratch files stay until `removeScratch`. */
const stopAll = () =>
  (stopping ??= (async () => {
    generator.stop();
    await stopTable();
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

const budget = estimateBudget(
  opts,
  tables.map((t) => ({ ...t, setups: availableSetups().length })),
);
const watchdog = setTimeout(() => {
  aborting.abort(new Error(`the run went past its time limit of ${deadlineS(budget)} s`));
  generator.stop();
}, deadlineS(budget) * 1000);
watchdog.unref();

/** What one table measured. */
interface TableResult {
  table: TableKey;
  sanity: string;
  notRun: string[];
  throughput?: ThroughputResult;
  firstSight?: FirstSightResult;
  mix?: MixResult;
  profile?: ProfileSummary;
}

const date = new Date();
const stamp = date.toISOString().replace(/[:.]/g, '-');
const tokenSettings = defaultTokenSettings();
// One secret for every setup of every table: the first (b) to start makes it.
const secretFile = join(workDir, 'secrets', 'jwt-secret');
const on = (p: (typeof opts.phases)[number]) => opts.phases.includes(p);

/** One table: start its setups, check them, run its parts, stop them. The memory run and the logins go with the first. */
async function runTable(
  table: Table,
  first: boolean,
  shared: { minter?: Minter; fresh?: FreshPool },
): Promise<{ result: TableResult; memory?: MemoryResult; logins?: LoginResult }> {
  progress(`${table.name} table: starting the setups...`);
  const profDir = join(workDir, `cpu-prof-${table.key}`);
  if (opts.cpuProf) mkdirSync(profDir, { recursive: true });
  current = await startSetups({
    table,
    workDir: join(workDir, table.key),
    secretFile,
    signal: aborting.signal,
    tokens: tokenSettings,
    ...(opts.cpuProf ? { signerEnv: profilerEnv(profDir) } : {}),
  });
  const started = current;
  shared.minter ??= await createMinter(secretFile, tokenSettings);
  shared.fresh ??= createFreshPool(shared.minter, (tokenSettings.ttlSeconds * 1000) / 2);
  const ctx: BenchContext = { opts, generator, table, started, minter: shared.minter, fresh: shared.fresh, signal: aborting.signal, say, progress };
  const sanity = await checkSetups(table, started.setups, shared.minter, opts.path);
  tableSection(ctx, sanity);
  const result: TableResult = { table: table.key, sanity, notRun: started.notRun };
  if (on('throughput')) throughputSection(ctx, (result.throughput = await runThroughput(ctx)));
  if (on('first-sight')) firstSightSection(ctx, (result.firstSight = await runFirstSight(ctx, result.throughput?.rows)));
  if (on('mix')) mixSection(ctx, (result.mix = await runMix(ctx)));
  const memory = first && on('memory') ? await runMemory(ctx) : undefined;
  if (memory) memorySection(ctx, memory);
  const logins = first && on('logins') ? await runLogins(ctx) : undefined;
  if (logins) loginSection(ctx, logins);
  if (opts.cpuProf) {
    const profile = await takeProfile(started.shipped.signerPid, profDir, resultsDir, `${stamp}-${table.key}`);
    say();
    if (!profile) say(`== [${table.key}] CPU profile: (b)'s signer wrote none (see its log in the scratch directory)`);
    else {
      result.profile = profile;
      say(
        `== [${table.key}] CPU profile of (b)'s signer over the whole table (${profile.file.slice(ROOT.length + 1)}), self time as a share of its busy samples:`,
      );
      for (const h of profile.hotspots) say(`  ${h.selfPct.toFixed(1).padStart(5)}%  ${h.name}`);
    }
  }
  await stopTable();
  return { result, ...(memory ? { memory } : {}), ...(logins ? { logins } : {}) };
}

try {
  process.stdout.write(`bench: time budget ${describeBudget(budget)}\n`);
  say(`tokengate benchmark, ${date.toISOString()}`);
  say(`command: ${command}`);
  const nginxBin = findNginx();
  const info = machine(nginxBin ? checkNginx(nginxBin).version : 'not installed', generator.description);
  for (const [k, v] of Object.entries(info)) say(`${k}: ${v}`);
  if (generatorNote) say(`note: ${generatorNote}`);
  say(`time budget: ${describeBudget(budget)}`);
  say(`tables: ${tables.map((t) => t.name).join(', then ')}; each table's ratios are to its own (a), the same nginx with no auth in front of the same app`);
  if (opts.cpuProf) say("--cpu-prof: (b)'s signer runs under the V8 profiler, which slows it: this run's (b) numbers are not comparable");

  const shared: { minter?: Minter; fresh?: FreshPool } = {};
  const results: TableResult[] = [];
  let memory: MemoryResult | undefined;
  let logins: LoginResult | undefined;
  for (const [i, table] of tables.entries()) {
    const r = await runTable(table, i === 0, shared);
    results.push(r.result);
    memory ??= r.memory;
    logins ??= r.logins;
  }

  const rowsOf = (r: TableResult): TableRows => ({
    ...(r.throughput ? { throughput: r.throughput.rows } : {}),
    ...(r.firstSight ? { firstSight: r.firstSight.rows } : {}),
    ...(r.mix ? { mix: r.mix.rows } : {}),
  });
  const targets = checkTargets({ tables: Object.fromEntries(results.map((r) => [r.table, rowsOf(r)])), memory: memory?.verdict });
  targetSection(say, targets);
  if (lost.length > 0) say(`warning: processes that ended on their own during the run (a signal from outside the bench?): ${lost.join(', ')}`);
  const notMeasured = (['throughput', 'first-sight', 'mix', 'memory', 'logins'] as const).filter((p) => !on(p)).map((p) => `${p} (left out with --only)`);
  if (notMeasured.length > 0) say(`not measured: ${notMeasured.join('; ')}`);
  say(
    `caveat: the load generator, nginx, the signers and the apps all share this machine's ${cpus().length} cores; only the ratios within one table of one run mean much`,
  );

  await stopAll();
  const files = writeResults(resultsDir, stamp, out.join('\n'), {
    date: date.toISOString(),
    command,
    machine: info,
    options: opts,
    budget,
    tables: results,
    memory,
    logins,
    targets,
    notMeasured,
  });
  process.stdout.write(`\nwritten: ${files.map((f) => f.slice(ROOT.length + 1)).join(', ')}\n`);
  removeScratch();
  clearTimeout(watchdog);
} catch (err) {
  if (!interrupted) {
    const reason = aborting.signal.aborted ? (aborting.signal.reason as Error) : (err as Error);
    const ended = [...lost, ...(current?.ended().map((e) => `[${current?.table.key}] ${e}`) ?? [])];
    const named = ended.length > 0 ? `\nprocesses that ended on their own during the run (a signal from outside the bench?): ${ended.join(', ')}` : '';
    process.stderr.write(`bench: ${reason.message}${named}\n(logs kept in ${workDir})\n`);
    await stopAll();
    process.exit(1);
  }
}
