import { Agent, request as httpRequest } from 'node:http';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../fixtures/cli.js';
import { revokeUser } from '../fixtures/admin-api.js';
import { redisAvailable } from '../fixtures/redis.js';
import { frontAvailable, http, launch, login, loginPacer, verifyCalls, type TestStack } from './harness.js';

// The OpenResty front's identity cache through the real nginx with Debian's Lua module: hits
// never reach the signer, a logout reaches every worker within a second under load, and a
// worker that loses the revocation feed stops answering from its cache.

/** One GET with its status and when it was answered, over the given keep-alive agent. */
function get(url: string, token: string, agent: Agent): Promise<{ status: number; at: number }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent, headers: { Authorization: `Bearer ${token}` }, timeout: 5_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, at: performance.now() }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('the OpenResty front: identities cached inside nginx', () => {
  const available = frontAvailable('openresty');
  let stack: TestStack;
  const paced = loginPacer();
  const tokens: string[] = [];
  const users = [
    ['alice', 'wonderland'],
    ['bob', 'builder'],
  ] as const;

  beforeAll(async () => {
    if (!available) return;
    stack = await launch('openresty');
    // The feed's first poll happens at each worker's start; give every worker its first answer.
    await sleep(600);
  });
  afterAll(async () => {
    await stack?.cleanup();
  });

  const signIn = async (i: number) => {
    const [user, password] = users[i % users.length]!;
    await paced('/login');
    return login(stack.url, user, password);
  };

  describe.skipIf(!available)('with a live feed', () => {
    beforeAll(async () => {
      if (!available) return;
      for (let i = 0; i < 6; i++) tokens.push(await signIn(i));
    });

    it('answers a credential it has seen without asking the signer', async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 8 });
      const url = `${stack.url}/api/whoami`;
      // First sight: each goes to the signer once.
      for (const t of tokens) expect((await get(url, t, agent)).status).toBe(200);
      const before = await verifyCalls(stack.signerUrls[0]!);
      const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => get(url, tokens[i % tokens.length]!, agent)));
      expect(answers.every((a) => a.status === 200)).toBe(true);
      expect(await verifyCalls(stack.signerUrls[0]!)).toBe(before);
      agent.destroy();
    });

    it("refuses a client's X-Auth-* header of any name on a cached credential, as the signer would", async () => {
      const url = `${stack.url}/api/whoami`;
      expect((await http(url, { headers: { Authorization: `Bearer ${tokens[0]}` } })).status).toBe(200);
      for (const name of ['X-Auth-Sub', 'X-Auth-Email', 'x-auth-anything']) {
        const res = await http(url, { headers: { Authorization: `Bearer ${tokens[0]}`, [name]: 'forged' } });
        expect(res.status, name).toBe(401);
      }
    });

    it('keeps per-path decisions per path: a cached pass on /api is no pass on /admin', async () => {
      const bob = tokens[1]!;
      expect((await http(`${stack.url}/api/whoami`, { headers: { Authorization: `Bearer ${bob}` } })).status).toBe(200);
      expect((await http(`${stack.url}/admin/`, { headers: { Authorization: `Bearer ${bob}` } })).status).toBe(403);
      expect((await http(`${stack.url}/admin/`, { headers: { Authorization: `Bearer ${bob}` } })).status).toBe(403);
    });

    it('refuses a logged-out token at every worker within a second, under load, and keeps serving everyone else from the cache', async () => {
      const victim = await signIn(0);
      const others = tokens.slice(0, 4);
      const url = `${stack.url}/api/whoami`;
      // Many connections, so both workers carry the victim's requests; every one of them cached first.
      const agents = Array.from({ length: 8 }, () => new Agent({ keepAlive: true, maxSockets: 2 }));
      for (const agent of agents) expect((await get(url, victim, agent)).status).toBe(200);
      let loggedOutAt = Infinity;
      let stop = false;
      const victimAnswers: { status: number; at: number }[] = [];
      const otherStatuses: number[] = [];
      const deadline = performance.now() + 6_000;
      const loop = async (agent: Agent, n: number) => {
        for (let i = 0; !stop && performance.now() < deadline && i < 5_000; i++) {
          const mine = (i + n) % 3 === 0;
          const answer = await get(url, mine ? victim : others[i % others.length]!, agent);
          if (mine) victimAnswers.push(answer);
          else otherStatuses.push(answer.status);
        }
      };
      const load = Promise.all(agents.map((agent, n) => loop(agent, n)));
      await sleep(500);
      const before = await verifyCalls(stack.signerUrls[0]!);
      await paced('/logout');
      const out = await http(`${stack.url}/logout`, { method: 'POST', headers: { Authorization: `Bearer ${victim}` } });
      expect(out.status).toBe(204);
      loggedOutAt = performance.now();
      await sleep(2_000);
      stop = true;
      await load;
      const after = await verifyCalls(stack.signerUrls[0]!);
      for (const agent of agents) agent.destroy();

      const passedAfter = victimAnswers.filter((a) => a.status === 200 && a.at > loggedOutAt);
      const lagMs = passedAfter.length === 0 ? 0 : Math.max(...passedAfter.map((a) => a.at)) - loggedOutAt;
      const refusedLate = victimAnswers.filter((a) => a.at > loggedOutAt + 1_000);
      console.log(
        `logout under load: ${victimAnswers.length} victim requests, ${otherStatuses.length} others; last pass ${lagMs.toFixed(0)} ms after the logout answered; ${after - before} /verify calls after it`,
      );
      expect(lagMs).toBeLessThan(1_000);
      expect(refusedLate.length).toBeGreaterThan(10);
      expect(refusedLate.every((a) => a.status === 401)).toBe(true);
      // Targeted: the others were served throughout, and mostly from the cache.
      expect(otherStatuses.length).toBeGreaterThan(100);
      expect(otherStatuses.every((s) => s === 200)).toBe(true);
      // Every /verify call after the logout was the victim's (refusals are never cached): none of
      // the others' entries was dropped with it.
      const victimSince = victimAnswers.filter((a) => a.at > loggedOutAt - 50).length;
      expect(after - before).toBeLessThanOrEqual(victimSince);
    });

    it('keeps its entries through a reload that changes nothing, and retires them all when a key is added', async () => {
      const url = `${stack.url}/api/whoami`;
      const ask = async () => expect((await http(url, { headers: { Authorization: `Bearer ${tokens[2]}` } })).status).toBe(200);
      const signer = stack.processes.get('signer')!;
      await ask();
      const before = await verifyCalls(stack.signerUrls[0]!);
      process.kill(signer.pid, 'SIGHUP');
      // The reload, then the feed's next poll (0.25 s).
      await sleep(1_000);
      await ask();
      expect(await verifyCalls(stack.signerUrls[0]!)).toBe(before);
      const keygen = runCli(['keygen', '--alg', 'ES256'], { env: { KEYS_DIR: stack.keysDir, JWT_SECRET_FILE: join(stack.workDir, 'secrets', 'jwt-secret') } });
      expect(keygen.status, keygen.stderr).toBe(0);
      process.kill(signer.pid, 'SIGHUP');
      await sleep(1_000);
      await ask();
      expect(await verifyCalls(stack.signerUrls[0]!)).toBe(before + 1);
    });
  });

  describe.skipIf(!available)('the secret', () => {
    it('never reaches nginx: no file under its prefix holds the signing secret', () => {
      // nginx runs from its prefix (the guard's working directory), with the Lua code copied in.
      const prefix = readlinkSync(`/proc/${stack.processes.get('nginx')!.pid}/cwd`);
      const files = readdirSync(prefix, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
      expect(files.map((f) => f.name)).toContain('identity_cache.lua');
      const secret = stack.secret();
      expect(secret.length).toBeGreaterThan(20);
      for (const f of files) expect(readFileSync(join(f.parentPath, f.name), 'latin1').includes(secret), f.name).toBe(false);
    });
  });

  describe.skipIf(!available)('without the feed', () => {
    it('stops answering from its cache within a few seconds once the signer is gone: 503, never a stale pass', async () => {
      const token = await signIn(1);
      const url = `${stack.url}/api/whoami`;
      const agent = new Agent({ keepAlive: true, maxSockets: 4 });
      for (let i = 0; i < 4; i++) expect((await get(url, token, agent)).status).toBe(200);
      await stack.processes.get('signer')!.stop();
      const stoppedAt = performance.now();
      let lastPass = stoppedAt;
      for (let i = 0; i < 200 && performance.now() - stoppedAt < 6_000; i++) {
        const a = await get(url, token, agent);
        if (a.status === 200) lastPass = a.at;
        else expect(a.status).toBe(503);
        await sleep(25);
      }
      agent.destroy();
      const staleMs = lastPass - stoppedAt;
      console.log(`signer stopped: cached passes for ${staleMs.toFixed(0)} ms, then 503`);
      // stale_after (3 s) plus one poll interval and a lookup timeout.
      expect(staleMs).toBeLessThan(4_500);
      expect((await http(url, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(503);
    });
  });

  describe.skipIf(!available)('without a policy, where one entry serves every URL of a credential', () => {
    let bare: TestStack;
    beforeAll(async () => {
      if (!available) return;
      bare = await launch('openresty', { POLICY_FILE: '' });
      await sleep(600);
    });
    afterAll(async () => {
      await bare?.cleanup();
    });

    it("never keeps a pass by a ?jwt= token under a key of the headers alone: another client's same Cookie gets no identity", async () => {
      await paced('/login');
      const bob = await login(bare.url, 'bob', 'builder');
      const cookie = { Cookie: 'consent=dismissed' };
      expect((await http(`${bare.url}/check`, { headers: cookie })).status).toBe(401);
      for (let i = 0; i < 3; i++) expect((await http(`${bare.url}/api/whoami?jwt=${bob}`, { headers: cookie })).status).toBe(200);
      const attacker = await http(`${bare.url}/check`, { headers: cookie });
      expect(attacker.status).toBe(401);
      expect((await http(`${bare.url}/api/whoami`, { method: 'POST', headers: cookie })).status).toBe(401);
    });

    it('serves a bearer credential it has seen on any URL without asking the signer', async () => {
      await paced('/login');
      const alice = await login(bare.url, 'alice', 'wonderland');
      const auth = { Authorization: `Bearer ${alice}` };
      expect((await http(`${bare.url}/check`, { headers: auth })).status).toBe(200);
      const before = await verifyCalls(bare.signerUrls[0]!);
      for (const path of ['/api/whoami', '/admin/settings', '/check?x=1']) expect((await http(`${bare.url}${path}`, { headers: auth })).status).toBe(200);
      expect(await verifyCalls(bare.signerUrls[0]!)).toBe(before);
    });
  });

  describe.runIf(available && redisAvailable())('with two signers and Redis', () => {
    let pair: TestStack;
    beforeAll(async () => {
      pair = await launch('openresty', {}, { signerInstances: 2, redis: true });
      await sleep(600);
    });
    afterAll(async () => {
      await pair?.cleanup();
    });

    /** Asks through nginx until the token is refused, or `ms` pass; how long that took. */
    const refusedWithin = async (token: string, ms: number) => {
      const started = performance.now();
      while (performance.now() - started < ms) {
        if ((await http(`${pair.url}/api/whoami`, { headers: { Authorization: `Bearer ${token}` } })).status === 401) return performance.now() - started;
        await sleep(20);
      }
      return Infinity;
    };
    const cachedToken = async (user: 'alice' | 'bob', password: string) => {
      await paced('/login');
      const token = await login(pair.url, user, password);
      for (let i = 0; i < 3; i++) expect((await http(`${pair.url}/api/whoami`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
      return token;
    };

    it('hears a logout made at the other signer through the shared feed, within a second', async () => {
      const token = await cachedToken('bob', 'builder');
      // nginx's Lua polls the first signer; the logout goes to the second, and reaches the first through Redis.
      const out = await http(`${pair.signerUrls[1]}/logout`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
      expect(out.status).toBe(204);
      const ms = await refusedWithin(token, 2_000);
      console.log(`logout at the other signer refused through nginx after ${ms.toFixed(0)} ms`);
      expect(ms).toBeLessThan(1_000);
    });

    it("refuses every cached token of a user ended at the other signer within a second, and passes the user's next sign-in", async () => {
      const tokens = [await cachedToken('bob', 'builder'), await cachedToken('bob', 'builder')];
      const alice = await cachedToken('alice', 'wonderland');
      // nginx's Lua polls the first signer; the revocation goes to the second, and reaches the first through Redis.
      await revokeUser(pair.signerUrls[1]!, pair.workDir, 'bob');
      const ms = Math.max(...(await Promise.all(tokens.map((t) => refusedWithin(t, 2_000)))));
      console.log(`every session of bob ended at the other signer: both cached tokens refused through nginx after ${ms.toFixed(0)} ms`);
      expect(ms).toBeLessThan(1_000);
      expect((await http(`${pair.url}/api/whoami`, { headers: { Authorization: `Bearer ${alice}` } })).status).toBe(200);
      const again = await cachedToken('bob', 'builder');
      expect((await http(`${pair.url}/api/whoami`, { headers: { Authorization: `Bearer ${again}` } })).status).toBe(200);
    });

    it('moves to the other signer when the polled one stops, and still hears logouts within a second', async () => {
      const token = await cachedToken('alice', 'wonderland');
      await pair.processes.get('signer-1')!.stop();
      await sleep(1_000);
      const out = await http(`${pair.signerUrls[1]}/logout`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
      expect(out.status).toBe(204);
      const ms = await refusedWithin(token, 2_000);
      console.log(`after a failover, a logout refused through nginx after ${ms.toFixed(0)} ms`);
      expect(ms).toBeLessThan(1_000);
    });
  });
});
