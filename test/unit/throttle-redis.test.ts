import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisStore } from '../../src/store/redis.js';
import { StoreUnavailableError } from '../../src/store/store.js';
import { addressKey, userKey } from '../../src/throttle/keys.js';
import { RedisFailureLimiter } from '../../src/throttle/redis-limiter.js';
import { describeLimiterContract } from '../fixtures/limiter-contract.js';
import { redisAvailable, startTestRedis, type TestRedis } from '../fixtures/redis.js';
import { startRedisStore } from '../fixtures/redis-stores.js';

const HASH_KEY = new Uint8Array(32).fill(7);
const PREFIX = 'tgtest:';
type Client = ReturnType<typeof createClient>;

/** The production runner: a RedisStore (EVALSHA with NOSCRIPT fallback, prefix, timeout, late-write guard). */
const storeRunner = (url: string): Promise<RedisStore> => startRedisStore(url, { keyPrefix: PREFIX, timeoutMs: 1_000 });

describe.runIf(redisAvailable())('with a real redis-server', () => {
  let redis: TestRedis;
  let client: Client;
  let store: RedisStore;

  beforeAll(async () => {
    redis = await startTestRedis();
    client = createClient({ url: redis.url });
    await client.connect();
    store = await storeRunner(redis.url);
  }, 30_000);
  afterAll(async () => {
    await store?.close();
    await client?.close();
    await redis?.cleanup();
  });

  // Each limiter gets a store of its own (its own connections), so parallel calls really race on the server.
  describeLimiterContract('redis', async () => {
    const own = await storeRunner(redis.url);
    return Object.assign(new RedisFailureLimiter(own), { close: () => own.close() });
  });

  describe('the redis failure limiter', () => {
    it('keeps one hashed key per rule, with the prefix, holding no username or address, expiring when drained', async () => {
      const limiter = new RedisFailureLimiter(store);
      const now = Date.now();
      const rules = [
        { key: userKey(HASH_KEY, 'Mallory', '203.0.113.7'), limit: 5, windowMs: 900_000 },
        { key: addressKey(HASH_KEY, '203.0.113.7'), limit: 50, windowMs: 900_000 },
      ];
      await limiter.acquire(rules, now);
      await limiter.acquire(rules, now);
      const keys = (await client.keys(`${PREFIX}login:*`)).sort();
      expect(keys).toHaveLength(2);
      for (const k of keys) {
        expect(k).toMatch(/^tgtest:login:(?:user|addr):[0-9a-f]{32}$/);
        expect(k.toLowerCase()).not.toContain('mallory');
        expect(k).not.toContain('203.0.113.7');
      }
      // Two failures: the user key drains in 2 × 180 s, the address key in 2 × 18 s.
      const userTtl = await client.pTTL(`${PREFIX}${rules[0]!.key}`);
      const addressTtl = await client.pTTL(`${PREFIX}${rules[1]!.key}`);
      expect(userTtl).toBeGreaterThan(350_000);
      expect(userTtl).toBeLessThanOrEqual(360_000);
      expect(addressTtl).toBeGreaterThan(35_000);
      expect(addressTtl).toBeLessThanOrEqual(36_000);

      await limiter.reset(rules[0]!.key);
      await limiter.release([rules[1]!], now);
      await limiter.release([rules[1]!], now);
      expect(await client.keys(`${PREFIX}login:*`)).toEqual([]);
    });

    it('lets every Redis failure reach the caller as StoreUnavailableError', async () => {
      // A Redis of its own, stopped under a connected store: what the signer sees in an outage.
      const own = await startTestRedis();
      const runner = await storeRunner(own.url);
      try {
        await own.stop();
        const limiter = new RedisFailureLimiter(runner);
        const rule = { key: 'test:down', limit: 5, windowMs: 900_000 };
        await expect(limiter.acquire([rule], Date.now())).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(limiter.release([rule], Date.now())).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(limiter.reset(rule.key)).rejects.toBeInstanceOf(StoreUnavailableError);
      } finally {
        await runner.close();
        await own.cleanup();
      }
    });
  });
});
