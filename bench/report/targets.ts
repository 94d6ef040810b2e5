import type { MemoryVerdict } from '../phases/memory-verdict.js';
import { percentOf, type Row } from './rows.js';

/** One of the targets, checked against this run's numbers. */
export interface TargetCheck {
  target: string;
  status: 'met' | 'missed' | 'not measured';
  detail: string;
}

const rate = (r: Row) => `${r.key} ${r.requestsPerSec.toFixed(0)} req/s`;
const verdict = (ok: boolean): TargetCheck['status'] => (ok ? 'met' : 'missed');

/** The rate of `row` against at least `share` (%) of `of`'s, or not measured when either is missing. */
function rateTarget(target: string, row: Row | undefined, of: Row | undefined, share: number): TargetCheck {
  if (!row || !of) return { target, status: 'not measured', detail: `${row ? 'its reference' : 'that setup'} was not measured` };
  const p = percentOf(row.requestsPerSec, of.requestsPerSec)!;
  return { target, status: verdict(p >= share), detail: `(${rate(row)}) is ${p.toFixed(0)}% of (${rate(of)})` };
}

/**
 * The targets on the throughput table (one run's ratios), the token mix's and the memory
 * run's: each met or missed with its numbers, or not measured.
 */
export function checkTargets(input: { throughput?: readonly Row[]; mix?: readonly Row[]; memory?: MemoryVerdict }): TargetCheck[] {
  const by = (key: string) => input.throughput?.find((r) => r.key === key);
  const [a, b, c, e] = [by('a'), by('b'), by('c'), by('e')];
  const checks: TargetCheck[] = [
    rateTarget('(b) as shipped >= 60% of (a)', b, a, 60),
    !a || !b
      ? { target: '(b) p99 <= 2x (a) p99', status: 'not measured', detail: 'the throughput table was not run' }
      : { target: '(b) p99 <= 2x (a) p99', status: verdict(b.p99Ms <= 2 * a.p99Ms), detail: `(b) p99 ${b.p99Ms.toFixed(2)} ms vs (a) ${a.p99Ms.toFixed(2)} ms = ${(b.p99Ms / a.p99Ms).toFixed(2)}x` },
    rateTarget('(c) auth cache >= 95% of (a)', c, a, 95),
    rateTarget('(c) auth cache >= (e) Lua reference', c, e, 100),
  ];
  const m = input.memory;
  checks.push(
    m
      ? { target: 'signer RSS flat within +-10%', status: verdict(m.pass), detail: m.summary }
      : { target: 'signer RSS flat within +-10%', status: 'not measured', detail: 'the memory run was not part of this run (--only)' },
  );
  const rows = [...(input.throughput ?? []).map((r) => ['throughput', r] as const), ...(input.mix ?? []).map((r) => ['mix', r] as const)];
  const bad = rows.filter(([, r]) => r.unexpected > 0 || r.connectionErrors > 0);
  checks.push(
    rows.length === 0
      ? { target: 'no errors in any setup', status: 'not measured', detail: 'no throughput or mix run' }
      : {
          target: 'no errors in any setup',
          status: verdict(bad.length === 0),
          detail: bad.length === 0 ? `every answer was the expected one (${rows.length} setup runs)` : bad.map(([phase, r]) => `${phase} ${r.key}: ${r.unexpected} unexpected answers, ${r.connectionErrors} connection errors`).join('; '),
        },
  );
  return checks;
}

/** "met      (b) as shipped >= 60% of (a): (b 5000 req/s) is 61% of (a 8200 req/s)" */
export const formatTarget = (t: TargetCheck): string => `${t.status.padEnd(12)} ${t.target}: ${t.detail}`;
