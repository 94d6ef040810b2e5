import { Gauge, Registry } from 'prom-client';
import { z } from 'zod';
import {
  createMetrics,
  INTROSPECT_OUTCOMES,
  LOGIN_OUTCOMES,
  REFRESH_ERRORS,
  REFRESH_OUTCOMES,
  REFRESH_REFUSALS,
  STORE_OPERATIONS,
  VERIFY_OUTCOMES,
  WORKERS_GAUGE,
} from './metrics.js';

/**
 * Every value each label can take, by metric: the fixed sets `createMetrics` shows at 0 from the
 * start (test/unit/metrics-reference.test.ts holds the two equal).
 */
export const LABEL_VALUES: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  tokengate_login_total: { outcome: LOGIN_OUTCOMES },
  tokengate_verify_total: { outcome: VERIFY_OUTCOMES },
  tokengate_refresh_total: { outcome: REFRESH_OUTCOMES, reason: [...REFRESH_REFUSALS, ...REFRESH_ERRORS] },
  tokengate_introspect_total: { outcome: INTROSPECT_OUTCOMES },
  tokengate_store_errors_total: { operation: STORE_OPERATIONS },
  tokengate_verify_cache_total: { result: ['hit', 'miss'] },
};

/** What prom-client's metric objects hold beyond their typings: the label names, and a histogram's buckets. */
const metricObject = z.object({
  name: z.string(),
  help: z.string(),
  type: z.string(),
  labelNames: z.array(z.string()),
  upperBounds: z.array(z.number()).optional(),
});

export interface MetricDoc {
  name: string;
  type: string;
  help: string;
  labelNames: string[];
  buckets?: number[] | undefined;
  /** When the metric is there only under a condition. */
  condition?: string;
}

/**
 * Every metric of the signer, read from the registries it builds: its own (`createMetrics`), and
 * the gauge a cluster's primary adds. Node's process metrics (prom-client's defaults) are left out:
 * which there are depends on the platform and the Node version.
 */
export function metricDocs(): MetricDoc[] {
  const read = (registry: Registry, condition?: string): MetricDoc[] =>
    registry.getMetricsAsArray().map((m) => {
      const o = metricObject.parse(m);
      return { name: o.name, type: o.type, help: o.help, labelNames: o.labelNames, buckets: o.upperBounds, ...(condition ? { condition } : {}) };
    });
  const cluster = new Registry();
  new Gauge({ ...WORKERS_GAUGE, registers: [cluster] });
  const all = [...read(createMetrics().registry), ...read(cluster, 'only with SIGNER_WORKERS above 1: the primary adds it to every scrape')];
  return all.sort((a, b) => a.name.localeCompare(b.name));
}

const code = (values: readonly (string | number)[]) => values.map((v) => `\`${v}\``).join(', ');

/** The metrics reference's table, generated from the registries so the two cannot drift. */
export function metricsTable(): string {
  const rows = metricDocs().map((m) => {
    const labels =
      m.labelNames.length === 0
        ? m.buckets
          ? `\`le\` (seconds): ${code(m.buckets)}, \`+Inf\``
          : '—'
        : m.labelNames.map((l) => `\`${l}\`: ${code(LABEL_VALUES[m.name]?.[l] ?? [])}`).join('<br>');
    const meaning = m.condition ? `${m.help} *Conditional: ${m.condition}.*` : m.help;
    return `| \`${m.name}\` | ${m.type} | ${labels} | ${meaning} |`;
  });
  return ['| Metric | Type | Labels and their values | Meaning |', '|---|---|---|---|', ...rows].join('\n');
}
