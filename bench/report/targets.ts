import type { MemoryVerdict } from '../phases/memory-verdict.js';
import type { TableKey } from '../tables.js';
import { percentOf, type Row } from './rows.js';

/** One of the issues' targets, checked against this run's numbers. */
export interface TargetCheck {
  target: string;
  status: 'met' | 'missed' | 'not run';
  detail: string;
  /** The issue that set it. */
  issue: number;
}

/** One table's rows, by part of the run; a part left out is absent. */
export interface TableRows {
  throughput?: readonly Row[];
  firstSight?: readonly Row[];
  mix?: readonly Row[];
}

export type Part = keyof TableRows;

/** The parts as the output names them, and the --only word that runs each. */
const PARTS: Record<Part, { name: string; only: string }> = {
  throughput: { name: 'one token', only: 'throughput' },
  firstSight: { name: 'first sight', only: 'first-sight' },
  mix: { name: '10k mix', only: 'mix' },
};

/**
 * A target on one table's part: setup `key`'s rate at least `minPct`% of `of`'s (default (a), the
 * bare nginx), or its p99 at most `maxP99x` times `of`'s. Ratios only: the machine is shared.
 */
export interface TargetSpec {
  issue: number;
  table: TableKey;
  part: Part;
  key: string;
  of?: string;
  minPct?: number;
  maxP99x?: number;
  /** What the setup is, in the target's name. */
  what: string;
}

/**
 * Issue 15's targets on the fast table (the gateway's own cost), then issue 7's on the demo
 * table, where they were set. (f) has no setup yet: its targets print "not run" until it has.
 */
export const TARGETS: readonly TargetSpec[] = [
  { issue: 15, table: 'fast', part: 'firstSight', key: 'b', minPct: 45, what: 'stock template, uncached' },
  { issue: 15, table: 'fast', part: 'throughput', key: 'c', minPct: 67, what: 'stock auth cache' },
  { issue: 15, table: 'fast', part: 'mix', key: 'f', minPct: 90, what: 'OpenResty front' },
  { issue: 15, table: 'fast', part: 'mix', key: 'f', maxP99x: 1.5, what: 'OpenResty front' },
  { issue: 7, table: 'demo', part: 'throughput', key: 'b', minPct: 60, what: 'as shipped' },
  { issue: 7, table: 'demo', part: 'throughput', key: 'b', maxP99x: 2, what: 'as shipped' },
  { issue: 7, table: 'demo', part: 'throughput', key: 'c', minPct: 95, what: 'auth cache' },
  { issue: 7, table: 'demo', part: 'throughput', key: 'c', of: 'e', minPct: 100, what: 'auth cache' },
];

const rate = (r: Row) => `${r.key} ${r.requestsPerSec.toFixed(0)} req/s`;
const verdict = (ok: boolean): TargetCheck['status'] => (ok ? 'met' : 'missed');

/** "[fast, first sight] (b) stock template, uncached >= 45% of (a)" */
export function targetName(t: TargetSpec): string {
  const of = `(${t.of ?? 'a'})`;
  const bound = t.minPct !== undefined ? `>= ${t.minPct}% of ${of}` : `p99 <= ${t.maxP99x}x ${of}'s`;
  return `[${t.table}, ${PARTS[t.part].name}] (${t.key}) ${t.what} ${bound}`;
}

/** One target against the tables of this run; anything missing is "not run", saying what. */
export function checkTarget(t: TargetSpec, tables: Partial<Record<TableKey, TableRows>>): TargetCheck {
  const [target, issue] = [targetName(t), t.issue];
  const notRun = (detail: string): TargetCheck => ({ target, issue, status: 'not run', detail });
  const table = tables[t.table];
  if (!table) return notRun(`the ${t.table} table was not part of this run (--app)`);
  const rows = table[t.part];
  if (!rows) return notRun(`the ${PARTS[t.part].name} part was not run (--only without ${PARTS[t.part].only})`);
  const [row, of] = [rows.find((r) => r.key === t.key), rows.find((r) => r.key === (t.of ?? 'a'))];
  if (!row || !of) return notRun(`(${row ? (t.of ?? 'a') : t.key}) did not run in this table`);
  if (t.minPct !== undefined) {
    const p = percentOf(row.requestsPerSec, of.requestsPerSec)!;
    return { target, issue, status: verdict(p >= t.minPct), detail: `(${rate(row)}) is ${p.toFixed(0)}% of (${rate(of)})` };
  }
  const x = row.p99Ms / of.p99Ms;
  return {
    target,
    issue,
    status: verdict(row.p99Ms <= t.maxP99x! * of.p99Ms),
    detail: `(${t.key}) p99 ${row.p99Ms.toFixed(2)} ms vs (${of.key}) ${of.p99Ms.toFixed(2)} ms = ${x.toFixed(2)}x`,
  };
}

/** Every part of every table, for the check that no run had an error. */
function errorTarget(tables: Partial<Record<TableKey, TableRows>>): TargetCheck {
  const [target, issue] = ['no errors in any setup', 7];
  const rows = Object.entries(tables).flatMap(([table, parts]) =>
    Object.entries(parts ?? {}).flatMap(([part, list]) => (list as readonly Row[]).map((r) => ({ where: `${table} ${PARTS[part as Part].name}`, r }))),
  );
  if (rows.length === 0) return { target, issue, status: 'not run', detail: 'no table part ran' };
  const bad = rows.filter(({ r }) => r.unexpected > 0 || r.connectionErrors > 0);
  return {
    target,
    issue,
    status: verdict(bad.length === 0),
    detail:
      bad.length === 0
        ? `every answer was the expected one (${rows.length} setup runs)`
        : bad.map(({ where, r }) => `${where} ${r.key}: ${r.unexpected} unexpected answers, ${r.connectionErrors} connection errors`).join('; '),
  };
}

/**
 * The issues' targets on this run's tables (one run's ratios) and the memory run's verdict: each
 * met or missed with its numbers, or "not run" with why.
 */
export function checkTargets(input: { tables: Partial<Record<TableKey, TableRows>>; memory?: MemoryVerdict | undefined }): TargetCheck[] {
  const m = input.memory;
  return [
    ...TARGETS.map((t) => checkTarget(t, input.tables)),
    m
      ? { target: 'signer RSS flat within +-10%', issue: 7, status: verdict(m.pass), detail: m.summary }
      : { target: 'signer RSS flat within +-10%', issue: 7, status: 'not run', detail: 'the memory run was not run (--only without memory)' },
    errorTarget(input.tables),
  ];
}

/** "met      [fast, one token] (c) stock auth cache >= 67% of (a): (c 26000 req/s) is 67% of (a 39000 req/s)" */
export const formatTarget = (t: TargetCheck): string => `${t.status.padEnd(8)} ${t.target}: ${t.detail}`;
