import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ManagedProcess } from '../../scripts/stack/managed-process.js';
import { testPort } from '../fixtures/ports.js';
import { findRedisServer, startRedisServer } from '../../scripts/stack/redis.js';
import { UnreplicatedWriteError, type Replication } from '../../src/store/replication.js';
import { StoreUnavailableError } from '../../src/store/store.js';
import { RedisFailureLimiter } from '../../src/throttle/redis-limiter.js';
import { redisAvailable, useTestRedis } from '../fixtures/redis.js';
import { eventually, id, nowS, prefix, useRedisStores, withRaw } from '../fixtures/redis-stores.js';
import { capturingLogger } from '../fixtures/signer.js';

// A master and one replica, without Sentinel: what WAIT gives each store write, and what a write
// no replica acknowledges becomes (the replica is paused with SIGSTOP: it holds its connection
// and acknowledges nothing, as a replica that hangs or is cut off does).

const WAIT_MS = 200;
const TEST_MS = 30_000;
const REDIS = redisAvailable();
const failing: Replication = { replicas: 1, timeoutMs: WAIT_MS, unmet: 'fail' };
const { redisStore } = useRedisStores({ timeoutMs: 1_000, replication: failing });
const session = (sub = 'alice') => ({ claims: { sub }, expiresAt: nowS() + 600 });

