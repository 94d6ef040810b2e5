import { setTimeout as sleep } from 'node:timers/promises';
import type { RequestListener } from 'node:http';
import { createClient } from 'redis';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { openStore } from '../../src/store/open-store.js';
import type { RedisStore } from '../../src/store/redis.js';
import { StoreUnavailableError } from '../../src/store/store.js';
import { RedisFailureLimiter } from '../../src/throttle/redis-limiter.js';
import { testConfig } from '../fixtures/config.js';
import { redisAvailable, useTestRedis, type TestRedis } from '../fixtures/redis.js';
import { eventually, healthy, id, INTEGRITY_KEY, nowS, prefix, useRedisStores, withRaw } from '../fixtures/redis-stores.js';
import { capturingLogger, silentLogger, useTestKey } from '../fixtures/signer.js';
import { describeStoreContract } from '../fixtures/store-contract.js';
import { answer, useStubUpstream } from '../fixtures/upstream-stub.js';

/** Short, so the fault cases run in seconds; production defaults to 1000 ms. */
const TIMEOUT_MS = 300;
const FAULT_TEST_MS = 30_000;
const ALICE = { username: 'alice', password: 'wonderland' };

// Once: without redis-server it warns (or, under CI, fails) a single time.
const REDIS = redisAvailable();

/** Stores with the short timeout, on one fixed prefix unless a test gives its own. */
const { redisStore, closeAfterTest } = useRedisStores({ keyPrefix: 'tokengate:', timeoutMs: TIMEOUT_MS });

const outOfSync = (store: RedisStore) =>
  eventually('isRevoked fails closed', () =>
    store.isRevoked('x', undefined, nowS()).then(
      () => undefined,
      (err: unknown) => err,
    ),
  );

