import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_ALGS } from '../../src/signing-keys/algorithms.js';
import { activeSigner, foreignSigner, headerOf, hmacToken, publicKeyAsSecrets, secretSigner, signToken, type TestSigner } from '../fixtures/ring-tokens.js';
import { mint, rs256Token, tamper, unsignedToken } from '../fixtures/tokens.js';
import { FRONTS, frontAvailable, http, launch, login, rawHttp, type TestStack } from './harness.js';

/** Header members that would let a token name its own key (RFC 8725 §3.10): never trusted. */
const KEY_HEADERS = {
  jwk: { jwk: { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' } },
  jku: { jku: 'https://attacker.example/jwks.json' },
  x5u: { x5u: 'https://attacker.example/cert.pem' },
  x5c: { x5c: ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'] },
} as const;

interface Echo {
  sub: string;
  roles: string[];
  claims: Record<string, unknown>;
  request: { url: string; authorization: boolean; auth_headers: Record<string, string> };
}

/** Members a JWK uses for private or secret key material: none may ever be published. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

// Every front with every algorithm: HS256 signs with the secret (no kid, empty JWKS); the others
// with the key ring the first start generates (a kid, and the public key in the JWKS).
const CASES = FRONTS.flatMap((front) => KEY_ALGS.map((alg) => [front, alg] as const));

describe.each(CASES)('the gateway contract through the %s front, signing %s', (front, alg) => {
  const available = frontAvailable(front);
  let stack: TestStack;
  let base: string;
  /** What the gateway signs with: the ring's active key, or the secret under HS256. */
  let signer: TestSigner;
  const postLogin = (body: string, type = 'application/json') => http(`${base}/login`, { method: 'POST', headers: { 'content-type': type }, body });
  const check = (token: string) => http(`${base}/check`, { headers: { authorization: `Bearer ${token}` } });
  const fetchJwks = async (): Promise<JSONWebKeySet> => {
    const res = await http(`${base}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    return res.json() as JSONWebKeySet;
  };

  beforeAll(async () => {
    if (!available) return;
    stack = await launch(front, { JWT_ALG: alg });
    base = stack.url;
    signer = alg === 'HS256' ? secretSigner(stack.secret()) : await activeSigner(stack.keysDir);
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

    it.each<[string, (signer: TestSigner, secret: string) => Promise<string>]>([
      ['an expired token', (key) => signToken(key, { sub: 'alice' }, { expiresIn: -3600 })],
      ['an HS512 token with the right secret', (_key, secret) => mint({ sub: 'alice' }, { secret, alg: 'HS512' })],
      ['a token without exp', (key) => signToken(key, { sub: 'alice' }, { expiresIn: null })],
      ['a token from another issuer', (key) => signToken(key, { sub: 'alice' }, { issuer: 'someone-else' })],
      ['a token not valid yet', (key) => signToken(key, { sub: 'alice' }, { notBeforeIn: 3600 })],
      ['a token whose sub would inject a header', (key) => signToken(key, { sub: 'alice\r\nX-Auth-Roles: admin' })],
      ['a token whose role holds a comma', (key) => signToken(key, { sub: 'bob', roles: ['user,admin'] })],
      ['a token signed with another secret', () => mint({ sub: 'alice' }, { secret: 'another-secret-another-secret-123456' })],
      ['a token naming a kid the ring does not hold', (key) => signToken({ ...key, kid: 'no-such-kid' }, { sub: 'alice' })],
      ...(['jwk', 'jku', 'x5u', 'x5c'] as const).map((name): [string, (key: TestSigner) => Promise<string>] => [
        `a correctly signed token that names its own key in a "${name}" header`,
        (key) => signToken(key, { sub: 'alice' }, { header: KEY_HEADERS[name] }),
      ]),
    ])('refuses %s with 401 invalid_token', async (_name, make) => {
      const res = await check(await make(signer, stack.secret()));
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    });

    it(`accepts a token minted with the signing key, ${alg === 'HS256' ? 'the secret' : 'the active key of the ring'} (the control for the table above)`, async () => {
      const res = await check(await signToken(signer, { sub: 'carol', roles: ['user'] }));
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
      expect(
        Object.keys(echo.request.auth_headers)
          .map((k) => k.toLowerCase())
          .sort(),
      ).toEqual(['x-auth-claims', 'x-auth-kind', 'x-auth-roles', 'x-auth-sub']);
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

  describe.skipIf(!available)(`keys and the JWKS (${alg})`, () => {
    let alice: string;
    let jwks: JSONWebKeySet;
    beforeAll(async () => {
      alice = await login(base, 'alice', 'wonderland');
      jwks = await fetchJwks();
    });

    if (alg === 'HS256') {
      it('signs with the secret: HS256, no kid, and publishes an empty JWKS', () => {
        expect(headerOf(alice)).toEqual({ alg: 'HS256', typ: 'at+jwt' });
        expect(jwks).toEqual({ keys: [] });
      });
    } else {
      it(`signs ${alg} under the kid of the one key the JWKS publishes`, () => {
        const header = headerOf(alice);
        expect(header).toMatchObject({ alg, typ: 'at+jwt', kid: signer.kid });
        expect(jwks.keys.map((k) => ({ kid: k.kid, alg: k.alg, use: k.use }))).toEqual([{ kid: header.kid, alg, use: 'sig' }]);
      });

      it('lets a service outside the gateway verify the token with nothing but the JWKS fetched through it', async () => {
        const { payload, protectedHeader } = await jwtVerify(alice, createLocalJWKSet(jwks), { issuer: 'tokengate', algorithms: [alg] });
        expect(payload).toMatchObject({ sub: 'alice', roles: ['admin', 'user'] });
        expect(protectedHeader.kid).toBe(signer.kid);
      });

      it('refuses a token signed by another key of the same algorithm under the same kid', async () => {
        const impostor = await foreignSigner(alg, signer.kid!);
        const res = await check(await signToken(impostor, { sub: 'alice', roles: ['admin', 'user'] }));
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
      });

      it('refuses a token signed by a key of its own that it carries in a "jwk" header, under the ring\'s kid', async () => {
        const impostor = await foreignSigner(alg, signer.kid!);
        const res = await check(await signToken(impostor, { sub: 'alice', roles: ['admin', 'user'] }, { header: { jwk: impostor.publicJwk } }));
        expect(res.status).toBe(401);
      });

      it('refuses a kid-less HS256 token signed with the secret: only an HS256 gateway trusts the secret', async () => {
        const res = await check(await signToken(secretSigner(stack.secret()), { sub: 'alice', roles: ['admin', 'user'] }));
        expect(res.status).toBe(401);
      });

      it.each(['PEM text', 'DER bytes', 'JWK JSON'] as const)(
        `refuses an HS256 token under the ${alg} kid whose HMAC key is the public key's %s: no algorithm confusion`,
        async (form) => {
          const res = await check(hmacToken(signer.kid!, publicKeyAsSecrets(jwks.keys[0]!)[form]));
          expect(res.status).toBe(401);
          expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
        },
      );
    }

    it('publishes no private or secret member of any key', async () => {
      const text = (await http(`${base}/.well-known/jwks.json`)).text;
      for (const key of (JSON.parse(text) as JSONWebKeySet).keys) for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);
    });

    it('serves the JWKS cacheable for JWKS_MAX_AGE_S with an ETag, and answers 304 without a body when it is unchanged', async () => {
      const first = await http(`${base}/.well-known/jwks.json`);
      expect(first.headers.get('cache-control')).toBe('public, max-age=300');
      expect(first.headers.get('content-type')).toMatch(/^application\/json/);
      const etag = first.headers.get('etag');
      expect(etag).toMatch(/^(W\/)?"[^"]+"$/);
      // Raw requests: fetch adds `Cache-Control: no-cache` to a conditional request, which asks for the full answer.
      const revalidate = (tag: string) =>
        rawHttp(base, `GET /.well-known/jwks.json HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: ${tag}\r\nConnection: close\r\n\r\n`);
      const again = await revalidate(etag!);
      expect(again.status).toBe(304);
      expect(again.body).toBe('');
      expect(again.head.toLowerCase().split('\r\n')).toContain(`etag: ${etag!.toLowerCase()}`);
      const stale = await revalidate('"something-else"');
      expect(stale.status).toBe(200);
      expect(JSON.parse(stale.body)).toEqual(jwks);
    });
  });
});
