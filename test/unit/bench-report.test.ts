import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../bench/load/types.js';
import { describeStatuses, median, percentOf, summarize, type Row } from '../../bench/report/rows.js';
import { formatTable, kindsLine, resultsTable } from '../../bench/report/table.js';
import { checkTarget, checkTargets, formatTarget, TARGETS, targetName } from '../../bench/report/targets.js';
import { judgeMemory } from '../../bench/phases/memory-verdict.js';

const run = (requestsPerSec: number, over: Partial<RunResult> = {}): RunResult => ({
  requestsPerSec,
  p50Ms: 5,
  p99Ms: 20,
  answers: requestsPerSec * 8,
  unexpected: 0,
  statuses: { '200': requestsPerSec * 8 },
  connectionErrors: 0,
  kinds: { fixed: { answers: requestsPerSec * 8, unexpected: 0 } },
  durationS: 8,
  repeats: 0,
  generatorCpuPct: 10,
  ...over,
});
const row = (key: string, rps: number, over: Partial<RunResult> = {}): Row => summarize(key, `(${key})`, [run(rps, over)]);

describe('medians and sums over rounds', () => {
  it.each([
    [[3], 3],
    [[5, 1, 3], 3],
    [[4, 1, 3, 2], 2.5],
  ])('the median of %j is %s', (values, m) => {
    expect(median(values)).toBe(m);
  });

  it('refuses the median of nothing', () => {
    expect(() => median([])).toThrow(RangeError);
  });

  it('takes medians of rates and latencies and sums errors and kinds', () => {
    const r = summarize('b', '(b)', [run(100, { p99Ms: 30, unexpected: 1 }), run(300, { p99Ms: 10, connectionErrors: 2 }), run(200, { p99Ms: 20 })]);
    expect(r).toMatchObject({
      requestsPerSec: 200,
      p99Ms: 20,
      unexpected: 1,
      connectionErrors: 2,
      answers: 4800,
      kinds: { fixed: { answers: 4800, unexpected: 0 } },
    });
  });

  it('gives no ratio without a positive reference', () => {
    expect(percentOf(50, 200)).toBe(25);
    expect(percentOf(50, undefined)).toBeUndefined();
    expect(percentOf(50, 0)).toBeUndefined();
  });

  it('lists the statuses that were not expected', () => {
    expect(describeStatuses({ '200': 10, '429': 3, '503': 1 }, (c) => c === 200)).toBe('3 x 429, 1 x 503');
  });
});

describe('the tables', () => {
  it('aligns columns under a rule', () => {
    expect(
      formatTable(
        ['setup', 'n'],
        [
          ['a', '1'],
          ['bbb', '22'],
        ],
      ),
    ).toBe('setup   n\n-----  --\na       1\nbbb    22');
  });

  it('gives each setup its ratio to (a) and to (e), and n/a without (e)', () => {
    const rows = [row('a', 1000), row('b', 600), row('e', 1200)];
    const lines = resultsTable(rows, { limit: rows[0], reference: rows[2] }).split('\n');
    expect(lines[3]).toMatch(/\(b\).*600.*60%\s+50%\s+1\.00x$/);
    expect(resultsTable(rows.slice(0, 2), { limit: rows[0] }).split('\n')[3]).toMatch(/60%\s+n\/a/);
  });

  it('sums up the mix by kind', () => {
    const r = summarize('b', '(b)', [run(1, { kinds: { valid: { answers: 9, unexpected: 0 }, expired: { answers: 1, unexpected: 1 } } })]);
    expect(kindsLine(r)).toBe('expired 1 (1 unexpected), valid 9 (0 unexpected)');
  });
});

