import { createServer, type Server } from 'node:net';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminKeyFor, signAdminToken } from '../../src/admin/admin-credential.js';
import { ENTRY } from '../../scripts/stack/paths.js';
import { testPort } from '../fixtures/ports.js';
import { runCli, useCliDirs, type CliRun } from '../fixtures/cli.js';
import { redisAvailable } from '../fixtures/redis.js';
import { FRONTS, frontAvailable, http, launch, login, loginPacer, rawHttp, type TestStack } from './harness.js';

// Issue 16 as an operator does it: a real stack, bob signed in twice, and the real CLI run with
// the stack's own environment (as `npm start` sets it up) to list his sessions and end them.

const workDir = useCliDirs('tokengate-sessions-admin-');
/** How long a revocation may take to bite, everywhere. */
const WITHIN_MS = 1_000;

const sidOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sid: string }).sid;

/** The CLI as the operator runs it: the signers' configuration, nothing else, from another directory. */
function sessions(stack: TestStack, args: string[]): CliRun {
  const res = runCli(['sessions', ...args], { cwd: workDir(), env: stack.config });
  const all = `${res.stdout}${res.stderr}`;
  expect(all).not.toContain(stack.secret());
  expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
  return res;
}

/** Milliseconds until `status()` answers `expected`, polling; -1 when it did not within WITHIN_MS. */
async function msUntil(expected: number, status: () => Promise<number>): Promise<number> {
  const start = Date.now();
  while (Date.now() - start <= WITHIN_MS) {
    if ((await status()) === expected) return Date.now() - start;
    await sleep(20);
  }
  return -1;
}

const gatewayStatus = (stack: TestStack, token: string) => async () =>
  (await http(`${stack.url}/check`, { headers: { authorization: `Bearer ${token}` } })).status;
/** A credential for one request (method and path as sent), as the CLI makes one from the stack's secret. */
const adminCredential = (stack: TestStack, method: string, path: string) =>
  signAdminToken(adminKeyFor(new TextEncoder().encode(stack.secret())), 'cli:test', { method, path });

describe.each(FRONTS)('tokengate sessions with the %s front', (front) => {
  const available = frontAvailable(front);
  let stack: TestStack;
  const pace = loginPacer();
  const signIn = async (user: string, password: string) => {
    await pace('/login');
    return login(stack.url, user, password);
  };

  beforeAll(async () => {
    if (available) stack = await launch(front);
  });
  afterAll(async () => {
    await stack?.cleanup();
  });

  it.runIf(available)("lists bob's two sessions, ends one, then all: his tokens are refused through the gateway within 1 s", async () => {
    const first = await signIn('bob', 'builder');
    const second = await signIn('bob', 'builder');
    const alice = await signIn('alice', 'wonderland');
    for (const t of [first, second, alice]) expect(await gatewayStatus(stack, t)()).toBe(200);

    const listed = sessions(stack, ['list', 'bob']);
    expect(listed.status, listed.stderr).toBe(0);
    const rows = listed.stdout.trimEnd().split('\n').slice(1);
    expect(rows.map((r) => r.split(/ +/)[0])).toEqual([sidOf(first), sidOf(second)]);
    expect(listed.stderr).toContain('2 live sessions for "bob"');

    const one = sessions(stack, ['revoke', 'bob', '--session', sidOf(first)]);
    expect(one.status, one.stderr).toBe(0);
    const oneMs = await msUntil(401, gatewayStatus(stack, first));
    console.log(`${front}: one session ended, its token refused through the gateway after ${oneMs} ms`);
    expect(oneMs).toBeGreaterThanOrEqual(0);
    expect(await gatewayStatus(stack, second)()).toBe(200);

    const all = sessions(stack, ['revoke', 'bob']);
    expect(all.status, all.stderr).toBe(0);
    expect(all.stderr).toContain('ended 1 session of "bob"');
    const allMs = await msUntil(401, gatewayStatus(stack, second));
    console.log(`${front}: every session of bob ended, his token refused through the gateway after ${allMs} ms`);
    expect(allMs).toBeGreaterThanOrEqual(0);
    expect(await gatewayStatus(stack, alice)()).toBe(200);

    const none = sessions(stack, ['list', 'bob']);
    expect(none.status).toBe(0);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('no live sessions for "bob"');
  });

  it.runIf(available)('never routes /admin/ to the admin API: the gateway judges it as any protected path', async () => {
    const bob = await signIn('bob', 'builder');
    const alice = await signIn('alice', 'wonderland');
    const path = `${stack.url}/admin/v1/users/bob/sessions`;
    for (const method of ['GET', 'DELETE']) {
      const credential = await adminCredential(stack, method, '/admin/v1/users/bob/sessions');
      // The admin API's own credential is no identity at the gateway: 401 under the gateway's realm.
      const asAdminApi = await http(path, { method, headers: { authorization: `Bearer ${credential}` } });
      expect(asAdminApi.status).toBe(401);
      expect(asAdminApi.headers.get('www-authenticate')).toMatch(/realm="tokengate"/);
      expect((await http(path, { method })).status).toBe(401);
      // An admin's own token reaches the demo app (the policy gives /admin/** to the role admin), never the API.
      const asAlice = await http(path, { method, headers: { authorization: `Bearer ${alice}` } });
      expect(asAlice.text).not.toContain('"sessions"');
      expect(asAlice.text).not.toContain('"ended"');
    }
    // Paths nginx resolves to /login (or the admin page) while forwarding them as written: they
    // reach the signer, never its admin API, even with the API's own credential.
    const tricks: [string, number][] = [
      // nginx forwards the path as written, and the signer does not route it: 404 (its admin API
      // would have answered 400 or 405).
      ['/admin/v1/users/bob/sessions/..%2F..%2F..%2F..%2F..%2Flogin', 404],
      ['/admin/v1/users/bob/sessions/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/logout', 404],
      // The admin page's location checks first: the API's credential is no identity.
      ['/admin/v1/users/bob/sessions/..%2F..%2F..%2F..%2F..%2Ftokengate%2Fadmin', 401],
    ];
    for (const [tricky, status] of tricks) {
      for (const method of ['GET', 'DELETE']) {
        // Good for this very request, were it to reach the API.
        const credential = await adminCredential(stack, method, tricky);
        const res = await rawHttp(
          stack.url,
          `${method} ${tricky} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${credential}\r\nConnection: close\r\n\r\n`,
        );
        // The embedded front routes the resolved path itself (GET /login is its sign-in page).
        if (front !== 'embedded') expect(res.status, `${method} ${tricky}: ${res.body}`).toBe(status);
        expect(res.body).not.toContain('"sessions"');
        expect(res.body).not.toContain('"ended"');
      }
    }
    expect(await gatewayStatus(stack, bob)()).toBe(200);
    expect(sessions(stack, ['list', 'bob']).stdout).toContain(sidOf(bob));
  });
});

