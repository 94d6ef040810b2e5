import { hkdfSync } from 'node:crypto';
import type { Config } from './config/load.js';
import type { AppDeps } from './core.js';
import { createLogger } from './log/logger.js';
import { loadSecret, SecretError } from './secret/load-secret.js';
import { importHmacKey } from './tokens/keys.js';
import { openStore } from './store/open-store.js';
import { RedisStore } from './store/redis.js';
import { RedisFailureLimiter } from './throttle/redis-limiter.js';

/** Loads the secret, logger and store for an entry point; a secret problem exits 2 with its reason. */
export async function prepareDeps(config: Config): Promise<AppDeps> {
  const logger = createLogger(config.LOG_LEVEL);
  const loaded = await loadSecret({ value: config.JWT_SECRET, file: config.JWT_SECRET_FILE }).catch((err: unknown) => {
    if (!(err instanceof SecretError)) throw err;
    logger.fatal(err.message);
    process.exit(2);
  });
  if (loaded.source === 'generated') logger.info({ file: config.JWT_SECRET_FILE }, 'generated a new signing secret (mode 0600)');
  if (loaded.looseMode !== undefined) {
    logger.warn({ file: config.JWT_SECRET_FILE, mode: loaded.looseMode.toString(8) }, 'the signing secret file is readable by other users; chmod 600 it');
  }
  if (!config.COOKIE_SECURE) logger.warn('COOKIE_SECURE=false: session cookies travel over plain http; use this only for a local demo');
  // Its own key, derived from the secret so every signer instance agrees on CSRF tokens.
  const derive = (purpose: string) => new Uint8Array(hkdfSync('sha256', loaded.secret, new Uint8Array(0), purpose, 32));
  const csrfKey = derive('tokengate csrf v1');
  // Keys the hashes that name login counters in the store, so reading Redis gives no address back.
  const storeKey = derive('tokengate store keys v1');
  // Seals each session's claims in Redis, so a changed session is refused rather than signed.
  const integrityKey = derive('tokengate redis integrity v1');
  if (config.STORE_FAIL_OPEN && config.REDIS_URL !== undefined) logger.warn('STORE_FAIL_OPEN=true: while Redis is unreachable, revocation checks pass on the last known revocation list');
  // Sessions, revocations and failed-login counts: in memory, or shared by every instance in Redis.
  const store = await openStore({ redisUrl: config.REDIS_URL, keyPrefix: config.KEY_PREFIX, timeoutMs: config.REDIS_TIMEOUT_MS, failOpen: config.STORE_FAIL_OPEN, integrityKey, logger });
  logger.info({ store: store instanceof RedisStore ? 'redis' : 'memory', ...(store instanceof RedisStore ? { keyPrefix: config.KEY_PREFIX } : {}) }, 'store opened');
  const limiter = store instanceof RedisStore ? new RedisFailureLimiter(store) : undefined;
  return { logger, key: await importHmacKey(loaded.secret), csrfKey, storeKey, store, ...(limiter ? { limiter } : {}) };
}
