import { describe, expect, it } from 'vitest';
import { LABEL_VALUES, metricDocs } from '../../src/metrics/docs.js';
import { createMetrics, WORKERS_GAUGE } from '../../src/metrics/metrics.js';

describe('the metrics reference (docs/reference/metrics.md)', () => {
  it('lists every metric of the registry, and the cluster gauge as conditional', () => {
    const names = createMetrics()
      .registry.getMetricsAsArray()
      .map((m) => m.name);
    const docs = metricDocs();
    expect(docs.map((d) => d.name).sort()).toEqual([...names, WORKERS_GAUGE.name].sort());
    expect(docs.find((d) => d.name === WORKERS_GAUGE.name)?.condition).toMatch(/SIGNER_WORKERS/);
    for (const d of docs) expect(d.help).not.toBe('');
  });

  it('gives each label exactly the values the registry starts at 0', async () => {
    const shown: Record<string, Record<string, Set<string>>> = {};
    for (const metric of await createMetrics().registry.getMetricsAsJSON()) {
      if (!['counter', 'gauge'].includes(String(metric.type))) continue;
      for (const { labels } of metric.values)
        for (const [label, value] of Object.entries(labels)) ((shown[metric.name] ??= {})[label] ??= new Set()).add(String(value));
    }
    const documented = Object.fromEntries(
      Object.entries(LABEL_VALUES).map(([name, labels]) => [name, Object.fromEntries(Object.entries(labels).map(([l, v]) => [l, new Set(v)]))]),
    );
    expect(documented).toEqual(shown);
  });

  it('names every label a metric declares', () => {
    for (const d of metricDocs()) expect(Object.keys(LABEL_VALUES[d.name] ?? {})).toEqual(d.labelNames);
  });
});
