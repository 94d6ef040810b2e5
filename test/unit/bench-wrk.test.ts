import { describe, expect, it } from 'vitest';
import { parseWrkReport } from '../../bench/load/wrk-report.js';
import { splitTokens, wrkThreads } from '../../bench/load/wrk.js';
import { isExpected } from '../../bench/load/types.js';

const RUN = 'tg-bench run answers=1200 duration_us=3000000 p50_us=1500 p99_us=9000 cpu_s=0.250 connect=0 read=2 write=0 timeout=1';

describe('reading the report wrk-counts.lua prints', () => {
  it('reads the run line, statuses and kinds among wrk’s own output', () => {
    const out = [
      'Running 3s test @ http://127.0.0.1:1/',
      '  2 threads and 50 connections',
      RUN,
      'tg-bench status 200 1100',
      'tg-bench status 401 100',
      'tg-bench kind valid answers=1100 unexpected=0',
      'tg-bench kind expired answers=100 unexpected=3',
      'Requests/sec: 400.00',
    ].join('\n');
    expect(parseWrkReport(out)).toEqual({
      answers: 1200,
      durationUs: 3_000_000,
      p50Us: 1500,
      p99Us: 9000,
      cpuS: 0.25,
      socket: { connect: 0, read: 2, write: 0, timeout: 1 },
      statuses: { '200': 1100, '401': 100 },
      kinds: { valid: { answers: 1100, unexpected: 0 }, expired: { answers: 100, unexpected: 3 } },
      repeats: 0,
    });
  });

  it('reads how many requests sent a token again', () => {
    expect(parseWrkReport(`${RUN}\ntg-bench repeats 42`).repeats).toBe(42);
    expect(parseWrkReport(`${RUN}\ntg-bench repeats x`).repeats).toBe(0);
  });

  it.each([
    ['no report at all', 'Running 3s test\nRequests/sec: 1.00'],
    ['a run line that lost a field', RUN.replace(' timeout=1', '')],
  ])('refuses %s', (_name, out) => {
    expect(() => parseWrkReport(out)).toThrow(/no complete report/);
  });

  it('ignores malformed status lines rather than guess', () => {
    expect(parseWrkReport(`${RUN}\ntg-bench status 20x 5\ntg-bench status 200`).statuses).toEqual({});
  });
});

describe('wrk threads and token files', () => {
  const valid = { token: 't', kind: 'valid', expect: 0 };
  const expired = { token: 'x', kind: 'expired', expect: 401 };

  it('runs one connection per thread with a mix of expected answers, so each answer belongs to its thread’s one request', () => {
    expect(wrkThreads({ connections: 50, threads: 1, tokens: [valid, expired] })).toBe(50);
  });

  it('runs the threads asked for with a mix when the app echoes each request’s line number', () => {
    expect(wrkThreads({ connections: 64, threads: 1, echo: true, tokens: [valid, expired] })).toBe(1);
  });

  it('runs the threads asked for (one per core by default), never more than the connections, when every answer is the same', () => {
    expect(wrkThreads({ connections: 64, threads: 1, tokens: [valid, valid] })).toBe(1);
    expect(wrkThreads({ connections: 64, threads: 1 })).toBe(1);
    expect(wrkThreads({ connections: 1 })).toBe(1);
    expect(wrkThreads({ connections: 2, threads: 8 })).toBe(2);
    expect(wrkThreads({ connections: 1000 })).toBeLessThanOrEqual(1000);
  });

  it('deals the tokens round-robin, one line each with its expectation and kind', () => {
    const tokens = ['t1', 't2', 't3', 't4', 't5'].map((token, i) => ({ token, kind: i === 4 ? 'expired' : 'valid', expect: i === 4 ? 401 : 0 }));
    expect(splitTokens(tokens, 2)).toEqual([
      ['0 valid t1', '0 valid t3', '401 expired t5'],
      ['0 valid t2', '0 valid t4'],
    ]);
  });
});

describe('what counts as the expected answer', () => {
  it.each([
    [0, 200, true],
    [0, 204, true],
    [0, 302, false],
    [0, 401, false],
    [401, 401, true],
    [401, 200, false],
    [200, 429, false],
  ])('expecting %s, a %s is %s', (expect_, status, ok) => {
    expect(isExpected(expect_, status)).toBe(ok);
  });
});
