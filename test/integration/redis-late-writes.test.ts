import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { RedisStore } from '../../src/store/redis.js';
import { SessionIntegrity } from '../../src/store/session-integrity.js';
import { StoreUnavailableError } from '../../src/store/store.js';
import { RedisFailureLimiter } from '../../src/throttle/redis-limiter.js';
import { redisAvailable, useTestRedis } from '../fixtures/redis.js';
import { eventually, healthy, id, INTEGRITY_KEY, nowS, prefix, useRedisStores, withRaw } from '../fixtures/redis-stores.js';

// A write the caller gave up on (503) must not happen later, when a paused Redis catches up.

const TIMEOUT_MS = 300;
const FAULT_TEST_MS = 30_000;
const REDIS = redisAvailable();

const { redisStore } = useRedisStores({ timeoutMs: TIMEOUT_MS });

/**
 * Healthy again: its PING went over the command connection after the call that timed out, and
 * Redis answers one connection in order, so whatever that call left queued has run by now.
 */
const caughtUp = healthy;

describe.runIf(REDIS)('a write that Redis reaches only after the caller gave up', () => {
  const redis = useTestRedis(FAULT_TEST_MS);
  afterEach(() => {
    redis().resume();
  });

  /** Pauses Redis (SIGSTOP) around `call`, which must fail as an outage; resumes it and waits until it has caught up. */
  async function whilePaused(store: RedisStore, call: () => Promise<unknown>): Promise<void> {
    redis().pause();
    try {
      await expect(call()).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      redis().resume();
    }
    await caughtUp(store);
  }

  const session = (sub = 'alice') => ({ claims: { sub }, expiresAt: nowS() + 3600 });

  it(
    "is not a rotation: the session's current token is still the one presented, and the retry rotates (not reuse)",
    async () => {
      const keyPrefix = prefix();
      const store = await redisStore(redis().url, { keyPrefix });
      const key = (sid: string) => `${keyPrefix}session:${sid}`;
      // Another session first, so the script is cached and the call below is one EVALSHA queued in the paused Redis.
      const warm = id('sid');
      await store.createSession(warm, 'w', session());
      expect((await store.rotateRefresh(warm, 'w', id('jti'), { nowS: nowS(), graceS: 0 })).kind).toBe('rotated');

      const [sid, jti] = [id('sid'), id('jti')];
      await store.createSession(sid, jti, session());
      await whilePaused(store, () => store.rotateRefresh(sid, jti, id('jti'), { nowS: nowS(), graceS: 0 }));
      expect(await withRaw(redis().url, (c) => c.hGet(key(sid), 'cur'))).toBe(jti);
      expect(await withRaw(redis().url, (c) => c.hExists(key(sid), 'prev'))).toBe(0);
      // Past any grace window: had the late rotation happened, this would be reuse and end the session.
      const retried = await store.rotateRefresh(sid, jti, id('jti'), { nowS: nowS() + 5, graceS: 0 });
      expect(retried.kind).toBe('rotated');
    },
    FAULT_TEST_MS,
  );

  it(
    'is not a rotation when the script had to be loaded first (NOSCRIPT, then EVAL once Redis is back)',
    async () => {
      const keyPrefix = prefix();
      const store = await redisStore(redis().url, { keyPrefix });
      const [sid, jti] = [id('sid'), id('jti')];
      await store.createSession(sid, jti, session());
      await withRaw(redis().url, (c) => c.scriptFlush());
      await whilePaused(store, () => store.rotateRefresh(sid, jti, id('jti'), { nowS: nowS(), graceS: 0 }));
      // The EVAL went after the NOSCRIPT answer, after the resume, well past the deadline.
      await sleep(100);
      expect(await withRaw(redis().url, (c) => c.hGet(`${keyPrefix}session:${sid}`, 'cur'))).toBe(jti);
      expect((await store.rotateRefresh(sid, jti, id('jti'), { nowS: nowS(), graceS: 0 })).kind).toBe('rotated');
    },
    FAULT_TEST_MS,
  );

  it(
    "is not a session: nothing under the session key, and no place taken under the user's cap",
    async () => {
      const keyPrefix = prefix();
      const store = await redisStore(redis().url, { keyPrefix });
      await store.createSession(id('sid'), id('jti'), session('bob'));
      const sid = id('sid');
      await whilePaused(store, () => store.createSession(sid, id('jti'), session('alice')));
      expect(await withRaw(redis().url, (c) => c.exists(`${keyPrefix}session:${sid}`))).toBe(0);
      const index = `${keyPrefix}user:${new SessionIntegrity(INTEGRITY_KEY).userIndex('alice')}`;
      expect(await withRaw(redis().url, (c) => c.exists(index))).toBe(0);
    },
    FAULT_TEST_MS,
  );

  it(
    "is not run for other parts' scripts either (ScriptRunner): a login failure counted late is not counted",
    async () => {
      const keyPrefix = prefix();
      const store = await redisStore(redis().url, { keyPrefix });
      const limiter = new RedisFailureLimiter(store);
      const rule = { key: id('fail'), limit: 5, windowMs: 60_000 };
      // Cached, as above.
      await limiter.acquire([{ ...rule, key: id('warm') }], Date.now());
      await whilePaused(store, () => limiter.acquire([rule], Date.now()));
      expect(await withRaw(redis().url, (c) => c.exists(`${keyPrefix}${rule.key}`))).toBe(0);
      // ...and once Redis answers, the same script counts as before.
      expect(await limiter.acquire([rule], Date.now())).toBe(0);
      expect(await withRaw(redis().url, (c) => c.exists(`${keyPrefix}${rule.key}`))).toBe(1);
    },
    FAULT_TEST_MS,
  );

  it("hands other parts' scripts their KEYS and ARGV exactly as passed, the guard's deadline taken out", async () => {
    const store = await redisStore(redis().url);
    expect(await store.runScript('return {#KEYS, #ARGV, ARGV[1], ARGV[3]}', ['a', 'b'], ['first', 2, 'third'])).toEqual([2, 3, 'first', 'third']);
    expect(await store.runScript('return #ARGV', [], [])).toBe(0);
  });

  it(
    'is still a revocation: a logout the client was told failed (503) takes effect when Redis catches up, on every instance',
    async () => {
      const keyPrefix = prefix();
      const [a, b] = [await redisStore(redis().url, { keyPrefix }), await redisStore(redis().url, { keyPrefix })];
      await a.revokeToken(id('warm'), nowS() + 60);
      const [jti, sid] = [id('jti'), id('sid')];
      await a.createSession(sid, id('jti'), session());
      await whilePaused(a, () => a.revokeToken(jti, nowS() + 60));
      for (const store of [a, b]) {
        await eventually('the late revocation is heard', async () => ((await store.isRevoked(jti, undefined, nowS())) ? true : undefined));
      }
      await whilePaused(a, () => a.revokeSession(sid, nowS() + 60));
      await eventually('the late session revocation is heard', async () => ((await b.isRevoked(undefined, sid, nowS())) ? true : undefined));
      expect(await withRaw(redis().url, (c) => c.exists(`${keyPrefix}session:${sid}`))).toBe(0);
    },
    FAULT_TEST_MS,
  );
});
