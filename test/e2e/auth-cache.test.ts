import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frontAvailable, http, launch, loginPacer, verifyCalls, type TestStack } from './harness.js';

/** Short, so the test of a logout biting once it has run out stays short too. */
const TTL_S = 3;
const JSON_ACCEPT = 'application/json';

interface Echo {
  sub: string;
  request: { auth_headers: Record<string, string> };
}

describe('the nginx auth cache (AUTH_CACHE_TTL_S) through the real nginx', () => {
  const available = frontAvailable('nginx');
  let stack: TestStack;
  const paced = loginPacer();
  beforeAll(async () => {
    if (available) stack = await launch('nginx', { AUTH_CACHE_TTL_S: String(TTL_S) });
  });
  afterAll(async () => {
    await stack?.cleanup();
  });

  /** How many /verify calls the signer has answered, whatever the outcome. */
  const verifies = () => verifyCalls(stack.signerUrls[0]!);

  async function loginPair(username = 'alice', password = 'wonderland'): Promise<{ token: string; refresh_token: string }> {
    await paced('/login');
    const res = await http(`${stack.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    expect(res.status).toBe(200);
    return res.json() as { token: string; refresh_token: string };
  }

  const get = (path: string, headers: Record<string, string>) => http(`${stack.url}${path}`, { headers: { Accept: JSON_ACCEPT, ...headers } });
  const bearer = (path: string, token: string) => get(path, { Authorization: `Bearer ${token}` });

  it.skipIf(!available)('lets nginx answer a repeated request with one token: the app still gets the identity, the signer is asked once', async () => {
    const { token } = await loginPair();
    const before = await verifies();
    for (let i = 0; i < 5; i++) {
      const res = await bearer('/api/whoami', token);
      expect(res.status).toBe(200);
      const echo = res.json() as Echo;
      expect(echo.sub).toBe('alice');
      expect(echo.request.auth_headers).toMatchObject({ 'X-Auth-Sub': 'alice', 'X-Auth-Roles': 'admin,user', 'X-Auth-Kind': 'user' });
    }
    expect((await verifies()) - before).toBe(1);
  });

  it.skipIf(!available)('keys on the credential: another token, a tampered one and none at all each reach the signer', async () => {
    const { token } = await loginPair();
    expect((await bearer('/api/whoami', token)).status).toBe(200);
    const before = await verifies();
    expect((await bearer('/api/whoami', `${token.slice(0, -2)}AA`)).status).toBe(401);
    expect((await get('/api/whoami', {})).status).toBe(401);
    const { token: other } = await loginPair('bob', 'builder');
    const res = await bearer('/api/whoami', other);
    expect(res.status).toBe(200);
    expect((res.json() as Echo).sub).toBe('bob');
    expect((await verifies()) - before).toBe(3);
  });

  it.skipIf(!available)('keys on the method and the URI: a pass on one path is never a pass on another', async () => {
    const { token } = await loginPair('bob', 'builder');
    expect((await bearer('/api/whoami', token)).status).toBe(200);
    expect((await bearer('/api/whoami', token)).status).toBe(200);
    // bob is no admin: the policy refuses him, cached pass or not.
    expect((await bearer('/admin/', token)).status).toBe(403);
    expect((await bearer('/admin/', token)).status).toBe(403);
    const post = await http(`${stack.url}/api/whoami`, { method: 'DELETE', headers: { Accept: JSON_ACCEPT, Authorization: `Bearer ${token}` } });
    expect(post.status).not.toBe(401);
  });

  it.skipIf(!available)(
    'cannot be fooled by a key that reads the same split differently: a `|` in the URI, Authorization or Cookie is never cached',
    async () => {
      const { token } = await loginPair('bob', 'builder');
      // The seed: a pass for bob on /api/whoami, whose key would read "GET /api/whoami|<token>|/../../admin/||".
      const seed = await get('/api/whoami', { Authorization: token, Cookie: '/../../admin/||' });
      expect(seed.status).toBe(200);
      const before = await verifies();
      // The same key from another request: no credential, and nginx routes it to /admin/.
      const attack = await get(`/api/whoami|${token}|/../../admin/`, {});
      expect(attack.status).toBe(401);
      expect(attack.text).not.toContain('"area":"admin"');
      expect((await verifies()) - before).toBe(1);
    },
  );

  it.skipIf(!available)("never answers from the cache a request that carries the client's own identity headers", async () => {
    const { token } = await loginPair('bob', 'builder');
    expect((await bearer('/api/whoami', token)).status).toBe(200);
    for (const name of ['X-Auth-Sub', 'X-Auth-Roles', 'X-Auth-Claims', 'X-Auth-Kind']) {
      const res = await get('/api/whoami', { Authorization: `Bearer ${token}`, [name]: 'alice' });
      expect(res.status, name).toBe(401);
    }
  });

  it.skipIf(!available)('never keeps a refresh: a browser holding only its refresh cookie reaches the signer every time', async () => {
    const { refresh_token: refresh } = await loginPair();
    const before = await verifies();
    const first = await get('/api/whoami', { Cookie: `__Host-tg_refresh=${refresh}` });
    expect(first.status).toBe(200);
    expect(first.headers.getSetCookie().some((c) => c.startsWith('__Host-tg_access='))).toBe(true);
    // The same old refresh cookie again (inside REFRESH_GRACE_S): the signer answers it again.
    const again = await get('/api/whoami', { Cookie: `__Host-tg_refresh=${refresh}` });
    expect(again.status).toBe(200);
    expect((await verifies()) - before).toBe(2);
  });

  it.skipIf(!available)('after a logout, keeps passing the token for at most AUTH_CACHE_TTL_S (the documented cost), then refuses it', async () => {
    const { token } = await loginPair();
    expect((await bearer('/api/whoami', token)).status).toBe(200);
    await paced('/logout');
    const out = await http(`${stack.url}/logout`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, Accept: JSON_ACCEPT } });
    expect(out.status).toBeLessThan(300);
    const loggedOutAt = Date.now();
    // nginx still holds the pass: this is what opting in trades away.
    expect((await bearer('/api/whoami', token)).status).toBe(200);
    // The signer knows better, and says so as soon as nginx asks it again.
    let status = 200;
    while (status === 200 && Date.now() - loggedOutAt < (TTL_S + 3) * 1000) {
      await sleep(250);
      status = (await bearer('/api/whoami', token)).status;
    }
    expect(status).toBe(401);
    // The entry never lives longer than the TTL (the signer tells nginx one second less, as
    // nginx keeps an entry to the end of its last second); the rest is this loop's polling.
    expect(Date.now() - loggedOutAt).toBeLessThanOrEqual(TTL_S * 1000 + 500);
  });
});
