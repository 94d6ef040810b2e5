import { percentOf, type Row } from './rows.js';

/** Plain-text columns: the first left-aligned, the others right-aligned, a rule under the head. */
export function formatTable(head: readonly string[], lines: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(fmt)].join('\n');
}

const pct = (v: number | undefined) => (v === undefined ? 'n/a' : `${v.toFixed(0)}%`);
const ms = (v: number) => v.toFixed(2);

/**
 * One line per setup: rate, latencies, errors, and the rate's ratio to `limit` ((a)) and to
 * `reference` ((e)), plus p99 against the limit's. A missing reference shows as n/a.
 */
export function resultsTable(rows: readonly Row[], refs: { limit?: Row | undefined; reference?: Row | undefined }): string {
  const head = ['setup', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'conn err', 'vs (a)', 'vs (e)', 'p99 vs (a)'];
  const lines = rows.map((r) => [
    r.label,
    r.requestsPerSec.toFixed(0),
    ms(r.p50Ms),
    ms(r.p99Ms),
    String(r.unexpected),
    String(r.connectionErrors),
    pct(percentOf(r.requestsPerSec, refs.limit?.requestsPerSec)),
    pct(percentOf(r.requestsPerSec, refs.reference?.requestsPerSec)),
    refs.limit && refs.limit.p99Ms > 0 ? `${(r.p99Ms / refs.limit.p99Ms).toFixed(2)}x` : 'n/a',
  ]);
  return formatTable(head, lines);
}

/** The mix's answers by kind of token per setup: "valid 90000 (0 unexpected)". */
export function kindsLine(row: Row): string {
  return Object.entries(row.kinds)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, c]) => `${kind} ${c.answers} (${c.unexpected} unexpected)`)
    .join(', ');
}
