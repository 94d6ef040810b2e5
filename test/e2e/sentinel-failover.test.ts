import { hkdfSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSentinelSet, type SentinelSet } from '../../scripts/stack/sentinel.js';
import { RedisStore } from '../../src/store/redis.js';
import { silentLogger } from '../fixtures/signer.js';
import { sentinelAvailable } from '../fixtures/sentinels.js';
import { testPortList } from '../fixtures/ports.js';
import {
  check,
  claimsOf,
  closeAgents,
  login,
  refresh,
  report,
  send,
  summarize,
  underLoad,
  verifyAt,
  type AckedLogout,
  type Sample,
  type Tokens,
} from './failover-load.js';
import { frontAvailable, launch, type TestStack } from './harness.js';
import { cleanupRunners, spawnRunner } from './runner-harness.js';

// The issue-17 suite: a real redis-server master with two replicas, three real redis-sentinel
// processes, two signers and the real nginx, all on loopback. Under steady load (protected
// requests with tokens issued before the fault; logins, refreshes and logouts from three client
// addresses), one fault per test, then what it cost, printed and checked:
//   1. SIGKILL of the master: no protected request fails (the signers answer from their copy of
//      the revocation list, within STORE_MAX_STALE_S), writes fail only until the promotion
//      plus 2 s, with a 503 and Retry-After, no acknowledged logout or revocation is lost, and
//      refresh-token reuse is still caught across the failover;
//   2. a replica killed (the other acknowledges: nothing fails), then the last one (writes are
//      refused cleanly until a replica is back: REDIS_WAIT_UNMET=fail);
//   3. every sentinel stopped (SIGSTOP): nothing fails.
// They run in this order, on one set: a sentinel stopped for more than 2 s wakes up in TILT
// mode and fails nothing over for 30 s, so the master is killed first.

const DOWN_AFTER_MS = 1_000;
const TEST_MS = 60_000;
const WRITERS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
const ALICE = { username: 'alice', password: 'wonderland' };
const BOB = { username: 'bob', password: 'builder' };

