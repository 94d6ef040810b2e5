import type { KindCount, RunResult } from '../load/types.js';

/** A setup's medians over the rounds, its sums, and its raw runs. */
export interface Row {
  key: string;
  label: string;
  runs: RunResult[];
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers other than expected, summed over the runs: the "errors". */
  unexpected: number;
  /** No answer at all (connection errors, timeouts), summed: reported apart. */
  connectionErrors: number;
  answers: number;
  /** Answers and unexpected ones by kind of request, summed. */
  kinds: Record<string, KindCount>;
}

/** The median of a non-empty list (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('the median of nothing');
  const s = [...values].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Medians of rate and latencies; counts are summed over the rounds. */
export function summarize(key: string, label: string, runs: RunResult[]): Row {
  const kinds: Record<string, KindCount> = {};
  for (const r of runs) {
    for (const [kind, c] of Object.entries(r.kinds)) {
      const sum = (kinds[kind] ??= { answers: 0, unexpected: 0 });
      sum.answers += c.answers;
      sum.unexpected += c.unexpected;
    }
  }
  const sum = (f: (r: RunResult) => number) => runs.reduce((s, r) => s + f(r), 0);
  return {
    key,
    label,
    runs,
    requestsPerSec: median(runs.map((r) => r.requestsPerSec)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    unexpected: sum((r) => r.unexpected),
    connectionErrors: sum((r) => r.connectionErrors),
    answers: sum((r) => r.answers),
    kinds,
  };
}

/** `a / b` as a whole percentage, or undefined when there is no reference. */
export function percentOf(a: number, b: number | undefined): number | undefined {
  return b === undefined || !(b > 0) ? undefined : (a / b) * 100;
}

/** The statuses that were not expected: "12 x 502, 3 x 429" (every status but 2xx for a fixed request). */
export function describeStatuses(statuses: Record<string, number>, skip: (code: number) => boolean): string {
  return Object.entries(statuses)
    .filter(([code]) => !skip(Number(code)))
    .map(([code, n]) => `${n} x ${code}`)
    .join(', ');
}
