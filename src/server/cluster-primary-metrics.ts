import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, Gauge } from 'prom-client';
import type { Logger } from '../log/logger.js';
import { WORKERS_GAUGE } from '../metrics/metrics.js';
import { parseClusterMessage, type CollectedMessage } from './cluster-messages.js';

/** How long the primary waits for the workers' own metrics before the scrape fails. */
const COLLECT_TIMEOUT_MS = 2_000;

interface Collecting {
  waiting: Set<number>;
  results: CollectedMessage['metrics'][];
  finish(): void;
}

/**
 * The primary's side of `GET /metrics` in a cluster: the worker that got the scrape asks here; the
 * primary asks every listening worker for its own metrics and answers with their sum, made by
 * prom-client's `AggregatorRegistry.aggregate` (counters and histograms add up; process metrics
 * follow the aggregator each declares). A scrape that not every worker answers fails rather than
 * showing a partial sum, which Prometheus would read as counters going back (a reset).
 */
export function answerScrapes(opts: { workers: () => Worker[]; logger: Logger; timeoutMs?: number }): void {
  const timeoutMs = opts.timeoutMs ?? COLLECT_TIMEOUT_MS;
  const collecting = new Map<number, Collecting>();
  let nextId = 0;

  const collect = (): Promise<CollectedMessage['metrics'][]> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const workers = opts.workers();
      const timer = setTimeout(() => {
        collecting.delete(id);
        reject(new Error(`${entry.waiting.size} of ${workers.length} workers did not send their metrics within ${timeoutMs} ms`));
      }, timeoutMs);
      const entry: Collecting = {
        waiting: new Set(workers.map((w) => w.id)),
        results: [],
        finish: () => {
          clearTimeout(timer);
          collecting.delete(id);
          resolve(entry.results);
        },
      };
      collecting.set(id, entry);
      for (const w of workers) w.send({ type: 'tokengate:collect', id }, () => undefined);
      if (entry.waiting.size === 0) entry.finish();
    });

  const addUp = async (): Promise<{ text: string; contentType: string }> => {
    const results = await collect();
    const registry = AggregatorRegistry.aggregate(results);
    const workers = new Gauge({ ...WORKERS_GAUGE, registers: [registry] });
    workers.set(results.length);
    return { text: await registry.metrics(), contentType: registry.contentType };
  };

  cluster.on('message', (worker: Worker, raw: unknown) => {
    const msg = parseClusterMessage(raw);
    if (msg?.type === 'tokengate:collected') {
      const entry = collecting.get(msg.id);
      if (!entry?.waiting.delete(worker.id)) return;
      entry.results.push(msg.metrics);
      if (entry.waiting.size === 0) entry.finish();
    } else if (msg?.type === 'tokengate:scrape') {
      addUp().then(
        (answer) => worker.send({ type: 'tokengate:scraped', id: msg.id, ...answer }, () => undefined),
        (err: unknown) => {
          opts.logger.warn({ err: (err as Error).message }, 'metrics scrape failed');
          worker.send({ type: 'tokengate:scraped', id: msg.id, error: (err as Error).message }, () => undefined);
        },
      );
    }
  });
  // A worker that exits in the middle of a scrape is not waited for: its counts are gone anyway.
  cluster.on('exit', (worker: Worker) => {
    for (const entry of collecting.values()) if (entry.waiting.delete(worker.id) && entry.waiting.size === 0) entry.finish();
  });
}
