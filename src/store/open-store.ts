import type { Logger } from '../log/logger.js';
import { MemoryStore } from './memory.js';
import { RedisStore } from './redis.js';

export interface OpenStoreOptions {
  /** REDIS_URL; the memory store when absent. */
  redisUrl?: string | undefined;
  keyPrefix: string;
  timeoutMs: number;
  failOpen: boolean;
  logger: Logger;
  nowS?: () => number;
}

/**
 * The store the configuration asks for: in memory, or Redis.
 *
 * With Redis, start never waits for Redis for long: it waits at most twice `timeoutMs` for the
 * revocation list to load (so a normal start is ready at once), then starts *degraded*. A signer
 * restarted during a Redis outage still comes up: `/readyz` answers 503 and every call that needs
 * the store answers `503 store_unavailable` (revocation checks fail closed unless `failOpen`)
 * until Redis answers, and then it recovers by itself. The outage is logged once here.
 */
export async function openStore(opts: OpenStoreOptions): Promise<MemoryStore | RedisStore> {
  if (opts.redisUrl === undefined) return new MemoryStore(opts.nowS);
  const store = RedisStore.start({ ...opts, url: opts.redisUrl });
  if (!(await store.waitUntilSynced(2 * opts.timeoutMs))) {
    opts.logger.warn('Redis is unreachable: starting degraded (not ready, store calls answer 503) until it answers');
  }
  return store;
}
