import { createHash } from 'node:crypto';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { RedisStore } from '../../src/store/redis.js';
import { SessionIntegrity } from '../../src/store/session-integrity.js';
import { testConfig } from '../fixtures/config.js';
import { redisAvailable, useTestRedis } from '../fixtures/redis.js';
import { id, INTEGRITY_KEY, nowS, prefix, type RawClient, useRedisStores, withRaw } from '../fixtures/redis-stores.js';
import { capturingLogger, silentLogger, useTestKey } from '../fixtures/signer.js';
import { useStubUpstream } from '../fixtures/upstream-stub.js';

// Someone who can write to Redis must not be able to have the signer sign claims of their choosing.

const REDIS = redisAvailable();

const { redisStore } = useRedisStores({ timeoutMs: 1_000 });

const ADMIN = JSON.stringify({ sub: 'alice', roles: ['admin'] });

describe.runIf(REDIS)('sessions in Redis that someone else wrote', () => {
  const redis = useTestRedis(30_000);

  /** A store with a capturing logger, and a live session of alice's with role `user`. */
  async function setUp() {
    const { logger, lines } = capturingLogger();
    const keyPrefix = prefix();
    const store = await redisStore(redis().url, { keyPrefix, logger });
    const [sid, jti] = [id('sid'), id('jti')];
    await store.createSession(sid, jti, { claims: { sub: 'alice', roles: ['user'] }, expiresAt: nowS() + 3600 });
    const hash = `${keyPrefix}session:${sid}`;
    const refusals = () =>
      lines.map((line) => JSON.parse(line) as { level: number; msg: string; sid?: string }).filter((l) => l.msg.includes('integrity check'));
    return { store, sid, jti, hash, keyPrefix, lines, refusals };
  }

  it('rotates an untouched session, handing back its claims', async () => {
    const { store, sid, jti, refusals } = await setUp();
    const rotated = await store.rotateRefresh(sid, jti, id('jti'), { nowS: nowS(), graceS: 10 });
    expect(rotated).toEqual({ kind: 'rotated', session: { claims: { sub: 'alice', roles: ['user'] }, expiresAt: expect.any(Number) } });
    expect((await store.rotateRefresh(sid, jti, id('jti'), { nowS: nowS(), graceS: 10 })).kind).toBe('grace');
    expect(refusals()).toEqual([]);
  });

  it.each<[string, (client: RawClient, hash: string) => Promise<unknown>]>([
    ['its claims were changed', (c, hash) => c.hSet(hash, 'claims', ADMIN)],
    ['its end was moved later', async (c, hash) => c.hSet(hash, 'exp', String(Number(await c.hGet(hash, 'exp')) + 86_400))],
    ['its MAC was changed', (c, hash) => c.hSet(hash, 'mac', 'A'.repeat(43))],
    ['its MAC was deleted', (c, hash) => c.hDel(hash, 'mac')],
    [
      'its claims and MAC were copied from another (admin) session',
      async (c, hash) => {
        const exp = await c.hGet(hash, 'exp');
        return c.hSet(hash, { claims: ADMIN, mac: new SessionIntegrity(INTEGRITY_KEY).seal('an-admin-session', exp!, ADMIN) });
      },
    ],
  ])('refuses the refresh when %s: the session counts as gone, logged with its id only', async (_case, tamper) => {
    const { store, sid, jti, hash, lines, refusals } = await setUp();
    await withRaw(redis().url, (c) => tamper(c, hash));
    expect(await store.rotateRefresh(sid, jti, id('jti'), { nowS: nowS(), graceS: 10 })).toEqual({ kind: 'unknown' });
    expect(refusals()).toEqual([expect.objectContaining({ level: 50, sid })]);
    expect(lines.join('')).not.toContain('admin');
    // Nothing else is revoked: the store's other sessions and revocations are untouched.
    expect(await store.isRevoked(undefined, sid, nowS())).toBe(false);
  });

  it('refuses a tampered session within the grace window too, once per refusal', async () => {
    const { store, sid, jti, hash, refusals } = await setUp();
    expect((await store.rotateRefresh(sid, jti, id('jti'), { nowS: nowS(), graceS: 10 })).kind).toBe('rotated');
    await withRaw(redis().url, (c) => c.hSet(hash, 'claims', ADMIN));
    expect(await store.rotateRefresh(sid, jti, id('jti'), { nowS: nowS(), graceS: 10 })).toEqual({ kind: 'unknown' });
    expect(await store.rotateRefresh(sid, jti, id('jti'), { nowS: nowS(), graceS: 10 })).toEqual({ kind: 'unknown' });
    expect(refusals()).toHaveLength(2);
  });

  it('refuses sessions written under another integrity key: every instance must be given the same', async () => {
    const { sid, jti, keyPrefix } = await setUp();
    const other = await redisStore(redis().url, { keyPrefix, integrityKey: new Uint8Array(32).fill(10) });
    expect(await other.rotateRefresh(sid, jti, id('jti'), { nowS: nowS(), graceS: 10 })).toEqual({ kind: 'unknown' });
  });

  it("names the user's session index by a keyed hash: hashing a guessed sub does not find it", async () => {
    const { keyPrefix } = await setUp();
    const names = await withRaw(redis().url, (c) => c.keys(`${keyPrefix}user:*`));
    expect(names).toEqual([`${keyPrefix}user:${new SessionIntegrity(INTEGRITY_KEY).userIndex('alice')}`]);
    expect(names[0]).not.toContain(createHash('sha256').update('alice').digest('hex').slice(0, 32));
  });

  it('refuses the key when it is too short', () => {
    expect(() =>
      RedisStore.start({ url: redis().url, keyPrefix: prefix(), timeoutMs: 1_000, failOpen: false, integrityKey: new Uint8Array(16), logger: silentLogger() }),
    ).toThrow(TypeError);
  });

  describe('through the signer', () => {
    const key = useTestKey();
    const stub = useStubUpstream();

    it('signs no token for claims someone wrote into Redis: POST /refresh answers 401', async () => {
      const keyPrefix = prefix();
      const store = await redisStore(redis().url, { keyPrefix });
      const app = createApp(testConfig({ AUTHENTICATE_URL: stub().url }), { logger: silentLogger(), key: key(), store });
      const login = await request(app).post('/login').send({ username: 'alice', password: 'wonderland' });
      expect(login.status, login.text).toBe(200);
      await withRaw(redis().url, async (c) => {
        const [hash] = await c.keys(`${keyPrefix}session:*`);
        const claims = JSON.parse((await c.hGet(hash!, 'claims'))!) as Record<string, unknown>;
        await c.hSet(hash!, 'claims', JSON.stringify({ ...claims, roles: ['admin'] }));
      });
      const refreshed = await request(app).post('/refresh').send({ refresh_token: login.body.refresh_token });
      expect(refreshed.status, refreshed.text).toBe(401);
      expect(refreshed.body.token).toBeUndefined();
    });
  });
});
