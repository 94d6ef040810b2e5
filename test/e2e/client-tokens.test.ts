import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/stack/paths.js';
import { clientKeyPair } from '../fixtures/client-keys.js';
import { curl, curlAvailable } from '../fixtures/curl.js';
import { redisAvailable } from '../fixtures/redis.js';
import { FRONTS, frontAvailable, launch, login, type TestStack } from './harness.js';

// Server-to-server calls as a shell script makes them: `tokengate client add` registers the
// public key, `tokengate client sign` makes the header, the real curl binary sends it through the
// real nginx (or the embedded front) to the demo app, which echoes the identity it was handed.

const CLI = join(ROOT, 'dist/src/cli/main.js');
const CURL = curlAvailable();

interface Echo {
  sub: string;
  roles: string[];
  claims: Record<string, unknown>;
  request: { authorization: boolean; auth_headers: Record<string, string> };
}

/** A directory with a client's key pair in it (k.pem private, k.pub.pem public), removed at the end. */
function clientHome(): { dir: string; clientsDir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tokengate-client-e2e-'));
  for (const [name, alg] of [
    ['billing', 'ES256'],
    ['reports', 'RS256'],
  ] as const) {
    const pair = clientKeyPair(alg);
    writeFileSync(join(dir, `${name}.pem`), pair.privatePem, { mode: 0o600 });
    writeFileSync(join(dir, `${name}.pub.pem`), pair.publicPem);
  }
  return { dir, clientsDir: join(dir, 'clients'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The CLI as a process in `cwd`; fails the test on a non-zero exit. */
function cli(cwd: string, args: string[], env: Record<string, string> = {}): string {
  const res = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    encoding: 'utf8',
    timeout: 15_000,
  });
  expect(res.status, res.stderr).toBe(0);
  return res.stdout;
}

/** `$(tokengate client sign --key NAME.pem --name NAME)`: a fresh header value. */
const sign = (cwd: string, name: string) => cli(cwd, ['client', 'sign', '--key', `${name}.pem`, '--name', name]).trim();

for (const front of FRONTS) {
  describe.runIf(CURL && frontAvailable(front))(`a client-signed call with curl through the ${front} front`, () => {
    let stack: TestStack;
    const home = clientHome();

    beforeAll(async () => {
      cli(home.dir, ['client', 'add', 'billing', 'billing.pub.pem'], { CLIENTS_DIR: home.clientsDir });
      stack = await launch(front, { CLIENTS_DIR: home.clientsDir, KEYS_CHECK_INTERVAL_S: '1' });
    });
    afterAll(async () => {
      await stack?.cleanup();
      home.cleanup();
    });

    it('reaches the app as the client: X-Auth-Sub billing, X-Auth-Kind client, no roles, no token', async () => {
      const res = await curl(`${stack.url}/check`, { Authorization: sign(home.dir, 'billing') });
      expect(res.status, res.body).toBe(200);
      const echo = JSON.parse(res.body) as Echo;
      expect(echo).toMatchObject({ sub: 'billing', roles: [], claims: { sub: 'billing' } });
      expect(echo.request.authorization).toBe(false);
      const headers = Object.fromEntries(Object.entries(echo.request.auth_headers).map(([k, v]) => [k.toLowerCase(), v]));
      expect(headers).toMatchObject({ 'x-auth-sub': 'billing', 'x-auth-kind': 'client' });
    });

    it('refuses the same header sent again with 401', async () => {
      const header = sign(home.dir, 'billing');
      expect((await curl(`${stack.url}/check`, { Authorization: header })).status).toBe(200);
      const replay = await curl(`${stack.url}/check`, { Authorization: header });
      expect(replay.status).toBe(401);
      expect(replay.headers['www-authenticate']).toBe('JWT realm="tokengate", error="invalid_token"');
      expect(JSON.parse(replay.body)).toEqual({ error: 'unauthorized', message: 'A valid token is required.' });
    });

    it('is held to the policy as a user is: /api/** lets any identity in, /admin/** needs a role it lacks (403)', async () => {
      expect((await curl(`${stack.url}/api/whoami`, { Authorization: sign(home.dir, 'billing') })).status).toBe(200);
      const admin = await curl(`${stack.url}/admin`, { Authorization: sign(home.dir, 'billing') });
      expect(admin.status).toBe(403);
      expect(JSON.parse(admin.body)).toMatchObject({ error: 'forbidden' });
    });

    it('hands a signed-in user to the app with X-Auth-Kind user', async () => {
      const token = await login(stack.url, 'alice', 'wonderland');
      const res = await curl(`${stack.url}/check`, { Authorization: `Bearer ${token}` });
      expect(res.status).toBe(200);
      const headers = Object.fromEntries(Object.entries((JSON.parse(res.body) as Echo).request.auth_headers).map(([k, v]) => [k.toLowerCase(), v]));
      expect(headers['x-auth-kind']).toBe('user');
    });

    it('refuses a client whose key is not registered, then accepts it once tokengate client add has run (no restart)', async () => {
      expect((await curl(`${stack.url}/check`, { Authorization: sign(home.dir, 'reports') })).status).toBe(401);
      cli(home.dir, ['client', 'add', 'reports', 'reports.pub.pem'], { CLIENTS_DIR: home.clientsDir });
      // KEYS_CHECK_INTERVAL_S=1: each signer polls CLIENTS_DIR every second; every try is a fresh header.
      for (let tries = 0; ; tries++) {
        const res = await curl(`${stack.url}/check`, { Authorization: sign(home.dir, 'reports') });
        if (res.status === 200) break;
        expect(tries, 'the new client was not picked up within 10 s').toBeLessThan(50);
        await sleep(200);
      }
    });
  });
}

describe.runIf(CURL && frontAvailable('nginx') && redisAvailable())('a replayed client header with two signers and Redis behind nginx', () => {
  let stack: TestStack;
  const home = clientHome();

  beforeAll(async () => {
    cli(home.dir, ['client', 'add', 'billing', 'billing.pub.pem'], { CLIENTS_DIR: home.clientsDir });
    stack = await launch('nginx', { CLIENTS_DIR: home.clientsDir }, { signerInstances: 2, redis: true });
  });
  afterAll(async () => {
    await stack?.cleanup();
    home.cleanup();
  });

  it('is refused by the other instance, asked directly', async () => {
    const [a, b] = stack.signerUrls as [string, string];
    const header = sign(home.dir, 'billing');
    expect((await curl(`${a}/verify`, { Authorization: header, 'X-Original-URI': '/check' })).status).toBe(204);
    expect((await curl(`${b}/verify`, { Authorization: header, 'X-Original-URI': '/check' })).status).toBe(401);
  });

  it('passes once among ten parallel curl calls through nginx, whichever signer each reaches', async () => {
    const header = sign(home.dir, 'billing');
    const statuses = (await Promise.all(Array.from({ length: 10 }, () => curl(`${stack.url}/check`, { Authorization: header })))).map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(9);
  });
});