describe.runIf(REDIS)('store writes and the replicas (REDIS_WAIT_*)', () => {
  const master = useTestRedis(TEST_MS);
  let replica: ManagedProcess | undefined;
  let replicaUrl = '';
  let dir = '';
  const pauseReplica = () => process.kill(-replica!.pid, 'SIGSTOP');
  const resumeReplica = () => process.kill(-replica!.pid, 'SIGCONT');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tokengate-replica-'));
    const port = await testPort();
    replica = await startRedisServer({
      bin: findRedisServer()!,
      name: 'redis-replica',
      host: '127.0.0.1',
      port,
      dir,
      replicaOf: { host: '127.0.0.1', port: master().port },
    });
    replicaUrl = `redis://127.0.0.1:${port}`;
    await eventually('the replica is in sync', () =>
      withRaw(replicaUrl, async (c) => ((await c.info('replication')).includes('master_link_status:up') ? true : undefined)),
    );
  }, TEST_MS);
  afterEach(() => resumeReplica());
  afterAll(async () => {
    resumeReplica();
    await replica?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** What the replica holds under `key` right now. */
  const onReplica = (key: string) => withRaw(replicaUrl, (c) => c.hGet(key, 'cur'));

  it('answers a write only once the replica has it: the new session is there when createSession returns', async () => {
    const keyPrefix = prefix();
    const store = await redisStore(master().url, { keyPrefix });
    const [sid, jti] = [id('sid'), id('jti')];
    await store.createSession(sid, jti, session());
    expect(await onReplica(`${keyPrefix}session:${sid}`)).toBe(jti);
  });

  it('refuses a new session no replica acknowledged, after REDIS_WAIT_MS, and takes it back on the master', async () => {
    const keyPrefix = prefix();
    const store = await redisStore(master().url, { keyPrefix });
    const sid = id('sid');
    pauseReplica();
    const start = performance.now();
    const err = await store.createSession(sid, id('jti'), session()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreplicatedWriteError);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(performance.now() - start).toBeGreaterThanOrEqual(WAIT_MS - 5);
    expect(performance.now() - start).toBeLessThan(WAIT_MS + 500);
    expect(await withRaw(master().url, (c) => c.exists(`${keyPrefix}session:${sid}`))).toBe(0);
    expect(await store.listSessions('alice', nowS())).toEqual([]);
  });

  it('holds no write longer than twice REDIS_WAIT_MS when no replica answers, however many at once, nor a read behind them longer than once', async () => {
    const store = await redisStore(master().url, { keyPrefix: prefix() });
    pauseReplica();
    const start = performance.now();
    const writes = Array.from({ length: 50 }, () =>
      store.createSession(id('sid'), id('jti'), session()).then(
        () => 'done',
        (err: unknown) => err,
      ),
    );
    await new Promise((r) => setTimeout(r, 20));
    const readFrom = performance.now();
    await store.listSessions('alice', nowS());
    const readMs = performance.now() - readFrom;
    const outcomes = await Promise.all(writes);
    expect(outcomes.filter((o) => !(o instanceof UnreplicatedWriteError))).toEqual([]);
    expect(performance.now() - start).toBeLessThan(2 * WAIT_MS + 300);
    expect(readMs).toBeLessThan(WAIT_MS + 100);
  });

  it('puts back a rotation no replica acknowledged: the retry with the same refresh token rotates, and is no reuse', async () => {
    const store = await redisStore(master().url, { keyPrefix: prefix() });
    const [sid, first] = [id('sid'), id('jti')];
    await store.createSession(sid, first, session());
    const at = { nowS: nowS(), graceS: 0 };
    pauseReplica();
    await expect(store.rotateRefresh(sid, first, id('jti'), at)).rejects.toBeInstanceOf(UnreplicatedWriteError);
    resumeReplica();
    expect((await store.rotateRefresh(sid, first, id('jti'), at)).kind).toBe('rotated');
  });

  it('keeps a logout no replica acknowledged in force, here at once and in Redis, though it answers 503', async () => {
    const keyPrefix = prefix();
    const store = await redisStore(master().url, { keyPrefix });
    const [sid, jti] = [id('sid'), id('jti')];
    await store.createSession(sid, id('jti'), session());
    pauseReplica();
    await expect(store.revokeToken(jti, nowS() + 600)).rejects.toBeInstanceOf(UnreplicatedWriteError);
    await expect(store.revokeSession(sid, nowS() + 600)).rejects.toBeInstanceOf(UnreplicatedWriteError);
    expect(await store.isRevoked(jti, undefined, nowS())).toBe(true);
    expect(await store.isRevoked(undefined, sid, nowS())).toBe(true);
    resumeReplica();
    const later = await redisStore(master().url, { keyPrefix });
    expect([await later.isRevoked(jti, undefined, nowS()), await later.isRevoked(undefined, sid, nowS())]).toEqual([true, true]);
    expect((await later.rotateRefresh(sid, 'any', id('jti'), { nowS: nowS(), graceS: 0 })).kind).toBe('unknown');
  });

  it("keeps a user's revocation and an admin's ended session in force when no replica acknowledges them", async () => {
    const store = await redisStore(master().url, { keyPrefix: prefix() });
    const [mine, theirs] = [id('sid'), id('sid')];
    await store.createSession(mine, id('jti'), session('bob'));
    await store.createSession(theirs, id('jti'), session('carol'));
    pauseReplica();
    const now = nowS();
    await expect(store.revokeSubject('bob', now, now + 600, now + 600)).rejects.toBeInstanceOf(UnreplicatedWriteError);
    await expect(store.endSessionOf('carol', theirs, now + 600)).rejects.toBeInstanceOf(UnreplicatedWriteError);
    // Nothing to end: nothing written, so nothing to wait for.
    expect(await store.endSessionOf('carol', id('sid'), now + 600)).toBe(false);
    expect(await store.isRevoked(undefined, undefined, now, { sub: 'bob', iat: now })).toBe(true);
    expect(await store.isRevoked(undefined, theirs, now)).toBe(true);
    expect(await store.listSessions('bob', now)).toEqual([]);
    expect(await store.listSessions('carol', now)).toEqual([]);
  });

  it('takes back a client nonce no replica acknowledged, so the client retrying the same token is no replay', async () => {
    const store = await redisStore(master().url, { keyPrefix: prefix() });
    const nonce = id('nonce');
    pauseReplica();
    await expect(store.claimNonce('billing', nonce, 40)).rejects.toBeInstanceOf(UnreplicatedWriteError);
    resumeReplica();
    expect(await store.claimNonce('billing', nonce, 40)).toBe(true);
    expect(await store.claimNonce('billing', nonce, 40)).toBe(false);
  });

  it('waits for nothing on a read or a login counter', async () => {
    const store = await redisStore(master().url, { keyPrefix: prefix() });
    pauseReplica();
    const start = performance.now();
    await store.listSessions('alice', nowS());
    await new RedisFailureLimiter(store).acquire([{ key: id('login'), limit: 5, windowMs: 60_000 }], Date.now());
    expect(performance.now() - start).toBeLessThan(WAIT_MS);
  });

  it('with REDIS_WAIT_UNMET=accept, answers the write as done after REDIS_WAIT_MS, and warns once a minute', async () => {
    const { logger, lines } = capturingLogger();
    const keyPrefix = prefix();
    const store = await redisStore(master().url, { keyPrefix, logger, replication: { ...failing, unmet: 'accept' } });
    pauseReplica();
    const sids = [id('sid'), id('sid')];
    for (const sid of sids) await store.createSession(sid, id('jti'), session());
    expect(await withRaw(master().url, (c) => c.exists(sids.map((sid) => `${keyPrefix}session:${sid}`)))).toBe(2);
    expect(lines.filter((line) => line.includes('REDIS_WAIT_UNMET=accept'))).toHaveLength(1);
  });
});
