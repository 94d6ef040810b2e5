import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable } from '../fixtures/redis.js';
import { frontAvailable, http, launch, type Reply, type TestStack } from './harness.js';

// Two signer processes behind the real nginx, sharing a real redis-server: what a site that
// outgrows one signer runs. Each instance is also reached directly, to pin down which one did what.

const GRACE_S = 1;
const json = { 'content-type': 'application/json' };
const ALICE = JSON.stringify({ username: 'alice', password: 'wonderland' });

interface Tokens {
  token: string;
  refresh_token: string;
}

describe.runIf(frontAvailable('nginx') && redisAvailable())('two signer instances and Redis behind nginx', () => {
  let stack: TestStack;
  let a: string;
  let b: string;

  beforeAll(async () => {
    stack = await launch('nginx', { REFRESH_GRACE_S: String(GRACE_S) }, { signerInstances: 2, redis: true });
    [a = '', b = ''] = stack.signerUrls;
  });
  afterAll(async () => {
    await stack?.cleanup();
  });

  const loginAt = async (base: string): Promise<Tokens> => {
    const res = await http(`${base}/login`, { method: 'POST', headers: json, body: ALICE });
    expect(res.status, res.text).toBe(200);
    return res.json() as Tokens;
  };
  const verifyAt = (base: string, token: string) => http(`${base}/verify`, { headers: { authorization: `Bearer ${token}`, 'x-original-uri': '/check' } });
  const refreshAt = (base: string, refreshToken: string) =>
    http(`${base}/refresh`, { method: 'POST', headers: json, body: JSON.stringify({ refresh_token: refreshToken }) });
  const throughNginx = (token: string) => http(`${stack.url}/check`, { headers: { authorization: `Bearer ${token}` } });

  it('runs two signers on their own ports, both ready with the Redis store', async () => {
    expect(stack.signerUrls).toHaveLength(2);
    for (const base of [a, b]) {
      const ready = await http(`${base}/readyz`);
      expect(ready.status, ready.text).toBe(200);
      expect(ready.json()).toMatchObject({ store: { kind: 'redis', ok: true } });
    }
  });

  it('gives the private Redis a password, so another local user cannot read or change the store', async () => {
    const client = createClient({ url: stack.redisUrl!, socket: { reconnectStrategy: false } });
    client.on('error', () => undefined);
    await expect(client.connect().then(() => client.ping())).rejects.toThrow(/NOAUTH/);
    if (client.isOpen) client.destroy();
  });

  it('logs in through one, out through the other: the token is refused by both within 1 s, and by nginx', async () => {
    const { token } = await loginAt(a);
    expect((await verifyAt(a, token)).status).toBe(204);
    expect((await verifyAt(b, token)).status).toBe(204);
    expect((await throughNginx(token)).status).toBe(200);

    const loggedOut = await http(`${b}/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(loggedOut.status).toBe(204);
    const start = Date.now();
    expect((await verifyAt(b, token)).status).toBe(401);
    // Instance A hears of it through Redis pub/sub; its /verify never asks Redis itself.
    let refusedAfterMs = -1;
    while (Date.now() - start < 1_000) {
      if ((await verifyAt(a, token)).status === 401) {
        refusedAfterMs = Date.now() - start;
        break;
      }
      await sleep(5);
    }
    console.log(`revocation reached the other instance within ${refusedAfterMs} ms`);
    expect(refusedAfterMs).toBeGreaterThanOrEqual(0);
    // Through nginx, whichever instance answers: several requests reach both.
    const statuses = await Promise.all(Array.from({ length: 6 }, () => throughNginx(token).then((r) => r.status)));
    expect(statuses).toEqual(Array(6).fill(401));
  });

  it('detects refresh-token reuse across instances and ends the whole session on both', async () => {
    const first = await loginAt(a);
    const rotated = await refreshAt(a, first.refresh_token);
    expect(rotated.status).toBe(200);
    const second = rotated.json() as Tokens;
    await sleep(GRACE_S * 1000 + 1_100);
    // The old refresh token comes back at the other instance: theft, whoever holds it.
    const replay = await refreshAt(b, first.refresh_token);
    expect(replay.status).toBe(401);
    expect((await refreshAt(a, second.refresh_token)).status).toBe(401);
    for (const base of [a, b]) expect((await verifyAt(base, second.token)).status).toBe(401);
  });

  it('lets exactly one of 50 parallel refreshes of one token win, across both instances', async () => {
    const { refresh_token } = await loginAt(a);
    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => refreshAt(i % 2 === 0 ? a : b, refresh_token)));
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(49);
  });

  it('counts failed logins across instances: the sixth wrong password, at either one, is throttled without asking the app', async () => {
    const wrong = JSON.stringify({ username: 'bob', password: 'not-his' });
    // From a documentation address, as nginx would say through X-Real-IP (signers trust loopback).
    const from = { ...json, 'x-real-ip': '198.51.100.23' };
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await http(`${i % 2 === 0 ? a : b}/login`, { method: 'POST', headers: from, body: wrong })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    for (const base of [a, b]) {
      const refused = await http(`${base}/login`, { method: 'POST', headers: from, body: wrong });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // Another address is not held back for the same user.
    expect((await http(`${a}/login`, { method: 'POST', headers: { ...json, 'x-real-ip': '198.51.100.24' }, body: wrong })).status).toBe(401);
  });

  it('stops one signer with SIGTERM in the middle of a burst through nginx without failing a request', async () => {
    const { token } = await loginAt(b);
    const signer = stack.processes.get('signer-1')!;
    const results: Reply[] = [];
    let sent = 0;
    const TOTAL = 600;
    const worker = async () => {
      while (sent < TOTAL) {
        const n = sent++;
        // Mostly protected requests (the auth subrequest), and a login every 30th: 20 in all,
        // within the burst nginx's limit_req allows one address on /login.
        results.push(n % 30 === 0 ? await http(`${stack.url}/login`, { method: 'POST', headers: json, body: ALICE }) : await throughNginx(token));
        if (n === 150) process.kill(signer.pid, 'SIGTERM');
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const failed = results.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.text.slice(0, 80)}`);
    expect(failed).toEqual([]);
    expect(results).toHaveLength(TOTAL);
    expect(await signer.exited).toBe(0);
    expect(signer.recentOutput()).toMatch(/shut down/);
  });
});
