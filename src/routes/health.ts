import { Router } from 'express';
import { ROUTING } from './routing.js';
import type { Logger } from '../log/logger.js';
import type { Store, StoreHealth } from '../store/store.js';

export interface HealthOptions {
  store: Store;
  /** The signing key was loaded (the configuration was, or there would be no app). */
  secretLoaded: boolean;
  /** `/readyz`'s own bound on the store's answer, in milliseconds. */
  timeoutMs: number;
  logger: Logger;
}

/** What `/readyz` answers: 200 when ready, else 503 with a log-safe reason. */
export type Readiness =
  | { status: 'ready'; store: StoreHealth }
  | { status: 'not_ready'; reason: 'secret_missing' | 'store_unavailable' | 'store_timeout' | 'store_error'; store?: Partial<StoreHealth> };

/**
 * `GET /healthz`: the process is up and serving. `GET /readyz`: it can do its work: the
 * secret is loaded and the store answers. Neither waits longer than `timeoutMs`, even for a
 * store that hangs; concurrent probes share one store check.
 */
export function healthRouter(opts: HealthOptions): Router {
  const router = Router(ROUTING);
  const checkReady = readinessCheck(opts);
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const readiness = await checkReady();
    res
      .set('Cache-Control', 'no-store')
      .status(readiness.status === 'ready' ? 200 : 503)
      .json(readiness);
  });
  return router;
}

function readinessCheck(opts: HealthOptions): () => Promise<Readiness> {
  let pending: Promise<Readiness> | undefined;
  let wasReady: boolean | undefined;
  const check = async (): Promise<Readiness> => {
    if (!opts.secretLoaded) return { status: 'not_ready', reason: 'secret_missing' };
    const health = await withTimeout(new Promise<StoreHealth>((resolve) => resolve(opts.store.health())), opts.timeoutMs).catch(() => 'failed' as const);
    if (health === 'timeout') return { status: 'not_ready', reason: 'store_timeout', store: { ok: false, detail: `no answer within ${opts.timeoutMs} ms` } };
    if (health === 'failed') return { status: 'not_ready', reason: 'store_error', store: { ok: false } };
    const store: StoreHealth = { kind: health.kind, ok: health.ok, ...(health.detail !== undefined ? { detail: health.detail.slice(0, 200) } : {}) };
    return health.ok ? { status: 'ready', store } : { status: 'not_ready', reason: 'store_unavailable', store };
  };
  return () => {
    pending ??= check().then((readiness) => {
      pending = undefined;
      // A probe runs every few seconds: log the changes only.
      const ready = readiness.status === 'ready';
      if (ready !== wasReady && (wasReady !== undefined || !ready)) {
        if (ready) opts.logger.info('ready again');
        else opts.logger.warn({ reason: readiness.reason, store: readiness.store }, 'not ready');
      }
      wasReady = ready;
      return readiness;
    });
    return pending;
  };
}

function withTimeout<T>(pending: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
    timer.unref();
  });
  return Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
}