describe.runIf(REDIS)('the Redis store', () => {
  const redis = useTestRedis(FAULT_TEST_MS);

  describeStoreContract('redis', (clock) =>
    openStore({
      redisUrl: redis().url,
      keyPrefix: prefix(),
      timeoutMs: 1_000,
      failOpen: false,
      integrityKey: INTEGRITY_KEY,
      logger: silentLogger(),
      nowS: clock.nowS,
    }),
  );

  describe('what it keeps in Redis', () => {
    const key = useTestKey();
    const stub = useStubUpstream();

    it('writes only keys under KEY_PREFIX, each with a TTL, holding ids and claims but never a token', async () => {
      // A database of its own, so every key in it is this signer's.
      const url = `${redis().url}/3`;
      const keyPrefix = prefix();
      const store = await redisStore(url, { keyPrefix });
      const app = createApp(testConfig({ AUTHENTICATE_URL: stub().url, REFRESH_GRACE_S: '0' }), {
        logger: silentLogger(),
        key: key(),
        store,
        limiter: new RedisFailureLimiter(store),
      });
      const tokens: string[] = [];
      const login = async () => {
        const res = await request(app).post('/login').send(ALICE);
        expect(res.status).toBe(200);
        tokens.push(res.body.token, res.body.refresh_token);
        return res.body as { token: string; refresh_token: string };
      };
      const first = await login();
      const rotated = await request(app).post('/refresh').send({ refresh_token: first.refresh_token });
      expect(rotated.status).toBe(200);
      tokens.push(rotated.body.token, rotated.body.refresh_token);
      // Reuse of the rotated-away token revokes the session.
      expect((await request(app).post('/refresh').send({ refresh_token: first.refresh_token })).status).toBe(401);
      const second = await login();
      expect((await request(app).post('/logout').set('Authorization', `Bearer ${second.token}`)).status).toBe(204);
      await login();
      stub().respond(answer(401, { error: 'invalid_credentials' }));
      expect((await request(app).post('/login').send({ username: 'mallory', password: 'guess' })).status).toBe(401);

      const keys = await withRaw(url, async (client) => {
        const found: { name: string; type: string; ttl: number; value: string }[] = [];
        for await (const batch of client.scanIterator({ COUNT: 100 })) {
          for (const name of batch) {
            const type = String(await client.sendCommand(['TYPE', name]));
            const value = JSON.stringify(
              type === 'hash'
                ? await client.hGetAll(name)
                : type === 'zset'
                  ? await client.sendCommand(['ZRANGE', name, '0', '-1', 'WITHSCORES'])
                  : await client.get(name),
            );
            found.push({ name, type, ttl: Number(await client.sendCommand(['PTTL', name])), value });
          }
        }
        return found;
      });
      expect(keys.map((k) => k.name).sort()).toEqual(
        expect.arrayContaining([`${keyPrefix}revoked`, expect.stringMatching(/:session:/), expect.stringMatching(/:user:/)]),
      );
      for (const k of keys) {
        expect(k.name.startsWith(keyPrefix), k.name).toBe(true);
        expect(k.ttl, k.name).toBeGreaterThan(0);
        for (const token of tokens) {
          expect(k.value).not.toContain(token);
          expect(k.value).not.toContain(token.split('.')[2]);
        }
        expect(k.value).not.toContain('wonderland');
      }
    });

    it('prunes revocations that ended more than the margin ago, and lets the set expire after the last one', async () => {
      let clock = nowS();
      const keyPrefix = prefix();
      const store = await redisStore(redis().url, { keyPrefix, nowS: () => clock });
      await store.revokeToken('old', clock + 10);
      clock += 10 + 301;
      await store.revokeToken('new', clock + 60);
      const [members, ttl] = await withRaw(redis().url, async (client) => [
        await client.sendCommand(['ZRANGE', `${keyPrefix}revoked`, '0', '-1']),
        Number(await client.sendCommand(['TTL', `${keyPrefix}revoked`])),
      ]);
      expect(members).toEqual(['t:new']);
      // EXPIREAT the last deadline plus the margin, on Redis's clock (real time, here 311 s behind).
      const expected = clock + 60 + 300 - nowS();
      expect(ttl).toBeGreaterThanOrEqual(expected - 2);
      expect(ttl).toBeLessThanOrEqual(expected);
    });
  });

  describe("bounding one user's sessions", () => {
    const rotate = (store: RedisStore, sid: string, jti: string) => store.rotateRefresh(sid, jti, id('next'), { nowS: nowS(), graceS: 10 }).then((r) => r.kind);

    it("holds at most maxSessionsPerSub per user, forgetting the one that ends first, and only that user's", async () => {
      const store = await redisStore(redis().url, { keyPrefix: prefix(), maxSessionsPerSub: 2 });
      const t = nowS();
      await store.createSession('bob-1', 'b1', { claims: { sub: 'bob' }, expiresAt: t + 3600 });
      for (const i of [1, 2, 3]) await store.createSession(`alice-${i}`, `a${i}`, { claims: { sub: 'alice' }, expiresAt: t + 3600 + i });
      expect(await rotate(store, 'alice-1', 'a1')).toBe('unknown');
      expect(await rotate(store, 'alice-2', 'a2')).toBe('rotated');
      expect(await rotate(store, 'alice-3', 'a3')).toBe('rotated');
      expect(await rotate(store, 'bob-1', 'b1')).toBe('rotated');
    });

    it('does not count a session that already ended', async () => {
      const store = await redisStore(redis().url, { keyPrefix: prefix(), maxSessionsPerSub: 2 });
      const t = nowS();
      for (const i of [1, 2]) await store.createSession(`alice-${i}`, `a${i}`, { claims: { sub: 'alice' }, expiresAt: t + 3600 + i });
      await store.revokeSession('alice-2', t + 60);
      await store.createSession('alice-3', 'a3', { claims: { sub: 'alice' }, expiresAt: t + 3603 });
      expect(await rotate(store, 'alice-1', 'a1')).toBe('rotated');
      expect(await rotate(store, 'alice-3', 'a3')).toBe('rotated');
    });
  });

  describe('several instances on one Redis', () => {
    it('tells the other instance of a revocation within a second, through pub/sub', async () => {
      const keyPrefix = prefix();
      const [a, b] = [await redisStore(redis().url, { keyPrefix }), await redisStore(redis().url, { keyPrefix })];
      const jti = id('jti');
      expect(await b.isRevoked(jti, undefined, nowS())).toBe(false);
      const start = performance.now();
      await a.revokeToken(jti, nowS() + 60);
      const revoked = performance.now();
      expect(await a.isRevoked(jti, undefined, nowS())).toBe(true);
      // Polled on every turn of the event loop, so the figure is the delay, not a poll interval.
      while (!(await b.isRevoked(jti, undefined, nowS()))) {
        expect(performance.now() - revoked).toBeLessThan(1_000);
        await new Promise((resolve) => setImmediate(resolve));
      }
      const ms = (t: number) => `${t.toFixed(1)} ms`;
      console.log(
        `revocation propagation: revokeToken took ${ms(revoked - start)}; the other instance refused the token ${ms(performance.now() - revoked)} later`,
      );
      const sid = id('sid');
      await b.revokeSession(sid, nowS() + 60);
      await eventually('a sees the session revoked', async () => ((await a.isRevoked(undefined, sid, nowS())) ? true : undefined), 1_000);
    });

    it('rotates exactly once among 50 callers split across two instances', async () => {
      const keyPrefix = prefix();
      const [a, b] = [await redisStore(redis().url, { keyPrefix }), await redisStore(redis().url, { keyPrefix })];
      const [sid, jti] = [id('sid'), id('jti')];
      await a.createSession(sid, jti, { claims: { sub: 'alice' }, expiresAt: nowS() + 3600 });
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).rotateRefresh(sid, jti, id('next'), { nowS: nowS(), graceS: 10 })),
      );
      const kinds = results.map((r) => r.kind);
      expect(kinds.filter((k) => k === 'rotated')).toHaveLength(1);
      expect(kinds.filter((k) => k === 'grace')).toHaveLength(49);
    });

    it('detects reuse on one instance and refuses the session on the other', async () => {
      const keyPrefix = prefix();
      const [a, b] = [await redisStore(redis().url, { keyPrefix }), await redisStore(redis().url, { keyPrefix })];
      const [sid, first, second] = [id('sid'), id('jti'), id('jti')];
      await a.createSession(sid, first, { claims: { sub: 'alice' }, expiresAt: nowS() + 3600 });
      expect((await a.rotateRefresh(sid, first, second, { nowS: nowS(), graceS: 0 })).kind).toBe('rotated');
      expect((await b.rotateRefresh(sid, first, id('jti'), { nowS: nowS(), graceS: 0 })).kind).toBe('reused');
      expect(await b.isRevoked(undefined, sid, nowS())).toBe(true);
      await eventually('a refuses the session', async () => ((await a.isRevoked(undefined, sid, nowS())) ? true : undefined), 1_000);
      expect((await a.rotateRefresh(sid, second, id('jti'), { nowS: nowS(), graceS: 0 })).kind).toBe('unknown');
    });

    it('loads the revocations made before it started', async () => {
      const keyPrefix = prefix();
      const a = await redisStore(redis().url, { keyPrefix });
      const [jti, sid] = [id('jti'), id('sid')];
      await a.revokeToken(jti, nowS() + 60);
      await a.revokeSession(sid, nowS() + 60);
      const fresh = await redisStore(redis().url, { keyPrefix });
      expect(await fresh.isRevoked(jti, undefined, nowS())).toBe(true);
      expect(await fresh.isRevoked(undefined, sid, nowS())).toBe(true);
      expect(await fresh.isRevoked(id('jti'), id('sid'), nowS())).toBe(false);
    });

    it("ends a user's sessions on one instance and refuses their tokens on the other within a second; a restarted signer loads it", async () => {
      const keyPrefix = prefix();
      const [a, b] = [await redisStore(redis().url, { keyPrefix }), await redisStore(redis().url, { keyPrefix })];
      const bob = id('bob');
      const [sid, jti] = [id('sid'), id('jti')];
      await b.createSession(sid, jti, { claims: { sub: bob }, expiresAt: nowS() + 3600 });
      const issued = { sub: bob, iat: nowS() - 5 };
      expect(await b.isRevoked(id('jti'), sid, nowS(), issued)).toBe(false);
      const revoked = performance.now();
      expect(await a.revokeSubject(bob, nowS(), nowS() + 3600, nowS() + 3600)).toBe(1);
      await eventually('b refuses the user', async () => ((await b.isRevoked(id('jti'), sid, nowS(), issued)) ? true : undefined), 1_000);
      console.log(`a user's revocation reached the other instance ${(performance.now() - revoked).toFixed(1)} ms later`);
      expect((await b.rotateRefresh(sid, jti, id('jti'), { nowS: nowS(), graceS: 0 })).kind).toBe('unknown');
      expect(await b.isRevoked(undefined, undefined, nowS(), { sub: bob, iat: nowS() + 1 })).toBe(false);
      const fresh = await redisStore(redis().url, { keyPrefix });
      expect(await fresh.isRevoked(undefined, undefined, nowS(), issued)).toBe(true);
      expect(await fresh.isRevoked(undefined, undefined, nowS(), { sub: id('alice'), iat: nowS() - 5 })).toBe(false);
    });

    it("runs other parts' scripts with their keys prefixed (ScriptRunner)", async () => {
      const keyPrefix = prefix();
      const store = await redisStore(redis().url, { keyPrefix });
      expect(await store.runScript("redis.call('SET', KEYS[1], ARGV[1], 'EX', 60) return redis.call('GET', KEYS[1])", ['probe'], [42])).toBe('42');
      expect(await withRaw(redis().url, (client) => client.get(`${keyPrefix}probe`))).toBe('42');
    });
  });
});

