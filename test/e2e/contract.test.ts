import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mint, rs256Token, tamper, unsignedToken } from '../fixtures/tokens.js';
import { FRONTS, frontAvailable, http, launch, login, type TestStack } from './harness.js';

interface Echo {
  sub: string;
  roles: string[];
  claims: Record<string, unknown>;
  request: { url: string; authorization: boolean; auth_headers: Record<string, string> };
}

describe.each(FRONTS)('the gateway contract through the %s front', (front) => {
  const available = frontAvailable(front);
  let stack: TestStack;
  let base: string;
  const postLogin = (body: string, type = 'application/json') =>
    http(`${base}/login`, { method: 'POST', headers: { 'content-type': type }, body });

  beforeAll(async () => {
    if (!available) return;
    stack = await launch(front);
    base = stack.url;
  });
  afterAll(async () => {
    await stack?.cleanup();
  });

  describe.skipIf(!available)('logging in', () => {
    it('signs a token from the app answer and lets it through to /check with the right identity', async () => {
      const res = await postLogin(JSON.stringify({ username: 'alice', password: 'wonderland' }));
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = res.json() as { token: string; token_type: string; expires_in: number };
      expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });

      const check = await http(`${base}/check`, { headers: { authorization: `Bearer ${body.token}` } });
      expect(check.status).toBe(200);
      const echo = check.json() as Echo;
      expect(echo.sub).toBe('alice');
      expect(echo.roles).toEqual(['admin', 'user']);
      expect(echo.claims).toMatchObject({ sub: 'alice', name: 'Alice Liddell', iss: 'tokengate' });
      expect(echo.request.authorization).toBe(false);
    });

    it('accepts a form-encoded login', async () => {
      const res = await postLogin('username=bob&password=builder', 'application/x-www-form-urlencoded');
      expect(res.status).toBe(200);
      const token = (res.json() as { token: string }).token;
      const echo = (await http(`${base}/api/whoami`, { headers: { authorization: `Bearer ${token}` } })).json() as Echo;
      expect(echo).toMatchObject({ sub: 'bob', roles: ['user'] });
    });

    it("passes the app's refusal through unchanged on a wrong password", async () => {
      const res = await postLogin(JSON.stringify({ username: 'alice', password: 'not-her-password' }));
      expect(res.status).toBe(401);
      expect(res.json()).toEqual({ error: 'invalid_credentials' });
    });

    it('answers an unknown user exactly as a wrong password', async () => {
      const res = await postLogin(JSON.stringify({ username: 'nobody-here', password: 'whatever' }));
      expect(res.status).toBe(401);
      expect(res.json()).toEqual({ error: 'invalid_credentials' });
    });

    it('refuses malformed JSON with 400', async () => {
      const res = await postLogin('{"username": "alice",');
      expect(res.status).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_json' });
    });

    it('refuses a 1 MB login body with 413', async () => {
      const res = await postLogin(JSON.stringify({ username: 'alice', password: 'x'.repeat(1024 * 1024) }));
      expect(res.status).toBe(413);
      expect(res.json()).toMatchObject({ error: 'payload_too_large' });
    });

    it.each(['/LOGIN', '/login/'])('treats POST %s as a protected path, not as the login (401)', async (path) => {
      const res = await http(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'alice', password: 'wonderland' }),
      });
      expect(res.status).toBe(401);
      expect(res.text).not.toContain('token_type');
    });

    it('refuses missing credentials with 400 before asking the app', async () => {
      const res = await postLogin('{"username":"alice"}');
      expect(res.status).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_request' });
    });
  });

  describe.skipIf(!available)('verifying tokens', () => {
    let alice: string;
    beforeAll(async () => {
      alice = await login(base, 'alice', 'wonderland');
    });

    it('accepts a bare Authorization header without scheme, as the OpenResty recipe sent it', async () => {
      const res = await http(`${base}/check`, { headers: { authorization: alice } });
      expect(res.status).toBe(200);
      expect((res.json() as Echo).sub).toBe('alice');
    });

    it('accepts the scheme in any case', async () => {
      const res = await http(`${base}/check`, { headers: { authorization: `bEaReR ${alice}` } });
      expect(res.status).toBe(200);
    });

    it.each([
      ['in the middle', (t: string) => `a=1&jwt=${t}&b=2`, '/api/whoami?a=1&b=2'],
      ['first', (t: string) => `jwt=${t}&b=2`, '/api/whoami?b=2'],
      ['last', (t: string) => `a=1&jwt=${t}`, '/api/whoami?a=1'],
      ['alone', (t: string) => `jwt=${t}`, '/api/whoami'],
    ])('accepts ?jwt= %s and never shows the token to the app', async (_where, query, seen) => {
      const res = await http(`${base}/api/whoami?${query(alice)}`);
      expect(res.status).toBe(200);
      const echo = res.json() as Echo;
      expect(echo.sub).toBe('alice');
      // The app sees the rest of the query as it was, without a stray `&`.
      expect(echo.request.url.replace(/\?$/, '')).toBe(seen);
      expect(res.text).not.toContain(alice.split('.')[2]);
    });

    it.each<[string, () => Promise<Record<string, string>>]>([
      ['no token', async () => ({})],
      ['a garbage token', async () => ({ authorization: 'Bearer not-a-jwt' })],
      ['a tampered token', async () => ({ authorization: `Bearer ${tamper(alice)}` })],
      ['an alg:none token', async () => ({ authorization: `Bearer ${unsignedToken()}` })],
      ['an RS256 token', async () => ({ authorization: `Bearer ${await rs256Token()}` })],
      ['an empty Bearer', async () => ({ authorization: 'Bearer ' })],
      ['a Basic header', async () => ({ authorization: 'Basic YWxpY2U6d29uZGVybGFuZA==' })],
    ])('refuses %s with 401 JSON and a Bearer challenge', async (_name, headers) => {
      const res = await http(`${base}/check`, { headers: await headers() });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="tokengate"/);
      expect(res.json()).toMatchObject({ error: 'unauthorized' });
    });

    it.each<[string, (secret: string) => Promise<string>]>([
      ['an expired token', (secret) => mint({ sub: 'alice' }, { secret, expiresIn: -3600 })],
      ['an HS512 token with the right secret', (secret) => mint({ sub: 'alice' }, { secret, alg: 'HS512' })],
      ['a token without exp', (secret) => mint({ sub: 'alice' }, { secret, expiresIn: null })],
      ['a token from another issuer', (secret) => mint({ sub: 'alice' }, { secret, issuer: 'someone-else' })],
      ['a token not valid yet', (secret) => mint({ sub: 'alice' }, { secret, notBeforeIn: 3600 })],
      ['a token whose sub would inject a header', (secret) => mint({ sub: 'alice\r\nX-Auth-Roles: admin' }, { secret })],
      ['a token whose role holds a comma', (secret) => mint({ sub: 'bob', roles: ['user,admin'] }, { secret })],
      ['a token signed with another secret', () => mint({ sub: 'alice' }, { secret: 'another-secret-another-secret-123456' })],
    ])('refuses %s with 401 invalid_token', async (_name, make) => {
      const token = await make(stack.secret());
      const res = await http(`${base}/check`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    });

    it('accepts a token minted with the signing secret (the control for the table above)', async () => {
      const token = await mint({ sub: 'carol', roles: ['user'] }, { secret: stack.secret() });
      const res = await http(`${base}/check`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect((res.json() as Echo).sub).toBe('carol');
    });

    it.each<[string, Record<string, string>]>([
      ['X-Auth-Sub', { 'X-Auth-Sub': 'mallory' }],
      ['x-auth-roles in lower case', { 'x-auth-roles': 'root' }],
      ['X-AUTH-CLAIMS in upper case', { 'X-AUTH-CLAIMS': 'e30' }],
      ['X-Auth-Email, a name the gateway does not set', { 'X-Auth-Email': 'ceo@example.com' }],
      ['X-Auth-Request-User, the oauth2-proxy convention', { 'X-Auth-Request-User': 'admin' }],
    ])('refuses a request that carries its own %s (401 invalid_request), even with a valid token', async (_name, forged) => {
      const res = await http(`${base}/check`, { headers: { authorization: `Bearer ${alice}`, ...forged } });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_request"');
      expect(res.text).not.toContain('mallory');
    });

    it('drops underscore spellings (X-Auth_Sub, X_Auth_Roles) as nginx does: the app sees only the token identity', async () => {
      const res = await http(`${base}/check`, {
        headers: { authorization: `Bearer ${alice}`, 'X-Auth_Sub': 'mallory', X_Auth_Roles: 'root' },
      });
      expect(res.status).toBe(200);
      const echo = res.json() as Echo;
      expect(echo).toMatchObject({ sub: 'alice', roles: ['admin', 'user'] });
      expect(Object.keys(echo.request.auth_headers).map((k) => k.toLowerCase()).sort()).toEqual(['x-auth-claims', 'x-auth-roles', 'x-auth-sub']);
    });

    it('sends no identity headers at all for a request it refuses', async () => {
      const res = await http(`${base}/check`, { headers: { 'X-Auth-Sub': 'mallory' } });
      expect(res.status).toBe(401);
      expect(res.text).not.toContain('mallory');
    });

    it.each(['/authenticate', '/AUTHENTICATE', '/authenticate/', '//authenticate', '/%61uthenticate'])(
      'keeps the app login check %s unreachable from outside (404), even with a valid token',
      async (path) => {
        const res = await http(`${base}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'alice', password: 'wonderland' }),
        });
        expect(res.status).toBe(404);
        expect(res.text).not.toContain('token');
        expect(res.text).not.toContain('Alice');
      },
    );
  });
});
