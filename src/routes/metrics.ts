import { Router } from 'express';
import { allowOnly } from './body.js';
import { ROUTING } from './routing.js';
import type { Metrics } from '../metrics/metrics.js';

/**
 * `GET /metrics` in Prometheus text format, on the signer's own port only: the nginx template
 * never routes it, and the embedded front never mounts it. It reads counters in memory and
 * never waits for the store.
 */
export function metricsRouter(metrics: Metrics): Router {
  const router = Router(ROUTING);
  router
    .route('/metrics')
    .get(async (_req, res) => {
      const registry = metrics.withProcessMetrics();
      const text = await registry.metrics();
      res.set({ 'Cache-Control': 'no-store', 'Content-Type': registry.contentType }).send(text);
    })
    .all(allowOnly('GET, HEAD'));
  return router;
}
