import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import type { RedisStore } from '../../src/store/redis.js';
import { StoreUnavailableError } from '../../src/store/store.js';
import { redisAvailable, useTestRedis } from '../fixtures/redis.js';
import { eventually, id, INTEGRITY_KEY, nowS, prefix, useRedisStores, withRaw } from '../fixtures/redis-stores.js';
import { capturingLogger } from '../fixtures/signer.js';

const TIMEOUT_MS = 300;
const FAULT_TEST_MS = 30_000;
const REDIS = redisAvailable();

const { redisStore, closeAfterTest } = useRedisStores({ timeoutMs: TIMEOUT_MS });

interface Line {
  level: number;
  msg: string;
  policy?: string;
}
const parsed = (lines: string[]) => lines.map((line) => JSON.parse(line) as Line);
const found = (lines: string[], text: string) => parsed(lines).filter((l) => l.msg.includes(text));

describe.runIf(REDIS)('STORE_FAIL_OPEN before the revocation list was ever loaded', () => {
  const redis = useTestRedis(FAULT_TEST_MS);

  it(
    'fails closed while it has no list to fail open on, and opens only once it has loaded one',
    async () => {
      await redis().stop();
      const { logger, lines } = capturingLogger();
      const store = closeAfterTest(
        (await openStore({
          redisUrl: redis().url,
          keyPrefix: prefix(),
          timeoutMs: TIMEOUT_MS,
          failOpen: true,
          integrityKey: INTEGRITY_KEY,
          logger,
        })) as RedisStore,
      );
      expect(found(lines, 'STORE_FAIL_OPEN applies only once the revocation list has loaded')).toHaveLength(1);
      for (let i = 0; i < 3; i++) await expect(store.isRevoked(id('jti'), id('sid'), nowS())).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(found(lines, 'STORE_FAIL_OPEN: revocation checks answered')).toEqual([]);

      await redis().start();
      expect(await store.waitUntilSynced(10_000)).toBe(true);
      const revoked = id('jti');
      await store.revokeToken(revoked, nowS() + 600);
      await redis().stop();
      await eventually('out of sync', () => (found(lines, 'out of sync').length > 0 ? true : undefined));
      // Now it has a list: the one it loaded, and what it heard since.
      expect(await store.isRevoked(revoked, undefined, nowS())).toBe(true);
      expect(await store.isRevoked(id('jti'), undefined, nowS())).toBe(false);
      expect(found(lines, 'STORE_FAIL_OPEN: revocation checks answered')).toHaveLength(1);
      await redis().start();
    },
    FAULT_TEST_MS,
  );
});

describe.runIf(REDIS)("Redis's eviction policy", () => {
  const redis = useTestRedis(FAULT_TEST_MS);
  afterEach(async () => {
    await withRaw(redis().url, (c) => c.configSet('maxmemory-policy', 'noeviction'));
  });

  const setPolicy = (policy: string) => withRaw(redis().url, (c) => c.configSet('maxmemory-policy', policy));
  const checked = (lines: string[]) => eventually('the policy was read', () => (found(lines, 'maxmemory-policy').length > 0 ? true : undefined));

  // volatile-* too: every tokengate key has a TTL, the revocation set included.
  it.each(['allkeys-lru', 'volatile-lru', 'volatile-ttl', 'allkeys-random'])('warns at start when it is %s, naming it', async (policy) => {
    await setPolicy(policy);
    const { logger, lines } = capturingLogger();
    await redisStore(redis().url, { logger });
    await checked(lines);
    expect(found(lines, 'maxmemory-policy is not noeviction')).toEqual([expect.objectContaining({ level: 40, policy })]);
  });

  it('says nothing above debug when it is noeviction', async () => {
    const { logger, lines } = capturingLogger();
    await redisStore(redis().url, { logger });
    await checked(lines);
    expect(found(lines, 'maxmemory-policy')).toEqual([expect.objectContaining({ level: 20, policy: 'noeviction' })]);
  });

  it('checks again on every reconnect, warning once per policy', async () => {
    const { logger, lines } = capturingLogger();
    const store = await redisStore(redis().url, { logger });
    await checked(lines);
    await setPolicy('allkeys-lru');
    const reconnect = async () => {
      const before = found(lines, 'maxmemory-policy').length;
      await withRaw(redis().url, (c) => c.sendCommand(['CLIENT', 'KILL', 'TYPE', 'normal']));
      await eventually('checked after the reconnect', () => (found(lines, 'maxmemory-policy').length > before ? true : undefined));
      await eventually('healthy', async () => ((await store.health()).ok ? true : undefined));
    };
    await reconnect();
    expect(found(lines, 'maxmemory-policy is not noeviction')).toHaveLength(1);
    await reconnect();
    expect(found(lines, 'maxmemory-policy unchanged since the warning')).toHaveLength(1);
    expect(found(lines, 'maxmemory-policy is not noeviction')).toHaveLength(1);
  });

  it('skips the check at debug when CONFIG is refused (managed Redis with ACLs), and works all the same', async () => {
    await setPolicy('allkeys-lru');
    await withRaw(redis().url, (c) => c.sendCommand(['ACL', 'SETUSER', 'noconfig', 'on', '>pw', '~*', '&*', '+@all', '-config']));
    const { logger, lines } = capturingLogger();
    const [host, port] = [new URL(redis().url).hostname, new URL(redis().url).port];
    const store = await redisStore(`redis://noconfig:pw@${host}:${port}`, { logger });
    await eventually('the check was skipped', () => (found(lines, 'could not read Redis maxmemory-policy').length > 0 ? true : undefined));
    expect(found(lines, 'could not read Redis maxmemory-policy')).toEqual([expect.objectContaining({ level: 20 })]);
    expect(found(lines, 'not noeviction')).toEqual([]);
    await store.revokeToken(id('jti'), nowS() + 60);
  });
});
