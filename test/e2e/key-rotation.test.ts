import { readFileSync } from 'node:fs';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addKey, retireKey, setActive } from '../../src/signing-keys/operations.js';
import { eventually, startKeyTraffic, type TrafficReport } from '../fixtures/key-traffic.js';
import { redisAvailable } from '../fixtures/redis.js';
import { headerOf, ringSigner, signToken } from '../fixtures/ring-tokens.js';
import { frontAvailable, http, launch, loginPacer, type TestStack } from './harness.js';

// Keys rotated under traffic through the real nginx, two signer instances sharing one key ring and
// one Redis: the two-phase rotation docs/keys-and-rotation.md describes (add, let every signer load it, activate,
// retire), by SIGHUP and by the file-change poll, a broken file dropped into the ring, and a move from
// the HS256 secret to a ring. Background traffic records every unexpected answer; none is allowed.

const SIGNERS = ['signer-1', 'signer-2'] as const;
const json = { 'content-type': 'application/json' };

/** A stack of two signers behind nginx with Redis, its ring in workDir/keys. */
async function twoSigners(env: Record<string, string>): Promise<TestStack> {
  return launch('nginx', env, { signerInstances: 2, redis: true });
}

/** Sends SIGHUP to every signer: reload the key ring. */
function hup(stack: TestStack): void {
  for (const name of SIGNERS) process.kill(stack.processes.get(name)!.pid, 'SIGHUP');
}

/** The kids one signer publishes right now (asked directly, not through nginx). */
async function publishedKids(signerUrl: string): Promise<string[]> {
  const res = await http(`${signerUrl}/.well-known/jwks.json`);
  return (res.json() as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid).sort();
}

/** The kid in the header of a token one signer issues right now (undefined: signed with the secret). */
async function signingKidAt(signerUrl: string): Promise<string | undefined> {
  const res = await http(`${signerUrl}/login`, { method: 'POST', headers: json, body: JSON.stringify({ username: 'bob', password: 'builder' }) });
  if (res.status !== 200) throw new Error(`login at ${signerUrl}: ${res.status} ${res.text}`);
  return headerOf((res.json() as { token: string }).token).kid as string | undefined;
}

/** Waits until every signer signs new tokens under `kid`. */
async function everySignerSignsWith(stack: TestStack, kid: string | undefined): Promise<void> {
  for (const url of stack.signerUrls) await eventually(`${url} signs with ${kid}`, async () => (await signingKidAt(url)) === kid);
}

/** The signer's log lines (pino JSON) so far. */
function logLines(stack: TestStack, name: string): Array<{ level: number; msg: string; problems?: Array<{ file: string }>; reason?: string }> {
  return readFileSync(join(stack.workDir, 'logs', `${name}.log`), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: number; msg: string });
}

const ringErrors = (stack: TestStack, name: string) => logLines(stack, name).filter((l) => l.msg.startsWith('the key ring did not load'));

function describeTraffic(scenario: string, report: TrafficReport): void {
  const { protected: reads, login, refresh } = report.byKind;
  console.log(
    `${scenario}: ${report.sent} requests through nginx (${reads} protected, ${login} logins, ${refresh} refreshes), ${report.refusedAsRetired} refused as retired, ${report.failures.length} failed`,
  );
}