describe.runIf(frontAvailable('nginx') && sentinelAvailable())('Redis Sentinel failovers under load, two signers behind nginx', () => {
  let set: SentinelSet;
  let stack: TestStack;
  let dir = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tokengate-failover-'));
    set = await startSentinelSet({ dir, logDir: dir, downAfterMs: DOWN_AFTER_MS, ports: await testPortList(6) });
    // A refresh token presented again a second after its rotation is reuse.
    stack = await launch('nginx', { ...set.env, REFRESH_GRACE_S: '1' }, { signerInstances: 2 });
  }, TEST_MS);
  afterAll(async () => {
    closeAgents();
    await cleanupRunners();
    for (const s of set?.sentinels ?? []) s.signal('SIGCONT');
    await stack?.cleanup();
    await set?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, TEST_MS);

  /** Logs in directly at a signer (no nginx rate limit): the tokens protected requests use. */
  const loginAtSigner = async (user = ALICE): Promise<Tokens> => {
    const reply = await login(stack.signerUrls[0]!, user);
    expect(reply.status, reply.text).toBe(200);
    return reply.json() as Tokens;
  };
  const pool = async () => Promise.all(Array.from({ length: 6 }, async () => (await loginAtSigner()).token));

  /** Commands on the master the sentinels name now, over one connection. */
  const withMaster = async <T>(use: (send: (args: string[]) => Promise<unknown>) => Promise<T>): Promise<T> => {
    const port = await set.masterPort();
    const c = createClient({ socket: { host: '127.0.0.1', port: port!, reconnectStrategy: false }, password: set.env.REDIS_PASSWORD });
    c.on('error', () => {});
    await c.connect();
    try {
      return await use((args) => c.sendCommand(args));
    } finally {
      c.destroy();
    }
  };
  const onMaster = (args: string[]) => withMaster((send) => send(args));
  const onlineReplicas = async () => (String(await onMaster(['INFO', 'replication']).catch(() => '')).match(/state=online/g) ?? []).length;

  /**
   * Every acknowledged logout, checked where a failover could have lost it: in the master's
   * revocation set and session keys (a signer started now would load those), and at both signers.
   * Answers the ones that are not refused everywhere.
   */
  const lostLogouts = async (acked: AckedLogout[]): Promise<string[]> => {
    const lost: string[] = [];
    await withMaster(async (send) => {
      for (const a of acked) {
        const { jti, sid } = claimsOf(a.token);
        const inRedis = [await send(['ZSCORE', 'tokengate:revoked', `t:${jti}`]), await send(['ZSCORE', 'tokengate:revoked', `s:${sid}`])];
        const session = await send(['EXISTS', `tokengate:session:${sid}`]);
        const verdicts = await Promise.all(stack.signerUrls.map((s) => verifyAt(s, a.token).then((r) => r.status)));
        const again = (await refresh(stack.signerUrls[1]!, a.refresh_token)).status;
        if (inRedis.includes(null) || session !== 0 || verdicts.some((v) => v !== 401) || again !== 401)
          lost.push(`${jti} (acked at ${a.at} ms): ${JSON.stringify({ inRedis, session, verdicts, again })}`);
      }
    });
    return lost;
  };

  /** Writes that succeeded after `ms` (since the fault), by kind. */
  const succeededAfter = (samples: Sample[], ms: number) =>
    new Set(samples.filter((s) => s.kind !== 'protected' && s.at > ms && (s.status === 200 || s.status === 204)).map((s) => s.kind));

  it(
    'SIGKILL of the master: no protected request fails, writes fail only until the promotion + 2 s, nothing acknowledged is lost, and refresh reuse is still caught',
    async () => {
      const tokens = await pool();
      // A rotation answered before the kill, and a user's revocation (by a third instance, as an
      // admin would through any signer), both to be checked after it.
      const first = await loginAtSigner();
      const rotated = await refresh(stack.signerUrls[0]!, first.refresh_token);
      expect(rotated.status).toBe(200);
      const second = rotated.json() as Tokens;
      const bobsBefore = await loginAtSigner(BOB);
      const admin = RedisStore.start({
        sentinel: {
          sentinels: set.env.REDIS_SENTINELS!.split(',').map((a) => ({ host: '127.0.0.1', port: Number(a.split(':')[1]) })),
          masterName: set.masterName,
          sentinelAuth: { password: set.env.REDIS_SENTINEL_PASSWORD! },
          nodeAuth: { password: set.env.REDIS_PASSWORD! },
          tls: false,
        },
        keyPrefix: 'tokengate:',
        timeoutMs: 1_000,
        failOpen: false,
        replication: { replicas: 1, timeoutMs: 500, unmet: 'fail' },
        // As the signers derive it from the secret (startup.ts), so the user's sessions are found.
        integrityKey: new Uint8Array(hkdfSync('sha256', Buffer.from(stack.secret()), new Uint8Array(0), 'tokengate redis integrity v1', 32)),
        logger: silentLogger(),
      });
      try {
        expect(await admin.waitUntilSynced(5_000)).toBe(true);
        const now = Math.floor(Date.now() / 1000);
        await admin.revokeSubject('bob', now, now + 3_600, now + 960);
      } finally {
        await admin.close();
      }

      const oldMaster = (await set.masterPort())!;
      let promotionMs: number | undefined;
      const { samples, acked } = await underLoad({ base: stack.url, pool: tokens, writers: WRITERS }, async (fault) => {
        await sleep(1_500);
        set.nodes.find((n) => n.port === oldMaster)!.signal('SIGKILL');
        fault();
        const killedAt = performance.now();
        while (promotionMs === undefined && performance.now() - killedAt < 20_000) {
          const port = await set.masterPort();
          if (port !== undefined && port !== oldMaster) promotionMs = Math.round(performance.now() - killedAt);
          else await sleep(50);
        }
        await sleep(3_000);
      });
      const summary = summarize(samples);

      // Across the failover: the rotation held (the rotated-to token is current), and the token
      // rotated away, presented again, ends the session.
      const third = await refresh(stack.signerUrls[1]!, second.refresh_token);
      const reuse = await refresh(stack.signerUrls[0]!, first.refresh_token);
      const afterReuse = third.status === 200 ? await refresh(stack.signerUrls[1]!, (third.json() as Tokens).refresh_token) : undefined;
      const thirdAccess =
        third.status === 200 ? await Promise.all(stack.signerUrls.map((s) => verifyAt(s, (third.json() as Tokens).token).then((r) => r.status))) : [];
      const bob = [
        ...(await Promise.all(stack.signerUrls.map((s) => verifyAt(s, bobsBefore.token).then((r) => r.status)))),
        (await refresh(stack.signerUrls[0]!, bobsBefore.refresh_token)).status,
      ];
      const bobInRedis = String(await onMaster(['ZRANGE', 'tokengate:revoked', '0', '-1'])).includes(':bob');
      const lost = await lostLogouts(acked);

      report('master SIGKILLed', summary, {
        'promotion (sentinels name the new master)': `${promotionMs} ms after the kill (down-after-milliseconds ${DOWN_AFTER_MS})`,
        'acknowledged logouts lost': `${lost.length} of ${acked.length}`,
        'refresh reuse across the failover': `rotated-to token ${third.status}, rotated-away token ${reuse.status}, then the session ${afterReuse?.status} / access ${thirdAccess.join(',')}`,
        "a user's revocation from before the kill": `bob's older token ${bob.join(',')}, in the new master's set: ${bobInRedis}`,
      });
      expect(promotionMs).toBeDefined();
      expect(summary.protected.sent).toBeGreaterThan(100);
      expect(summary.protected.failedAt).toEqual([]);
      expect(summary.uncleanWrites).toEqual([]);
      expect(summary.writeFailures, 'some write failed while there was no master').toBeDefined();
      expect(summary.writeFailures!.first).toBeGreaterThanOrEqual(0);
      expect(summary.writeFailures!.last).toBeLessThanOrEqual(promotionMs! + 2_000);
      expect(succeededAfter(samples, summary.writeFailures!.last)).toEqual(new Set(['login', 'refresh', 'logout']));
      expect(lost).toEqual([]);
      expect([third.status, reuse.status, afterReuse?.status, ...thirdAccess]).toEqual([200, 401, 401, 401, 401]);
      expect(bob).toEqual([401, 401, 401]);
      expect(bobInRedis).toBe(true);
    },
    TEST_MS,
  );

  it(
    'a replica killed: nothing fails while the other acknowledges; the last one killed: writes are refused cleanly until one is back, and nothing else fails',
    async () => {
      const master = (await set.masterPort())!;
      // Two replicas again: the old master comes back as a replica of the new one.
      const dead = set.nodes.find((n) => !n.running)!;
      await dead.start(master);
      for (let i = 0; (await onlineReplicas()) < 2; i++) {
        if (i > 200) throw new Error('the old master did not come back as a replica');
        await sleep(50);
      }
      const [one, last] = set.nodes.filter((n) => n.port !== master);
      const tokens = await pool();
      const at: Record<string, number> = {};
      const { samples, acked } = await underLoad({ base: stack.url, pool: tokens, writers: WRITERS }, async (fault) => {
        await sleep(1_500);
        one!.signal('SIGKILL');
        fault();
        const zero = performance.now();
        await sleep(2_500);
        last!.signal('SIGKILL');
        at.lastKilled = Math.round(performance.now() - zero);
        await sleep(2_500);
        await last!.start(master);
        at.lastBack = Math.round(performance.now() - zero);
        await sleep(2_500);
      });
      const summary = summarize(samples);
      const beforeLast = summarize(samples.filter((s) => s.at < at.lastKilled!));
      const lost = await lostLogouts(acked);
      report('one replica SIGKILLed (the other still acknowledges)', beforeLast);
      report('the last replica SIGKILLed too, then started again', summarize(samples.filter((s) => s.at >= at.lastKilled!)), {
        'last replica killed / back (ms after the first kill)': `${at.lastKilled} / ${at.lastBack}`,
        'acknowledged logouts lost': `${lost.length} of ${acked.length}`,
      });
      expect(summary.protected.failedAt).toEqual([]);
      expect(beforeLast.writeFailures).toBeUndefined();
      expect(summary.uncleanWrites).toEqual([]);
      expect(summary.writeFailures, 'writes fail while no replica acknowledges').toBeDefined();
      expect(summary.writeFailures!.first).toBeGreaterThanOrEqual(at.lastKilled!);
      // Refused from the kill until the replica is back and in sync (plus one REDIS_WAIT_MS).
      expect(summary.writeFailures!.last).toBeLessThanOrEqual(at.lastBack! + 2_000);
      expect(succeededAfter(samples, summary.writeFailures!.last).size).toBeGreaterThan(0);
      expect(lost).toEqual([]);
    },
    TEST_MS,
  );

  it(
    'every sentinel stopped (SIGSTOP): the signers keep the master they use, and nothing fails',
    async () => {
      const tokens = await pool();
      const { samples, acked } = await underLoad({ base: stack.url, pool: tokens, writers: WRITERS }, async (fault) => {
        await sleep(1_500);
        for (const s of set.sentinels) s.signal('SIGSTOP');
        fault();
        try {
          await sleep(5_000);
        } finally {
          for (const s of set.sentinels) s.signal('SIGCONT');
        }
        await sleep(1_000);
      });
      const summary = summarize(samples);
      const lost = await lostLogouts(acked);
      report('every sentinel SIGSTOPped for 5 s', summary, { 'acknowledged logouts lost': `${lost.length} of ${acked.length}` });
      expect(summary.protected.failedAt).toEqual([]);
      expect(summary.writeFailures).toBeUndefined();
      expect(acked.length).toBeGreaterThan(0);
      expect(lost).toEqual([]);
    },
    TEST_MS,
  );

  it(
    'npm start with REDIS_SENTINELS and SIGNER_INSTANCES=2: no private redis-server, and the signers share the master the sentinels name',
    async () => {
      // The suite's secret and keys: its signers and these are one deployment, on one store.
      const runner = await spawnRunner({
        ...set.env,
        SIGNER_INSTANCES: '2',
        FRONT: 'nginx',
        JWT_SECRET_FILE: join(stack.workDir, 'secrets', 'jwt-secret'),
        KEYS_DIR: stack.keysDir,
      });
      await runner.waitFor(runner.banner, 40_000);
      expect(runner.output()).toContain(`sharing the Redis master "${set.masterName}" that 3 sentinel(s) name (REDIS_SENTINELS)`);
      expect(runner.output()).not.toContain('redis    |');
      const base = `http://127.0.0.1:${runner.ports.gateway}`;
      const reply = await login(base);
      expect(reply.status, reply.text).toBe(200);
      const { token } = reply.json() as Tokens;
      expect((await check(base, token)).status).toBe(200);
      expect((await check(stack.url, token)).status).toBe(200);
      // Its signers and the suite's share the store: a logout through one gateway bites at the other.
      expect((await send(`${base}/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status).toBe(204);
      await expect.poll(async () => (await check(stack.url, token)).status, { timeout: 2_000 }).toBe(401);
    },
    TEST_MS,
  );

  it('serves after all three faults, and the signers never logged a Redis or sentinel password', async () => {
    for (const name of ['signer-1', 'signer-2']) {
      const output = stack.processes.get(name)!.recentOutput();
      expect(output).not.toContain(set.env.REDIS_PASSWORD);
      expect(output).not.toContain(set.env.REDIS_SENTINEL_PASSWORD);
    }
    expect(await check(stack.url, (await loginAtSigner()).token).then((r) => r.status)).toBe(200);
  });
});
