import type { Logger } from '../log/logger.js';
import { MemoryStore } from './memory.js';
import { RedisStore } from './redis.js';
import type { SentinelTarget } from './redis-target.js';
import type { Replication } from './replication.js';

export interface OpenStoreOptions {
  /** REDIS_URL; with neither it nor `sentinel`, the memory store. */
  redisUrl?: string | undefined;
  /** REDIS_SENTINELS and the variables beside it (never with `redisUrl`). */
  sentinel?: SentinelTarget | undefined;
  keyPrefix: string;
  timeoutMs: number;
  failOpen: boolean;
  /** STORE_MAX_STALE_S, in ms (`RedisStoreOptions.maxStaleMs`). */
  maxStaleMs?: number;
  /** REDIS_WAIT_* (`RedisStoreOptions.replication`). */
  replication?: Replication | undefined;
  /** Required with Redis: 32 secret bytes derived from the signing secret (`RedisStoreOptions.integrityKey`). */
  integrityKey?: Uint8Array | undefined;
  logger: Logger;
  nowS?: () => number;
}

/**
 * The store the configuration asks for: in memory, or Redis (one server, or the master the
 * sentinels name).
 *
 * With Redis, start never waits for Redis for long: it waits at most twice `timeoutMs` for the
 * revocation list to load (so a normal start is ready at once), then starts *degraded*. A signer
 * restarted during a Redis outage still comes up: `/readyz` answers 503 and every call that needs
 * the store answers `503 store_unavailable` (revocation checks fail closed unless `failOpen`)
 * until Redis answers, and then it recovers by itself. The outage is logged once here. Failing
 * open needs a list to fail open on: until the first load, revocation checks fail closed anyway.
 */
export async function openStore(opts: OpenStoreOptions): Promise<MemoryStore | RedisStore> {
  if (opts.redisUrl === undefined && opts.sentinel === undefined) return new MemoryStore(opts.nowS);
  if (opts.integrityKey === undefined) throw new TypeError('the Redis store needs an integrityKey');
  const store = RedisStore.start({ ...opts, url: opts.redisUrl, integrityKey: opts.integrityKey });
  // Through sentinels, one question more before the first connection.
  if (!(await store.waitUntilSynced((opts.sentinel ? 3 : 2) * opts.timeoutMs))) {
    const failOpen = opts.failOpen ? ' (STORE_FAIL_OPEN applies only once the revocation list has loaded)' : '';
    opts.logger.warn(`Redis is unreachable: starting degraded (not ready, store calls answer 503) until it answers${failOpen}`);
  }
  return store;
}
