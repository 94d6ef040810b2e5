import type { SentinelTarget } from '../store/redis-target.js';
import type { Replication } from '../store/replication.js';
import type { Config } from './load.js';

/** REDIS_SENTINELS and the variables beside it, as the store takes them; undefined without REDIS_SENTINELS. */
export function sentinelTarget(config: Config): SentinelTarget | undefined {
  if (config.REDIS_SENTINELS === undefined || config.REDIS_SENTINEL_MASTER === undefined) return undefined;
  const auth = (username: string | undefined, password: string | undefined) => (password === undefined ? undefined : { username, password });
  return {
    sentinels: config.REDIS_SENTINELS,
    masterName: config.REDIS_SENTINEL_MASTER,
    sentinelAuth: auth(config.REDIS_SENTINEL_USERNAME, config.REDIS_SENTINEL_PASSWORD),
    nodeAuth: auth(config.REDIS_USERNAME, config.REDIS_PASSWORD),
    tls: config.REDIS_SENTINEL_TLS,
  };
}

/** REDIS_WAIT_*: `auto` is one replica through sentinels, none with REDIS_URL. */
export function replicationOf(config: Config): Replication {
  return {
    replicas: config.REDIS_WAIT_REPLICAS ?? (config.REDIS_SENTINELS === undefined ? 0 : 1),
    timeoutMs: config.REDIS_WAIT_MS,
    unmet: config.REDIS_WAIT_UNMET,
  };
}
