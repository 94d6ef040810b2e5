import type { RequestListener } from 'node:http';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import type { SigningKey } from '../../src/tokens/keys.js';
import { createTokenIssuer } from '../../src/tokens/sign.js';
import { testConfig } from '../fixtures/config.js';
import { decodePayload, signRaw } from '../fixtures/jws.js';
import { rawRequest } from '../fixtures/raw-request.js';
import { silentLogger, testKey, secretSource } from '../fixtures/signer.js';
import { mint, rawSegments, rs256Token, tamper, unsignedToken } from '../fixtures/tokens.js';

/** 2030-01-01T00:00:00Z: the signer's frozen clock. */
const NOW_MS = Date.UTC(2030, 0, 1);
const NOW_S = NOW_MS / 1000;
const TTL_S = 900;
const SKEW_S = 30;
const HS256 = { alg: 'HS256', typ: 'JWT' };

const NO_TOKEN = 'Bearer realm="tokengate"';
const INVALID_TOKEN = 'Bearer realm="tokengate", error="invalid_token"';
const INVALID_REQUEST = 'Bearer realm="tokengate", error="invalid_request"';

let key: SigningKey;
let app: RequestListener;
let good: string;
beforeAll(async () => {
  key = await testKey();
  app = signer();
  good = await issue({ sub: 'alice', roles: ['admin', 'user'], name: 'Alice Liddell' });
});

function signer(env: Record<string, string> = {}, now: () => number = () => NOW_MS): RequestListener {
  return createApp(testConfig({ AUTHENTICATE_URL: 'http://127.0.0.1:9/authenticate', ...env }), { logger: silentLogger(), key, now });
}

/** A token as the signer itself issues it, at `atMs` (default: the frozen now). */
async function issue(claims: Record<string, unknown>, opts: { atMs?: number; audience?: string } = {}): Promise<string> {
  const at = opts.atMs ?? NOW_MS;
  const issuer = createTokenIssuer({ keys: secretSource(key), issuer: 'tokengate', ttlSeconds: TTL_S, audience: opts.audience, now: () => at });
  return (await issuer(claims)).token;
}

/** A correctly signed token with exactly this payload. */
const signed = (payload: unknown) => signRaw(HS256, payload);
const valid = { iss: 'tokengate', iat: NOW_S, exp: NOW_S + 300 };

const verify = (a: RequestListener = app) => request(a).get('/verify');

function expectRefused(res: { status: number; headers: Record<string, string>; text: string }, challenge: string): void {
  expect(res.status).toBe(401);
  expect(res.headers['www-authenticate']).toBe(challenge);
  expect(res.text).toBe('');
  expect(res.headers['x-auth-sub']).toBeUndefined();
}