describe.runIf(frontAvailable('nginx') && redisAvailable())('rotating keys under traffic through nginx, two signers and Redis', () => {
  describe('by SIGHUP (ES256, KEYS_CHECK_INTERVAL_S=0)', () => {
    let stack: TestStack;
    const pace = loginPacer();
    beforeAll(async () => {
      stack = await twoSigners({ JWT_ALG: 'ES256', KEYS_CHECK_INTERVAL_S: '0' });
    });
    afterAll(async () => {
      await stack?.cleanup();
    });

    const loginThroughNginx = async (username = 'alice', password = 'wonderland') => {
      await pace('/login');
      const res = await http(`${stack.url}/login`, { method: 'POST', headers: json, body: JSON.stringify({ username, password }) });
      expect(res.status, res.text).toBe(200);
      return (res.json() as { token: string }).token;
    };
    const whoami = (token: string) => http(`${stack.url}/api/whoami`, { headers: { authorization: `Bearer ${token}` } });

    it('adds a key, lets both signers load it, activates it, then retires the old one: no request fails', async () => {
      const oldKid = readFileSync(join(stack.keysDir, 'active'), 'utf8').trim();
      const before = [await loginThroughNginx(), await loginThroughNginx('bob', 'builder')];
      expect(before.map((t) => headerOf(t).kid)).toEqual([oldKid, oldKid]);
      const traffic = startKeyTraffic({ base: stack.url, pace, pinned: before });
      await traffic.settle();

      // Phase one: the new key verifies everywhere before anyone signs with it.
      const { kid: newKid } = await addKey(stack.keysDir, 'ES256', 'es256-second');
      hup(stack);
      for (const url of stack.signerUrls) await eventually(`${url} publishes ${newKid}`, async () => (await publishedKids(url)).includes(newKid));
      for (const url of stack.signerUrls) expect(await signingKidAt(url)).toBe(oldKid);
      // Services that verify with the JWKS see the new key before any token needs it.
      expect(await publishedKids(stack.url)).toEqual([newKid, oldKid].sort());
      await traffic.settle();

      // Phase two: activate it.
      await setActive(stack.keysDir, newKid);
      hup(stack);
      await everySignerSignsWith(stack, newKid);
      await traffic.settle();
      const after = await loginThroughNginx();
      expect(headerOf(after)).toMatchObject({ alg: 'ES256', kid: newKid });
      for (const token of before) expect((await whoami(token)).status).toBe(200);

      // Retirement: tokens of the old key are refused from the reload on, and only those.
      traffic.retire(oldKid, 'loading');
      await retireKey(stack.keysDir, oldKid);
      hup(stack);
      for (const url of stack.signerUrls) await eventually(`${url} drops ${oldKid}`, async () => (await publishedKids(url)).join() === newKid);
      traffic.retire(oldKid, 'done');
      await traffic.settle();
      for (const token of before) expect((await whoami(token)).status).toBe(401);
      expect((await whoami(after)).status).toBe(200);

      const report = await traffic.stop();
      describeTraffic('SIGHUP rotation', report);
      expect(report.failures).toEqual([]);
      expect(report.issuedKids).toContain(oldKid);
      expect(report.issuedKids).toContain(newKid);
      expect(report.refusedAsRetired).toBeGreaterThan(0);
      for (const name of SIGNERS) expect(ringErrors(stack, name)).toEqual([]);
      // The same ring gives the same ETag at every instance, so a revalidation through nginx stays a 304.
      const etags = await Promise.all(stack.signerUrls.map(async (url) => (await http(`${url}/.well-known/jwks.json`)).headers.get('etag')));
      expect(new Set(etags).size).toBe(1);
    });

    it('(the control) records the failures of a one-phase rotation, where one signer activates a key the other has not loaded', async () => {
      const traffic = startKeyTraffic({ base: stack.url, pace, pinned: [await loginThroughNginx()] });
      await traffic.settle();
      const { kid } = await addKey(stack.keysDir, 'ES256', 'es256-hasty');
      await setActive(stack.keysDir, kid);
      process.kill(stack.processes.get('signer-1')!.pid, 'SIGHUP');
      await eventually('signer-1 signs with the hasty key', async () => (await signingKidAt(stack.signerUrls[0]!)) === kid);
      await eventually('the traffic holds a token of the hasty key', async () => traffic.snapshot().issuedKids.includes(kid));
      await traffic.settle(300);
      process.kill(stack.processes.get('signer-2')!.pid, 'SIGHUP');
      await eventually('signer-2 publishes the hasty key', async () => (await publishedKids(stack.signerUrls[1]!)).includes(kid));

      const report = await traffic.stop();
      describeTraffic('one-phase rotation (control)', report);
      expect(report.failures.length).toBeGreaterThan(0);
      for (const failure of report.failures) expect(failure).toMatch(new RegExp(`^(protected|refresh) \\(kid ${kid}, .*\\): 401 `));
    });
  });

  describe('by the file-change poll (ES256, KEYS_CHECK_INTERVAL_S=1, no signals)', () => {
    let stack: TestStack;
    const pace = loginPacer();
    let pinned: string[];
    beforeAll(async () => {
      stack = await twoSigners({ JWT_ALG: 'ES256', KEYS_CHECK_INTERVAL_S: '1' });
      pinned = [];
      for (const [username, password] of [
        ['alice', 'wonderland'],
        ['bob', 'builder'],
      ] as const) {
        await pace('/login');
        pinned.push(
          ((await http(`${stack.url}/login`, { method: 'POST', headers: json, body: JSON.stringify({ username, password }) })).json() as { token: string })
            .token,
        );
      }
    });
    afterAll(async () => {
      await stack?.cleanup();
    });

    it('picks up an added key, then its activation, from the files alone: no request fails', async () => {
      const oldKid = readFileSync(join(stack.keysDir, 'active'), 'utf8').trim();
      const traffic = startKeyTraffic({ base: stack.url, pace, pinned });
      await traffic.settle();

      const { kid: newKid } = await addKey(stack.keysDir, 'ES256', 'es256-polled');
      for (const url of stack.signerUrls) await eventually(`${url} publishes ${newKid}`, async () => (await publishedKids(url)).includes(newKid));
      await traffic.settle();
      await setActive(stack.keysDir, newKid);
      await everySignerSignsWith(stack, newKid);
      await traffic.settle();

      const report = await traffic.stop();
      describeTraffic('file-change rotation', report);
      expect(report.failures).toEqual([]);
      expect(report.issuedKids.at(-1)).toBe(newKid);
      expect(report.issuedKids).toContain(oldKid);
      for (const url of stack.signerUrls) expect(await publishedKids(url)).toEqual([newKid, oldKid].sort());
      for (const name of SIGNERS) {
        expect(
          logLines(stack, name)
            .filter((l) => l.msg === 'keys loaded')
            .map((l) => l.reason),
        ).toEqual(['file change', 'file change']);
      }
    });

    it('keeps serving with the previous keys while a broken file sits in the ring, says so once per signer, and recovers quietly when it goes', async () => {
      const active = readFileSync(join(stack.keysDir, 'active'), 'utf8').trim();
      const errorsBefore = SIGNERS.map((name) => ringErrors(stack, name).length);
      const traffic = startKeyTraffic({ base: stack.url, pace, pinned });
      await traffic.settle();

      const junk = join(stack.keysDir, 'junk.jwk.json');
      // Whole in one step (a rename), as an operator's deploy tool would: one change for the poll to see.
      const staged = join(stack.keysDir, '.junk.tmp');
      await writeFile(staged, 'this is not a key\n', { mode: 0o600 });
      await rename(staged, junk);
      for (const [i, name] of SIGNERS.entries()) {
        await eventually(`${name} logs the broken ring`, async () => ringErrors(stack, name).length > errorsBefore[i]!);
      }
      // Two more polls with the file in place: the same broken ring is not logged again.
      await sleep(2_500);
      await traffic.settle();
      for (const [i, name] of SIGNERS.entries()) {
        const logged = ringErrors(stack, name).slice(errorsBefore[i]);
        expect(logged).toHaveLength(1);
        expect(logged[0]).toMatchObject({ level: 50, reason: 'file change', problems: [{ file: 'junk.jwk.json' }] });
      }
      for (const url of stack.signerUrls) expect(await signingKidAt(url)).toBe(active);

      // A SIGHUP meanwhile is refused the same way, and the signer keeps running on the previous keys.
      process.kill(stack.processes.get('signer-1')!.pid, 'SIGHUP');
      await eventually('signer-1 logs the SIGHUP refused', async () => ringErrors(stack, 'signer-1').some((l) => l.reason === 'SIGHUP'));
      expect((await http(`${stack.signerUrls[0]}/healthz`)).status).toBe(200);
      await traffic.settle();

      await unlink(junk);
      // The next change loads, with no error in between: the ring is whole again.
      const { kid: next } = await addKey(stack.keysDir, 'ES256', 'es256-after-junk');
      for (const url of stack.signerUrls) await eventually(`${url} publishes ${next}`, async () => (await publishedKids(url)).includes(next));
      await traffic.settle();

      const report = await traffic.stop();
      describeTraffic('broken file in the ring', report);
      expect(report.failures).toEqual([]);
      expect(ringErrors(stack, 'signer-1').length - errorsBefore[0]!).toBe(2);
      expect(ringErrors(stack, 'signer-2').length - errorsBefore[1]!).toBe(1);
      for (const name of SIGNERS) expect(stack.processes.get(name)!.recentOutput()).not.toMatch(/"level":60/);
    });
  });

  describe('from the HS256 secret to a key ring (HS256, KEYS_CHECK_INTERVAL_S=0)', () => {
    let stack: TestStack;
    const pace = loginPacer();
    beforeAll(async () => {
      stack = await twoSigners({ JWT_ALG: 'HS256', KEYS_CHECK_INTERVAL_S: '0' });
    });
    afterAll(async () => {
      await stack?.cleanup();
    });

    /** Whether a signer verifies a token signed by ring key `kid`: it has loaded the key. */
    const verifiesKid = async (signerUrl: string, kid: string) => {
      const token = await signToken(await ringSigner(stack.keysDir, kid), { sub: 'alice', roles: ['user'] });
      return (await http(`${signerUrl}/verify`, { headers: { authorization: `Bearer ${token}`, 'x-original-uri': '/check' } })).status === 204;
    };

    it('keeps the kid-less tokens of the secret working through addKey, reload, activation and reload; new tokens carry the kid', async () => {
      const before: string[] = [];
      for (const [username, password] of [
        ['alice', 'wonderland'],
        ['bob', 'builder'],
      ] as const) {
        await pace('/login');
        before.push(
          ((await http(`${stack.url}/login`, { method: 'POST', headers: json, body: JSON.stringify({ username, password }) })).json() as { token: string })
            .token,
        );
      }
      expect(before.map(headerOf)).toEqual([
        { alg: 'HS256', typ: 'at+jwt' },
        { alg: 'HS256', typ: 'at+jwt' },
      ]);
      const traffic = startKeyTraffic({ base: stack.url, pace, pinned: before });
      await traffic.settle();

      const { kid } = await addKey(stack.keysDir, 'HS256', 'hs256-first');
      hup(stack);
      for (const url of stack.signerUrls) await eventually(`${url} verifies ${kid}`, () => verifiesKid(url, kid));
      // A ring without `active`: its key verifies, the secret still signs.
      for (const url of stack.signerUrls) expect(await signingKidAt(url)).toBeUndefined();
      await traffic.settle();

      await setActive(stack.keysDir, kid);
      hup(stack);
      await everySignerSignsWith(stack, kid);
      await traffic.settle();

      const report = await traffic.stop();
      describeTraffic('HS256 secret to ring', report);
      expect(report.failures).toEqual([]);
      expect(report.issuedKids).toContain(undefined);
      expect(report.issuedKids.at(-1)).toBe(kid);
      for (const token of before) expect((await http(`${stack.url}/api/whoami`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      // The ring's HS256 key is a shared secret: it is never published.
      expect((await http(`${stack.url}/.well-known/jwks.json`)).json()).toEqual({ keys: [] });
    });
  });
});
