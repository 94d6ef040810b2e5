import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../bench/load/types.js';
import { describeStatuses, median, percentOf, summarize, type Row } from '../../bench/report/rows.js';
import { formatTable, kindsLine, resultsTable } from '../../bench/report/table.js';
import { checkTargets } from '../../bench/report/targets.js';
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
    expect(r).toMatchObject({ requestsPerSec: 200, p99Ms: 20, unexpected: 1, connectionErrors: 2, answers: 4800, kinds: { fixed: { answers: 4800, unexpected: 0 } } });
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
    expect(formatTable(['setup', 'n'], [['a', '1'], ['bbb', '22']])).toBe('setup   n\n-----  --\na       1\nbbb    22');
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

describe('the issue’s targets', () => {
  const status = (checks: ReturnType<typeof checkTargets>, start: string) => checks.find((c) => c.target.startsWith(start))?.status;

  it('meets the rate targets at exactly 60% and 95%, and misses them below', () => {
    const met = checkTargets({ throughput: [row('a', 1000), row('b', 600), row('c', 950), row('e', 950)] });
    expect([status(met, '(b) as shipped'), status(met, '(c) auth cache >= 95%'), status(met, '(c) auth cache >= (e)')]).toEqual(['met', 'met', 'met']);
    const missed = checkTargets({ throughput: [row('a', 1000), row('b', 599), row('c', 949), row('e', 950)] });
    expect([status(missed, '(b) as shipped'), status(missed, '(c) auth cache >= 95%'), status(missed, '(c) auth cache >= (e)')]).toEqual(['missed', 'missed', 'missed']);
  });

  it('checks (b)’s p99 against twice (a)’s', () => {
    expect(status(checkTargets({ throughput: [row('a', 1000), row('b', 600, { p99Ms: 40 })] }), '(b) p99')).toBe('met');
    expect(status(checkTargets({ throughput: [row('a', 1000), row('b', 600, { p99Ms: 41 })] }), '(b) p99')).toBe('missed');
  });

  it('says what was not measured instead of passing it', () => {
    const checks = checkTargets({ throughput: [row('a', 1000), row('b', 600), row('c', 990)] });
    expect(status(checks, '(c) auth cache >= (e)')).toBe('not measured');
    expect(status(checks, 'signer RSS')).toBe('not measured');
  });

  it('counts an unexpected answer or a connection error in any run of any part as an error', () => {
    const clean = [row('a', 1000), row('b', 600)];
    expect(status(checkTargets({ throughput: clean, mix: clean }), 'no errors')).toBe('met');
    expect(status(checkTargets({ throughput: clean, mix: [row('b', 600, { unexpected: 1 })] }), 'no errors')).toBe('missed');
    expect(status(checkTargets({ throughput: [row('a', 1000, { connectionErrors: 1 })] }), 'no errors')).toBe('missed');
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