describe('/verify', () => {
  describe('accepts a good token', () => {
    it.each(['get', 'post', 'head', 'put', 'delete'] as const)('with %s, answering 204 and the identity headers', async (method) => {
      const res = await request(app)[method]('/verify').set('Authorization', `Bearer ${good}`);
      expect(res.status).toBe(204);
      expect(res.headers['x-auth-sub']).toBe('alice');
      expect(res.headers['x-auth-roles']).toBe('admin,user');
      expect(res.headers['x-auth-claims']).toEqual(expect.any(String));
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it.each([
      ['Authorization: Bearer <token>', (t: string) => ({ Authorization: `Bearer ${t}` })],
      ['Authorization: bearer <token> (scheme in lower case)', (t: string) => ({ Authorization: `bearer ${t}` })],
      ['Authorization: <token> (no scheme, as the OpenResty recipe)', (t: string) => ({ Authorization: t })],
      ['X-Original-URI: /p?jwt=<token>', (t: string) => ({ 'X-Original-URI': `/p?jwt=${t}` })],
      ['X-Original-URI: /p?a=1&jwt=<token>&b=2', (t: string) => ({ 'X-Original-URI': `/api/x?a=1&jwt=${t}&b=2` })],
    ])('in %s', async (_case, headers) => {
      const res = await verify().set(headers(good));
      expect(res.status).toBe(204);
      expect(res.headers['x-auth-sub']).toBe('alice');
      expect(res.text).toBe('');
    });

    it('and hands the whole payload to the upstream as base64url JSON in X-Auth-Claims', async () => {
      const res = await verify().set('Authorization', `Bearer ${good}`);
      const claims = JSON.parse(Buffer.from(res.headers['x-auth-claims'] as string, 'base64url').toString('utf8')) as unknown;
      expect(claims).toEqual(decodePayload(good));
      expect(claims).toMatchObject({ sub: 'alice', name: 'Alice Liddell', iss: 'tokengate', exp: NOW_S + TTL_S });
    });

    it('without roles, answering an empty X-Auth-Roles', async () => {
      const res = await verify().set('Authorization', `Bearer ${await issue({ sub: 'svc-1' })}`);
      expect(res.status).toBe(204);
      expect(res.headers['x-auth-sub']).toBe('svc-1');
      expect(res.headers['x-auth-roles']).toBe('');
    });

    it('that expired within CLOCK_SKEW_S', async () => {
      const token = await issue({ sub: 'alice' }, { atMs: NOW_MS - (TTL_S + SKEW_S - 1) * 1000 });
      expect((await verify().set('Authorization', `Bearer ${token}`)).status).toBe(204);
    });

    it('for the configured AUDIENCE', async () => {
      const token = await issue({ sub: 'alice' }, { audience: 'demo-app' });
      expect((await verify(signer({ AUDIENCE: 'demo-app' })).set('Authorization', `Bearer ${token}`)).status).toBe(204);
    });
  });

  describe('refuses a client that sends headers in the gateway X-Auth-* namespace', () => {
    it.each(['X-Auth-Sub', 'x-auth-roles', 'X-AUTH-CLAIMS', 'X-Auth-Email', 'X-Auth-Request-User', 'X_Auth_Sub', 'x-auth_roles'])(
      'with 401 invalid_request for %s, even beside a good token',
      async (name) => {
        expectRefused(await verify().set('Authorization', `Bearer ${good}`).set(name, 'mallory'), INVALID_REQUEST);
      },
    );

    it.each(['X-Authorization', 'X-Authenticated', 'X-Author'])('but lets %s through: it is outside the namespace', async (name) => {
      const res = await verify().set('Authorization', `Bearer ${good}`).set(name, 'x');
      expect(res.status).toBe(204);
    });
  });

  describe('checks iat against the clock', () => {
    it('refuses a token issued in the future beyond CLOCK_SKEW_S', async () => {
      expectRefused(await verify().set('Authorization', `Bearer ${signed({ sub: 'alice', ...valid, iat: NOW_S + SKEW_S + 5 })}`), INVALID_TOKEN);
    });

    it('accepts a token issued slightly in the future, within CLOCK_SKEW_S', async () => {
      const res = await verify().set('Authorization', `Bearer ${signed({ sub: 'alice', ...valid, iat: NOW_S + SKEW_S - 5 })}`);
      expect(res.status).toBe(204);
    });
  });

  describe('answers 401 without a body', () => {
    it('with a bare Bearer realm challenge when no token was sent', async () => {
      expectRefused(await verify(), NO_TOKEN);
    });

    it('with a bare challenge for ?jwt= on the /verify URL itself, which only X-Original-URI may carry', async () => {
      expectRefused(await request(app).get(`/verify?jwt=${good}`), NO_TOKEN);
    });

    it('with a bare challenge when the original URI has no jwt parameter', async () => {
      expectRefused(await verify().set('X-Original-URI', `/p?token=${good}`), NO_TOKEN);
    });

    it.each([
      ['an HS512 token', () => mint(undefined, { alg: 'HS512' })],
      ['an HS384 token', () => mint(undefined, { alg: 'HS384' })],
      ['an RS256 token', () => rs256Token()],
      ['an alg none token', () => Promise.resolve(unsignedToken({ sub: 'alice', ...valid }))],
      ['an alg none token with a signature', () => Promise.resolve(signRaw({ alg: 'none' }, { sub: 'alice', ...valid }))],
      ['a tampered token', () => Promise.resolve(tamper(good))],
      ['a token signed with another secret', () => mint(undefined, { secret: 'another-secret-0123456789abcdefghijklmnop' })],
      ['an expired token', () => issue({ sub: 'alice' }, { atMs: NOW_MS - (TTL_S + SKEW_S + 1) * 1000 })],
      ['a token not valid yet', () => Promise.resolve(signed({ sub: 'alice', ...valid, nbf: NOW_S + SKEW_S + 60 }))],
      ['a token without exp', () => Promise.resolve(signed({ sub: 'alice', iss: 'tokengate', iat: NOW_S }))],
      ['a token from another issuer', () => Promise.resolve(signed({ sub: 'alice', ...valid, iss: 'evil' }))],
      ['garbage', () => Promise.resolve('garbage')],
    ])('with error="invalid_token" for %s', async (_case, make) => {
      const token = await make();
      expectRefused(await verify().set('Authorization', `Bearer ${token}`), INVALID_TOKEN);
      expectRefused(await verify().set('X-Original-URI', `/p?jwt=${token}`), INVALID_TOKEN);
    });

    it('with error="invalid_token" for a token without aud when AUDIENCE is set', async () => {
      expectRefused(await verify(signer({ AUDIENCE: 'demo-app' })).set('Authorization', `Bearer ${good}`), INVALID_TOKEN);
    });

    it('with error="invalid_token" for a token issued for another audience', async () => {
      const token = await issue({ sub: 'alice' }, { audience: 'other-app' });
      expectRefused(await verify(signer({ AUDIENCE: 'demo-app' })).set('Authorization', `Bearer ${token}`), INVALID_TOKEN);
    });

    it.each([
      ['the Basic scheme', `Basic ${Buffer.from('alice:wonderland').toString('base64')}`],
      ['a token with a space inside', 'Bearer eyJhbGciOiJIUzI1NiJ9 .eyJzdWIiOiJhIn0.c2ln'],
      ['an empty header', ''],
    ])('with error="invalid_request" for a malformed header: %s', async (_case, value) => {
      const res = await rawRequest(app, 'GET', '/verify', { Authorization: value });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(INVALID_REQUEST);
      expect(res.body).toBe('');
    });

    it('with error="invalid_request" for two Authorization headers, even if both are good', async () => {
      const res = await rawRequest(app, 'GET', '/verify', { Authorization: [`Bearer ${good}`, `Bearer ${good}`] });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(INVALID_REQUEST);
      expect(res.headers['x-auth-sub']).toBeUndefined();
      expect(res.body).toBe('');
    });

    it('with error="invalid_request" for two jwt parameters', async () => {
      expectRefused(await verify().set('X-Original-URI', `/p?jwt=${good}&jwt=${good}`), INVALID_REQUEST);
    });
  });

  describe('never answers anything but 401 to hostile input', () => {
    const utf8AsLatin1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
    const cases: [string, () => Promise<Record<string, string>>][] = [
      ['garbage bytes', async () => ({ Authorization: '!!!@@@###' })],
      ['a very long header (10,000 characters)', async () => ({ Authorization: `Bearer ${'a'.repeat(10_000)}` })],
      ['a very long valid-looking token', async () => ({ Authorization: `Bearer ${'a'.repeat(3000)}.${'b'.repeat(3000)}.${'c'.repeat(3000)}` })],
      ['UTF-8 bytes in the header', async () => ({ Authorization: utf8AsLatin1('Bearer tökén🙂.ünï.cødé') })],
      ['Latin-1 bytes in the header', async () => ({ Authorization: 'Bearer \u00ff\u00fe\u00fd' })],
      ['UTF-8 bytes in the original URI', async () => ({ 'X-Original-URI': utf8AsLatin1('/p?jwt=tökén🙂') })],
      ['a 10,000-character original URI', async () => ({ 'X-Original-URI': `/p?jwt=${'x'.repeat(10_000)}` })],
      ['only dots', async () => ({ Authorization: 'Bearer ..' })],
      ['five segments (a JWE)', async () => ({ Authorization: 'Bearer a.b.c.d.e' })],
      ['a header segment that is not JSON', async () => ({ Authorization: `Bearer ${rawSegments('not json', { sub: 'alice', ...valid })}` })],
      ['a header that is a JSON string', async () => ({ Authorization: `Bearer ${rawSegments('"HS256"', { sub: 'alice', ...valid })}` })],
      ['a payload segment that is not JSON', async () => ({ Authorization: `Bearer ${signRaw(HS256, '{"sub":')}` })],
      ['a payload that is an array', async () => ({ Authorization: `Bearer ${signed([{ sub: 'alice', ...valid }])}` })],
      ['a payload that is a number', async () => ({ Authorization: `Bearer ${signed(42)}` })],
      ['a payload that is null', async () => ({ Authorization: `Bearer ${signed(null)}` })],
      ['a sub with CR LF', async () => ({ Authorization: `Bearer ${signed({ sub: 'alice\r\nX-Auth-Roles: admin', ...valid })}` })],
      ['a sub with a NUL', async () => ({ Authorization: `Bearer ${signed({ sub: 'alice\u0000', ...valid })}` })],
      ['a non-ASCII sub', async () => ({ Authorization: `Bearer ${signed({ sub: 'アリス', ...valid })}` })],
      ['a role with LF', async () => ({ Authorization: `Bearer ${signed({ sub: 'alice', roles: ['user\nadmin'], ...valid })}` })],
      ['a role with a comma', async () => ({ Authorization: `Bearer ${signed({ sub: 'alice', roles: ['user,admin'], ...valid })}` })],
      ['roles that are not an array', async () => ({ Authorization: `Bearer ${signed({ sub: 'alice', roles: { admin: true }, ...valid })}` })],
      ['exp as a string', async () => ({ Authorization: `Bearer ${signed({ sub: 'alice', iss: 'tokengate', exp: 'never' })}` })],
      ['exp as NaN-like text', async () => ({ Authorization: `Bearer ${signRaw(HS256, '{"sub":"alice","iss":"tokengate","exp":NaN}')}` })],
      ['crit header parameters', async () => ({ Authorization: `Bearer ${signRaw({ ...HS256, crit: ['b64'], b64: false }, { sub: 'alice', ...valid })}` })],
      [
        'a token with a kid and jku',
        async () => ({
          Authorization: `Bearer ${signRaw({ ...HS256, alg: 'RS256', jku: 'http://127.0.0.1:9/jwks', kid: '../../etc/passwd' }, { sub: 'alice', ...valid })}`,
        }),
      ],
    ];

    it.each(cases)('%s', async (_case, headers) => {
      const res = await rawRequest(app, 'GET', '/verify', await headers());
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="tokengate"/);
      expect(res.headers['x-auth-sub']).toBeUndefined();
      expect(res.body).toBe('');
    });
  });
});

describe('GET /healthz', () => {
  it('answers 200 {"status":"ok"}', async () => {
    const res = await request(app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({ status: 'ok' });
  });
});

describe('an unknown path', () => {
  it.each(['/', '/nope', '/verify/extra', '/logout/x', '/authenticate', '/healthz/x'])('%s answers 404 JSON not_found', async (path) => {
    const res = await request(app).get(path);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.error).toBe('not_found');
  });
});