describe.runIf(frontAvailable('nginx') && redisAvailable())('tokengate sessions with two signers and Redis behind nginx', () => {
  let stack: TestStack;
  let a: string;
  let b: string;

  beforeAll(async () => {
    stack = await launch('nginx', {}, { signerInstances: 2, redis: true });
    [a = '', b = ''] = stack.signerUrls;
  });
  afterAll(async () => {
    await stack?.cleanup();
  });

  const verifyAt = (base: string, token: string) => async () =>
    (await http(`${base}/verify`, { headers: { authorization: `Bearer ${token}`, 'x-original-uri': '/check' } })).status;

  it("ends bob's sessions through signer 1 (the CLI's default): signer 2's /verify refuses his tokens within 1 s", async () => {
    const pace = loginPacer();
    const tokens: string[] = [];
    for (const base of [a, b]) {
      await pace('/login');
      tokens.push(await login(base, 'bob', 'builder'));
    }
    for (const t of tokens) expect(await verifyAt(b, t)()).toBe(204);
    // Both signers see both sessions: the list is the shared store's.
    const listed = sessions(stack, ['list', 'bob', '--json']);
    expect(listed.status, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { sessions: { sid: string }[] }).sessions.map((s) => s.sid).sort()).toEqual(tokens.map(sidOf).sort());
    expect(stack.config.SIGNER_PORT).toBe(new URL(a).port);

    const revoked = sessions(stack, ['revoke', 'bob']);
    expect(revoked.status, revoked.stderr).toBe(0);
    expect(revoked.stderr).toContain('ended 2 sessions of "bob"');
    for (const t of tokens) {
      const ms = await msUntil(401, verifyAt(b, t));
      console.log(`a revocation at signer 1 refused by signer 2 after ${ms} ms`);
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(await gatewayStatus(stack, t)()).toBe(401);
    }
    const atB = sessions(stack, ['list', 'bob', '--signer', b]);
    expect(atB.stderr).toContain('no live sessions for "bob"');
  });
});

describe('the embedded front when SIGNER_PORT is taken', () => {
  let dir: string;
  let blocker: Server;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tokengate-admin-port-'));
  });
  afterAll(async () => {
    await new Promise((resolve) => blocker?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('says so and serves the gateway all the same, without the admin API', async () => {
    blocker = createServer();
    const signerPort = await testPort();
    await new Promise<void>((resolve) => blocker.listen(signerPort, '127.0.0.1', resolve));
    const gatewayPort = await testPort();
    const child = spawn(process.execPath, [ENTRY.front], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', GATEWAY_PORT: String(gatewayPort), SIGNER_PORT: String(signerPort), LOG_LEVEL: 'info', POLICY_FILE: '' },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await expect.poll(() => out.includes('embedded front listening') || child.exitCode !== null, { timeout: 10_000 }).toBe(true);
      expect(child.exitCode, out).toBeNull();
      expect(out).toContain(`admin API: 127.0.0.1:${signerPort} is already in use; running without it`);
      expect((await http(`http://127.0.0.1:${gatewayPort}/.well-known/jwks.json`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
