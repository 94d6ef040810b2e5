import { hkdfSync } from 'node:crypto';
import type { Config } from './config/load.js';
import type { AppDeps } from './core.js';
import { KeyRingError } from './signing-keys/errors.js';
import { startKeyReloader, type KeyReloader } from './signing-keys/key-reloader.js';
import { openKeys } from './signing-keys/open-keys.js';
import type { Logger } from './log/logger.js';
import type { SigningKey } from './tokens/keys.js';
import { createLogger } from './log/logger.js';
import { loadSecret, SecretError } from './secret/load-secret.js';
import { importHmacKey } from './tokens/keys.js';
import { openStore } from './store/open-store.js';
import { replicationOf, sentinelTarget } from './config/redis-settings.js';
import { RedisStore } from './store/redis.js';
import { RedisFailureLimiter } from './throttle/redis-limiter.js';
import { startClients, type ClientReloader } from './service-clients/client-reloader.js';
import { ClientsError } from './service-clients/registry.js';
import { preparePolicy } from './policy/prepare-policy.js';
import { adminKeyFor } from './admin/admin-credential.js';
import type { PolicyReloader } from './policy/policy-reloader.js';
import { EXIT } from './exit.js';

/** What an entry point builds its app from, plus the key, client and policy reloaders it drives with SIGHUP and stops at the end. */
export type PreparedDeps = AppDeps & { keyReloader: KeyReloader; clientReloader: ClientReloader; policyReloader?: PolicyReloader | undefined };

/**
 * Loads the policy, secret, keys, logger and store for an entry point; a policy, secret or key ring problem exits 2 with its reasons.
 * A cluster worker passes its own logger (bound to its worker id).
 */
export async function prepareDeps(config: Config, logger: Logger = createLogger(config.LOG_LEVEL)): Promise<PreparedDeps> {
  // POLICY_FILE first: a file that cannot be used exits 2 with every problem, before any secret or store.
  const policyReloader = await preparePolicy(config, logger);
  const loaded = await loadSecret({ value: config.JWT_SECRET, file: config.JWT_SECRET_FILE }).catch((err: unknown) => {
    if (!(err instanceof SecretError)) throw err;
    logger.fatal(err.message);
    process.exit(EXIT.usage);
  });
  if (loaded.source === 'generated') logger.info({ file: config.JWT_SECRET_FILE }, 'generated a new signing secret (mode 0600)');
  if (loaded.looseMode !== undefined) {
    logger.warn({ file: config.JWT_SECRET_FILE, mode: loaded.looseMode.toString(8) }, 'the signing secret file is readable by other users; chmod 600 it');
  }
  if (!config.COOKIE_SECURE) logger.warn('COOKIE_SECURE=false: session cookies travel over plain http; use this only for a local demo');
  // Its own key, derived from the secret so every signer instance agrees on CSRF tokens.
  const derive = (purpose: string) => new Uint8Array(hkdfSync('sha256', loaded.secret, new Uint8Array(0), purpose, 32));
  const csrfKey = derive('tokengate csrf v1');
  // What the admin API's callers (`tokengate sessions`, run with the same secret) sign with.
  const adminKey = adminKeyFor(loaded.secret);
  // Keys the hashes that name login counters in the store, so reading Redis gives no address back.
  const storeKey = derive('tokengate store keys v1');
  // Seals each session's claims in Redis, so a changed session is refused rather than signed.
  const integrityKey = derive('tokengate redis integrity v1');
  const sentinel = sentinelTarget(config);
  const redis = config.REDIS_URL !== undefined || sentinel !== undefined;
  if (config.STORE_FAIL_OPEN && redis)
    logger.warn('STORE_FAIL_OPEN=true: while Redis is unreachable, revocation checks pass on the last known revocation list');
  const replication = replicationOf(config);
  // Sessions, revocations and failed-login counts: in memory, or shared by every instance in Redis.
  const store = await openStore({
    redisUrl: config.REDIS_URL,
    sentinel,
    keyPrefix: config.KEY_PREFIX,
    timeoutMs: config.REDIS_TIMEOUT_MS,
    failOpen: config.STORE_FAIL_OPEN,
    maxStaleMs: config.STORE_MAX_STALE_S * 1000,
    replication,
    integrityKey,
    logger,
  });
  const where = sentinel ? { sentinels: sentinel.sentinels.length, master: sentinel.masterName } : {};
  const fields =
    store instanceof RedisStore ? { keyPrefix: config.KEY_PREFIX, ...where, waitReplicas: replication.replicas, maxStaleS: config.STORE_MAX_STALE_S } : {};
  logger.info({ store: store instanceof RedisStore ? (sentinel ? 'redis-sentinel' : 'redis') : 'memory', ...fields }, 'store opened');
  const limiter = store instanceof RedisStore ? new RedisFailureLimiter(store) : undefined;
  const key = await importHmacKey(loaded.secret);
  const keyReloader = await prepareKeys(config, key, logger);
  const clientReloader = await startClients({ dir: config.CLIENTS_DIR, logger, intervalMs: config.KEYS_CHECK_INTERVAL_S * 1000 }).catch((err: unknown) => {
    if (!(err instanceof ClientsError)) throw err;
    logger.fatal({ dir: config.CLIENTS_DIR, problems: err.problems }, `the clients in ${config.CLIENTS_DIR} cannot be used`);
    process.exit(EXIT.usage);
  });
  const policy = policyReloader ? { policy: policyReloader.policy, policyReloader } : {};
  return {
    logger,
    key,
    keys: keyReloader.keys,
    keyReloader,
    clients: clientReloader.clients,
    clientReloader,
    csrfKey,
    adminKey,
    storeKey,
    store,
    ...policy,
    ...(limiter ? { limiter } : {}),
  };
}

/** Opens the key ring (generating a first key for an asymmetric JWT_ALG) and starts following KEYS_DIR. */
async function prepareKeys(config: Config, secretKey: SigningKey, logger: Logger): Promise<KeyReloader> {
  const open = (generate: boolean) => openKeys({ dir: config.KEYS_DIR, alg: config.JWT_ALG, secretKey, generate });
  const opened = await open(true).catch((err: unknown) => {
    if (!(err instanceof KeyRingError)) throw err;
    logger.fatal({ dir: config.KEYS_DIR, problems: err.problems }, `the key ring in ${config.KEYS_DIR} cannot be used`);
    process.exit(EXIT.usage);
  });
  if (opened.generated !== undefined)
    logger.info({ dir: config.KEYS_DIR, kid: opened.generated, alg: config.JWT_ALG }, 'generated a new key ring (key files mode 0600)');
  for (const w of opened.warnings) logger.warn({ file: w.file }, `key ring: ${w.reason}`);
  const keys = opened.keys;
  logger.info(
    { source: keys.source, active: keys.signer.kid, alg: keys.signer.alg, kids: keys.kids },
    keys.source === 'ring' ? 'signing with the key ring' : 'signing with the secret (HS256, no key ring)',
  );
  return startKeyReloader({ dir: config.KEYS_DIR, initial: keys, load: () => open(false), logger, intervalMs: config.KEYS_CHECK_INTERVAL_S * 1000 });
}