describe.runIf(REDIS)('the Redis store when Redis fails', () => {
  const redis = useTestRedis(FAULT_TEST_MS);
  afterEach(async () => {
    // Whatever a test did to it, the next one gets a running Redis.
    redis().resume();
    if (!(await redisUp(redis()))) await redis().start();
  }, FAULT_TEST_MS);

  it(
    'fails closed while Redis hangs (SIGSTOP), within about the timeout, and recovers by itself',
    async () => {
      const keyPrefix = prefix();
      const [a, b] = [await redisStore(redis().url, { keyPrefix }), await redisStore(redis().url, { keyPrefix })];
      const known = id('jti');
      await a.revokeToken(known, nowS() + 600);
      redis().pause();

      const start = performance.now();
      await expect(a.createSession(id('sid'), id('jti'), { claims: { sub: 'alice' }, expiresAt: nowS() + 60 })).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(b.revokeToken(id('jti'), nowS() + 60)).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(a.rotateRefresh(id('sid'), id('jti'), id('jti'), { nowS: nowS(), graceS: 10 })).rejects.toBeInstanceOf(StoreUnavailableError);
      // Three calls in a row, each bounded by the timeout.
      expect(performance.now() - start).toBeLessThan(3 * TIMEOUT_MS + 500);
      expect(await outOfSync(a)).toBeInstanceOf(StoreUnavailableError);
      expect(await a.health()).toMatchObject({ kind: 'redis', ok: false, detail: expect.any(String) });

      redis().resume();
      await healthy(a);
      await healthy(b);
      expect(await a.isRevoked(known, undefined, nowS())).toBe(true);
      const jti = id('jti');
      await a.revokeToken(jti, nowS() + 60);
      await eventually('b hears of a revocation made after the pause', async () => ((await b.isRevoked(jti, undefined, nowS())) ? true : undefined), 1_000);
    },
    FAULT_TEST_MS,
  );

  it(
    'fails closed while Redis is down, and after a restart (empty) recovers, keeping what it knew',
    async () => {
      const { logger, lines } = capturingLogger();
      const keyPrefix = prefix();
      const [a, b] = [await redisStore(redis().url, { keyPrefix, logger }), await redisStore(redis().url, { keyPrefix })];
      const known = id('jti');
      await a.revokeToken(known, nowS() + 600);
      await eventually('b knows', async () => ((await b.isRevoked(known, undefined, nowS())) ? true : undefined), 1_000);
      await redis().stop();

      expect(await outOfSync(a)).toBeInstanceOf(StoreUnavailableError);
      await expect(a.revokeSession(id('sid'), nowS() + 60)).rejects.toBeInstanceOf(StoreUnavailableError);
      expect((await a.health()).ok).toBe(false);
      // Several reconnect attempts go by.
      await sleep(1_500);

      await redis().start();
      await healthy(a);
      await healthy(b);
      // The restarted Redis is empty; the mirrors still refuse what they had learnt.
      expect(await a.isRevoked(known, undefined, nowS())).toBe(true);
      expect(await b.isRevoked(known, undefined, nowS())).toBe(true);
      const jti = id('jti');
      await b.revokeToken(jti, nowS() + 60);
      await eventually('a hears of a revocation made after the restart', async () => ((await a.isRevoked(jti, undefined, nowS())) ? true : undefined), 1_000);

      const logged = lines.map((line) => JSON.parse(line) as { msg: string });
      expect(logged.filter((l) => l.msg.startsWith('Redis connection failed'))).toHaveLength(1);
      expect(logged.filter((l) => l.msg.startsWith('Redis connection restored'))).toHaveLength(1);
      expect(logged.filter((l) => l.msg.startsWith('revocation list out of sync'))).toHaveLength(1);
    },
    FAULT_TEST_MS,
  );

  it(
    'with failOpen, answers revocation checks from the last known list while Redis is down, warning once',
    async () => {
      const { logger, lines } = capturingLogger();
      const store = await redisStore(redis().url, { keyPrefix: prefix(), failOpen: true, logger });
      const revoked = id('jti');
      await store.revokeToken(revoked, nowS() + 600);
      await redis().stop();
      await eventually('the mirror is out of sync', async () => (lines.some((line) => line.includes('out of sync')) ? true : undefined));
      expect((await store.health()).ok).toBe(false);
      for (let i = 0; i < 100; i++) {
        expect(await store.isRevoked(revoked, undefined, nowS())).toBe(true);
        expect(await store.isRevoked(id('jti'), undefined, nowS())).toBe(false);
      }
      expect(lines.filter((line) => line.includes('STORE_FAIL_OPEN'))).toHaveLength(1);
      await expect(store.revokeToken(id('jti'), nowS() + 60)).rejects.toBeInstanceOf(StoreUnavailableError);
    },
    FAULT_TEST_MS,
  );

  it(
    'answers revocation checks from the last known list for maxStaleMs after losing Redis, then fails closed, and recovers',
    async () => {
      const { logger, lines } = capturingLogger();
      const store = await redisStore(redis().url, { keyPrefix: prefix(), maxStaleMs: 1_000, logger });
      const revoked = id('jti');
      await store.revokeToken(revoked, nowS() + 600);
      await redis().stop();
      await eventually('the mirror is out of sync', async () => (lines.some((line) => line.includes('out of sync')) ? true : undefined));
      const lostAt = performance.now();
      expect((await store.health()).ok).toBe(false);
      expect(await store.isRevoked(revoked, undefined, nowS())).toBe(true);
      expect(await store.isRevoked(id('jti'), undefined, nowS())).toBe(false);
      await sleep(1_000 - (performance.now() - lostAt) + 50);
      await expect(store.isRevoked(id('jti'), undefined, nowS())).rejects.toBeInstanceOf(StoreUnavailableError);
      await redis().start();
      await healthy(store);
      // The restarted Redis is empty; this instance's copy still refuses what it knew.
      expect(await store.isRevoked(revoked, undefined, nowS())).toBe(true);
      expect(await store.isRevoked(id('jti'), undefined, nowS())).toBe(false);
    },
    FAULT_TEST_MS,
  );

  it(
    'starts degraded when Redis is down, within a bounded time, and becomes ready when it comes',
    async () => {
      await redis().stop();
      const { logger, lines } = capturingLogger();
      const start = performance.now();
      const store = closeAfterTest(
        await openStore({ redisUrl: redis().url, keyPrefix: prefix(), timeoutMs: TIMEOUT_MS, failOpen: false, integrityKey: INTEGRITY_KEY, logger }),
      );
      expect(performance.now() - start).toBeLessThan(2 * TIMEOUT_MS + 500);
      expect(lines.filter((line) => line.includes('starting degraded'))).toHaveLength(1);
      expect((await store.health()).ok).toBe(false);
      await expect(store.isRevoked('x', undefined, nowS())).rejects.toBeInstanceOf(StoreUnavailableError);
      await redis().start();
      await healthy(store as RedisStore);
      expect(await store.isRevoked('x', undefined, nowS())).toBe(false);
    },
    FAULT_TEST_MS,
  );

  it(
    'never logs the URL or its password, and logs each way an outage fails once, not per retry',
    async () => {
      const { logger, lines } = capturingLogger();
      const url = `redis://tokengate:hunter2-secret@127.0.0.1:${redis().port}`;
      await redis().stop();
      const store = closeAfterTest(
        await openStore({ redisUrl: url, keyPrefix: prefix(), timeoutMs: TIMEOUT_MS, failOpen: false, integrityKey: INTEGRITY_KEY, logger }),
      );
      await sleep(2_000);
      await redis().start();
      // This Redis has no such user: AUTH fails on every attempt, a different outage.
      await sleep(1_000);
      await store.close();
      expect(lines.join('\n')).not.toContain('hunter2');
      expect(lines.join('\n')).not.toContain(url);
      // Once for the refused connections, once for the refused password: not once per retry.
      const failures = lines.map((line) => JSON.parse(line) as { msg: string; err?: string }).filter((l) => l.msg.startsWith('Redis connection failed'));
      expect(failures.map((l) => l.err)).toEqual([expect.stringContaining('ECONNREFUSED'), expect.stringContaining('WRONGPASS')]);
    },
    FAULT_TEST_MS,
  );

  it('closes twice without complaint, and refuses afterwards', async () => {
    const store = await redisStore(redis().url, { keyPrefix: prefix() });
    await Promise.all([store.close(), store.close()]);
    await store.close();
    expect((await store.health()).ok).toBe(false);
    await expect(store.isRevoked('x', undefined, nowS())).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.revokeToken('x', nowS() + 60)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  describe('through the signer', () => {
    const key = useTestKey();
    const stub = useStubUpstream();
    let app: RequestListener;
    let store: RedisStore;
    beforeEach(async () => {
      store = await redisStore(redis().url, { keyPrefix: prefix(), logger: silentLogger() });
      app = createApp(testConfig({ AUTHENTICATE_URL: stub().url }), { logger: silentLogger(), key: key(), store });
    });

    const verify = (token: string) => request(app).get('/verify').set('Authorization', `Bearer ${token}`);

    it(
      'answers 503 store_unavailable (never 500) to /verify and /login while Redis is down, and 204 again after',
      async () => {
        const login = await request(app).post('/login').send(ALICE);
        expect(login.status, login.text).toBe(200);
        expect((await verify(login.body.token)).status).toBe(204);

        await redis().stop();
        const refused = await eventually('verify refuses', async () => {
          const res = await verify(login.body.token);
          expect([204, 503], res.text).toContain(res.status);
          return res.status === 503 ? res : undefined;
        });
        expect(refused.body).toMatchObject({ error: 'store_unavailable' });
        expect(refused.headers['retry-after']).toBe('1');
        const loginDown = await request(app).post('/login').send(ALICE);
        expect(loginDown.status, loginDown.text).toBe(503);
        expect(loginDown.body).toMatchObject({ error: 'store_unavailable' });
        expect(loginDown.headers['retry-after']).toBe('1');
        const logoutDown = await request(app).post('/logout').set('Authorization', `Bearer ${login.body.token}`);
        expect(logoutDown.status, logoutDown.text).toBe(503);

        await redis().start();
        await eventually('verify accepts again', async () => ((await verify(login.body.token)).status === 204 ? true : undefined));
        const loginUp = await request(app).post('/login').send(ALICE);
        expect(loginUp.status, loginUp.text).toBe(200);
      },
      FAULT_TEST_MS,
    );
  });
});

/** Whether the test Redis answers at all right now. */
async function redisUp(redis: TestRedis): Promise<boolean> {
  const client = createClient({ url: redis.url, socket: { connectTimeout: 500, reconnectStrategy: false } });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.destroy();
  }
}
