import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { RedisStore, type RedisStoreOptions } from '../../src/store/redis.js';
import type { SentinelTarget } from '../../src/store/redis-target.js';
import { StoreUnavailableError } from '../../src/store/store.js';
import { eventually, id, INTEGRITY_KEY, nowS, prefix, useRedisStores } from '../fixtures/redis-stores.js';
import { sentinelAvailable, useSentinelSet } from '../fixtures/sentinels.js';
import { capturingLogger, silentLogger } from '../fixtures/signer.js';
import { describeStoreContract } from '../fixtures/store-contract.js';

// The store on a real master, two replicas and three real redis-sentinel processes: it finds the
// master through them and follows a failover by itself. The end-to-end suite
// (test/e2e/sentinel-failover.test.ts) kills processes under load through nginx; this one is the
// store alone.

const TEST_MS = 60_000;
const SENTINELS = sentinelAvailable();
const { closeAfterTest } = useRedisStores();

describe.runIf(SENTINELS)('the Redis store through Redis Sentinel', () => {
  const set = useSentinelSet({ downAfterMs: 1_000 }, TEST_MS);
  const target = (): SentinelTarget => ({
    sentinels: set().sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
    masterName: set().masterName,
    sentinelAuth: { password: set().env.REDIS_SENTINEL_PASSWORD! },
    nodeAuth: { password: set().env.REDIS_PASSWORD! },
    tls: false,
  });
  const start = (opts: Partial<RedisStoreOptions> = {}) =>
    closeAfterTest(
      RedisStore.start({
        sentinel: target(),
        keyPrefix: 'tokengate:',
        timeoutMs: 1_000,
        failOpen: false,
        maxStaleMs: 10_000,
        replication: { replicas: 1, timeoutMs: 500, unmet: 'fail' },
        integrityKey: INTEGRITY_KEY,
        logger: silentLogger(),
        heartbeatMs: 100,
        ...opts,
      }),
    );
  const synced = async (store: RedisStore) => {
    expect(await store.waitUntilSynced(5_000)).toBe(true);
    return store;
  };

  // Every store operation, through the link that follows the master and with each write's WAIT.
  describeStoreContract('redis through sentinels', (clock) =>
    openStore({
      sentinel: target(),
      keyPrefix: prefix(),
      timeoutMs: 1_000,
      failOpen: false,
      replication: { replicas: 1, timeoutMs: 500, unmet: 'fail' },
      integrityKey: INTEGRITY_KEY,
      logger: silentLogger(),
      nowS: clock.nowS,
    }),
  );

  it('finds the master through the sentinels and reports the store healthy', async () => {
    const store = await synced(start({ keyPrefix: prefix() }));
    expect(await store.health()).toEqual({ kind: 'redis', ok: true });
    await store.createSession(id('sid'), id('jti'), { claims: { sub: 'alice' }, expiresAt: nowS() + 60 });
  });

  it('refuses a wrong master name or password at the sentinels: it starts degraded, and says so once', async () => {
    const { logger, lines } = capturingLogger();
    const store = start({ sentinel: { ...target(), masterName: 'nobody' }, logger });
    expect(await store.waitUntilSynced(1_500)).toBe(false);
    await expect(store.isRevoked('x', undefined, nowS())).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(lines.filter((l) => l.includes('monitors no master of that name'))).toHaveLength(3);
    const wrong = start({ sentinel: { ...target(), sentinelAuth: { password: 'not-it' } } });
    expect(await wrong.waitUntilSynced(1_500)).toBe(false);
  });

  it(
    'follows a failover by itself: writes go to the new master, and the revocation feed works again between instances',
    async () => {
      const keyPrefix = prefix();
      const [a, b] = [await synced(start({ keyPrefix })), await synced(start({ keyPrefix }))];
      const before = id('jti');
      await a.revokeToken(before, nowS() + 600);
      const oldMaster = await set().masterPort();
      // A manual failover: the sentinels promote a replica and demote the master (its clients are cut off).
      const sentinel = createClient({ socket: { host: '127.0.0.1', port: set().sentinels[0]!.port }, password: set().env.REDIS_SENTINEL_PASSWORD });
      sentinel.on('error', () => {});
      await sentinel.connect();
      await sentinel.sendCommand(['SENTINEL', 'FAILOVER', set().masterName]);
      sentinel.destroy();
      await eventually('the sentinels name another master', async () => ((await set().masterPort()) !== oldMaster ? true : undefined), 20_000);
      // Writes work again on the new master (with its replica acknowledging), from both instances.
      await eventually(
        'a writes to the new master',
        () =>
          a.revokeToken(id('jti'), nowS() + 60).then(
            () => true,
            () => undefined,
          ),
        10_000,
      );
      const after = id('jti');
      await eventually(
        'b writes to the new master',
        () =>
          b.revokeToken(after, nowS() + 60).then(
            () => true,
            () => undefined,
          ),
        10_000,
      );
      await eventually(
        "a hears of b's revocation through the new master",
        async () => ((await a.isRevoked(after, undefined, nowS())) ? true : undefined),
        2_000,
      );
      expect(await a.isRevoked(before, undefined, nowS())).toBe(true);
      await eventually('both healthy', async () => ((await a.health()).ok && (await b.health()).ok ? true : undefined), 5_000);
    },
    TEST_MS,
  );

  // Last: a sentinel stopped for more than 2 s enters TILT mode when it resumes, and fails nothing over for 30 s.
  it(
    'keeps using the master while every sentinel is stopped, and a store started then waits for them',
    async () => {
      const store = await synced(start({ keyPrefix: prefix() }));
      // After the failover above, a replica may still be resyncing with the new master.
      await eventually(
        'a replica acknowledges writes',
        () =>
          store.revokeToken(id('jti'), nowS() + 60).then(
            () => true,
            () => undefined,
          ),
        20_000,
      );
      for (const s of set().sentinels) s.signal('SIGSTOP');
      try {
        // Longer than a heartbeat asking the (hung) sentinels: the master stays in use.
        for (let i = 0; i < 15; i++) {
          await store.revokeToken(id('jti'), nowS() + 60);
          await new Promise((r) => setTimeout(r, 100));
        }
        expect((await store.health()).ok).toBe(true);
        const late = start({ keyPrefix: prefix() });
        expect(await late.waitUntilSynced(1_000)).toBe(false);
        for (const s of set().sentinels) s.signal('SIGCONT');
        expect(await late.waitUntilSynced(10_000)).toBe(true);
      } finally {
        for (const s of set().sentinels) s.signal('SIGCONT');
      }
    },
    TEST_MS,
  );
});