describe('the issues’ targets', () => {
  const status = (checks: ReturnType<typeof checkTargets>, start: string) => checks.find((c) => c.target.startsWith(start))?.status;
  const spec = (start: string) => TARGETS.find((t) => targetName(t).startsWith(start))!;

  it('names each target by its table, part and bound', () => {
    expect(TARGETS.map(targetName)).toEqual([
      '[fast, first sight] (b) stock template, uncached >= 45% of (a)',
      '[fast, one token] (c) stock auth cache >= 67% of (a)',
      '[fast, 10k mix] (f) OpenResty front >= 90% of (a)',
      "[fast, 10k mix] (f) OpenResty front p99 <= 1.5x (a)'s",
      '[demo, one token] (b) as shipped >= 60% of (a)',
      "[demo, one token] (b) as shipped p99 <= 2x (a)'s",
      '[demo, one token] (c) auth cache >= 95% of (a)',
      '[demo, one token] (c) auth cache >= 100% of (e)',
    ]);
  });

  it('meets issue 15’s fast-app targets at exactly 45% and 67%, and misses them below', () => {
    const tables = (b: number, c: number) => ({ fast: { firstSight: [row('a', 1000), row('b', b)], throughput: [row('a', 1000), row('c', c)] } });
    const met = checkTargets({ tables: tables(450, 670) });
    expect([status(met, '[fast, first sight] (b)'), status(met, '[fast, one token] (c)')]).toEqual(['met', 'met']);
    const missed = checkTargets({ tables: tables(449, 669) });
    expect([status(missed, '[fast, first sight] (b)'), status(missed, '[fast, one token] (c)')]).toEqual(['missed', 'missed']);
    expect(formatTarget(missed[0]!)).toBe('missed   [fast, first sight] (b) stock template, uncached >= 45% of (a): (b 449 req/s) is 45% of (a 1000 req/s)');
  });

  it('checks (f) in the fast table’s mix against 90% of (a) and 1.5x its p99, once (f) runs', () => {
    const mix = (rps: number, p99Ms: number) => ({ fast: { mix: [row('a', 1000), row('f', rps, { p99Ms })] } });
    expect([
      status(checkTargets({ tables: mix(900, 30) }), '[fast, 10k mix] (f) OpenResty front >='),
      status(checkTargets({ tables: mix(900, 30) }), '[fast, 10k mix] (f) OpenResty front p99'),
    ]).toEqual(['met', 'met']);
    expect([
      status(checkTargets({ tables: mix(899, 31) }), '[fast, 10k mix] (f) OpenResty front >='),
      status(checkTargets({ tables: mix(899, 31) }), '[fast, 10k mix] (f) OpenResty front p99'),
    ]).toEqual(['missed', 'missed']);
  });

  it('keeps issue 7’s targets on the demo table', () => {
    const met = checkTargets({ tables: { demo: { throughput: [row('a', 1000), row('b', 600, { p99Ms: 40 }), row('c', 950), row('e', 950)] } } });
    expect(met.filter((c) => c.target.startsWith('[demo')).map((c) => c.status)).toEqual(['met', 'met', 'met', 'met']);
    const missed = checkTargets({ tables: { demo: { throughput: [row('a', 1000), row('b', 599, { p99Ms: 41 }), row('c', 949), row('e', 950)] } } });
    expect(missed.filter((c) => c.target.startsWith('[demo')).map((c) => c.status)).toEqual(['missed', 'missed', 'missed', 'missed']);
  });

  it.each([
    ['a table left out', {}, /the fast table was not part of this run/],
    ['a part left out', { fast: { throughput: [row('a', 1000)] } }, /first sight part was not run \(--only without first-sight\)/],
    ['a setup that did not run', { fast: { firstSight: [row('a', 1000)] } }, /\(b\) did not run in this table/],
    ['its reference missing', { fast: { firstSight: [row('b', 1000)] } }, /\(a\) did not run in this table/],
  ])('prints "not run" for %s, never a verdict', (_name, tables, detail) => {
    const c = checkTarget(spec('[fast, first sight] (b)'), tables);
    expect(c.status).toBe('not run');
    expect(c.detail).toMatch(detail);
  });

  it('reports (f) as not run while the bench has no (f), and the memory run when left out', () => {
    const checks = checkTargets({ tables: { fast: { mix: [row('a', 1000), row('b', 600)] } } });
    expect(status(checks, '[fast, 10k mix] (f)')).toBe('not run');
    expect(status(checks, 'signer RSS')).toBe('not run');
  });

  it('counts an unexpected answer or a connection error in any run of any part of any table as an error', () => {
    const clean = [row('a', 1000), row('b', 600)];
    expect(status(checkTargets({ tables: { fast: { throughput: clean, mix: clean }, demo: { firstSight: clean } } }), 'no errors')).toBe('met');
    expect(status(checkTargets({ tables: { fast: { throughput: clean }, demo: { mix: [row('b', 600, { unexpected: 1 })] } } }), 'no errors')).toBe('missed');
    expect(checkTargets({ tables: { fast: { firstSight: [row('a', 1000, { connectionErrors: 1 })] } } }).at(-1)?.detail).toBe(
      'fast first sight a: 0 unexpected answers, 1 connection errors',
    );
    expect(status(checkTargets({ tables: {} }), 'no errors')).toBe('not run');
  });
});

describe('judging the signer’s memory', () => {
  const MiB = 2 ** 20;
  const samples = (mibs: number[]) => mibs.map((m, i) => ({ atS: i * 5, rssBytes: m * MiB }));

  it('passes RSS that stays within 10% of the first half after the warm-up, whatever it did during it', () => {
    const v = judgeMemory(samples([50, 90, 100, 102, 98, 101, 104, 99]), 10);
    expect(v.pass).toBe(true);
    expect(v.firstHalfMiB).toBeCloseTo(100, 5);
  });

  it('fails a slow climb', () => {
    const v = judgeMemory(samples([100, 100, 104, 108, 112, 116, 120]), 0);
    expect(v.pass).toBe(false);
    expect(v.secondHalfMiB).toBeGreaterThan(v.firstHalfMiB);
  });

  it('will not judge from fewer than four samples', () => {
    const v = judgeMemory(samples([100, 100, 100, 100]), 10);
    expect(v.pass).toBe(false);
    expect(v.summary).toMatch(/only 2 RSS samples/);
  });
});
