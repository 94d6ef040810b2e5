import type { Express } from 'express';
import { jwtVerify } from 'jose';
import request from 'supertest';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type AppDeps } from '../../src/app.js';
import type { SigningKey } from '../../src/tokens/keys.js';
import { TEST_SECRET, testConfig } from '../fixtures/config.js';
import { silentLogger, testKey } from '../fixtures/signer.js';
import { answer, startStubUpstream, unusedUrl, type StubHandler, type StubUpstream } from '../fixtures/upstream-stub.js';

/** 2030-01-01T00:00:00Z: the signer's frozen clock. */
const NOW_MS = Date.UTC(2030, 0, 1);
const NOW_S = NOW_MS / 1000;
const ALICE = { username: 'alice', password: 'wonderland' };

let key: SigningKey;
let stub: StubUpstream;
beforeAll(async () => {
  key = await testKey();
});
beforeEach(async () => {
  stub = await startStubUpstream();
});
afterEach(async () => {
  await stub.close();
});

function signer(env: Record<string, string> = {}, deps: Partial<AppDeps> = {}): Express {
  return createApp(testConfig({ AUTHENTICATE_URL: stub.url, ...env }), { logger: silentLogger(), key, now: () => NOW_MS, ...deps });
}

/** Verifies with jose directly and the raw secret, independently of the signer's own verifier. */
async function claimsOf(token: string, audience?: string) {
  const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(TEST_SECRET), {
    algorithms: ['HS256'],
    currentDate: new Date(NOW_MS),
    ...(audience ? { audience } : {}),
  });
  expect(protectedHeader.alg).toBe('HS256');
  return payload;
}

const login = (app: Express) => request(app).post('/login');

describe('POST /login', () => {
  describe('when the upstream accepts the credentials', () => {
    beforeEach(() => {
      stub.respond(answer(200, { sub: 'alice', name: 'Alice Liddell', roles: ['admin', 'user'] }));
    });

    it('answers 200 with a bearer token, its lifetime and Cache-Control no-store, for a JSON body', async () => {
      const res = await login(signer()).send(ALICE);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({ token: expect.any(String), token_type: 'Bearer', expires_in: 900 });
    });

    it('answers the same for a form body', async () => {
      const res = await login(signer()).type('form').send('username=alice&password=wonderland');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ token: expect.any(String), token_type: 'Bearer', expires_in: 900 });
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it("signs the upstream's object plus iat, exp, jti and iss", async () => {
      const res = await login(signer()).send(ALICE);
      expect(await claimsOf(res.body.token as string)).toEqual({
        sub: 'alice',
        name: 'Alice Liddell',
        roles: ['admin', 'user'],
        iat: NOW_S,
        exp: NOW_S + 900,
        jti: expect.stringMatching(/^[A-Za-z0-9_-]{16,}$/),
        iss: 'tokengate',
      });
    });

    it('uses TOKEN_TTL_S, ISSUER and AUDIENCE from the configuration', async () => {
      const res = await login(signer({ TOKEN_TTL_S: '60', ISSUER: 'gw.example', AUDIENCE: 'demo-app' })).send(ALICE);
      expect(res.body.expires_in).toBe(60);
      expect(await claimsOf(res.body.token as string, 'demo-app')).toMatchObject({ iat: NOW_S, exp: NOW_S + 60, iss: 'gw.example', aud: 'demo-app' });
    });

    it('gives each login its own jti', async () => {
      const app = signer();
      const a = await login(app).send(ALICE);
      const b = await login(app).send(ALICE);
      expect((await claimsOf(a.body.token as string)).jti).not.toBe((await claimsOf(b.body.token as string)).jti);
    });

    it('ignores the upstream values for iat, exp, nbf, jti, iss and aud', async () => {
      stub.respond(answer(200, { sub: 'alice', iat: 1, exp: 9_999_999_999, nbf: NOW_S + 3600, jti: 'fixed', iss: 'evil', aud: 'evil' }));
      const res = await login(signer()).send(ALICE);
      const claims = await claimsOf(res.body.token as string);
      expect(claims).toMatchObject({ sub: 'alice', iat: NOW_S, exp: NOW_S + 900, iss: 'tokengate' });
      expect(claims.jti).not.toBe('fixed');
      expect(claims).not.toHaveProperty('nbf');
      expect(claims).not.toHaveProperty('aud');
    });

    it('never turns roles smuggled under a __proto__ key into roles', async () => {
      stub.respond((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"sub":"alice","__proto__":{"roles":["admin"]}}');
      });
      const app = signer();
      const { body } = await login(app).send(ALICE);
      expect(await claimsOf(body.token as string)).not.toHaveProperty('roles');
      const res = await request(app).get('/verify').set('Authorization', `Bearer ${body.token as string}`);
      expect(res.headers['x-auth-roles']).toBe('');
    });

    it('issues a token that /verify then accepts with the same identity', async () => {
      const app = signer();
      const { body } = await login(app).send(ALICE);
      const res = await request(app).get('/verify').set('Authorization', `Bearer ${body.token as string}`);
      expect(res.status).toBe(204);
      expect(res.headers['x-auth-sub']).toBe('alice');
      expect(res.headers['x-auth-roles']).toBe('admin,user');
    });
  });

  describe('what reaches the upstream', () => {
    it('is exactly the two credentials as JSON, from a JSON body with extra fields', async () => {
      await login(signer()).send({ ...ALICE, sub: 'root', roles: ['admin'] });
      expect(stub.received).toHaveLength(1);
      const [req] = stub.received;
      expect(req?.method).toBe('POST');
      expect(req?.url).toBe('/authenticate');
      expect(req?.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(req?.body ?? '')).toEqual(ALICE);
    });

    it('is exactly the two credentials as JSON, from a form body', async () => {
      await login(signer()).type('form').send('username=alice&password=wonder%26land&extra=1');
      expect(stub.received).toHaveLength(1);
      expect(stub.received[0]?.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(stub.received[0]?.body ?? '')).toEqual({ username: 'alice', password: 'wonder&land' });
    });

    it('keeps a password with quotes, backslashes, tabs and non-ASCII byte for byte', async () => {
      const password = 'pä"ss\\wö\trd 🙂 \'x\'';
      await login(signer()).send({ username: 'alice', password });
      expect(JSON.parse(stub.received[0]?.body ?? '')).toEqual({ username: 'alice', password });
    });

    it("never carries the client's Authorization or Cookie headers", async () => {
      await login(signer()).set('Authorization', 'Bearer client-token').set('Cookie', 'session=abc').send(ALICE);
      expect(stub.received).toHaveLength(1);
      expect(stub.received[0]?.headers.authorization).toBeUndefined();
      expect(stub.received[0]?.headers.cookie).toBeUndefined();
    });

    it('carries the X-Request-Id of the login request', async () => {
      await login(signer()).set('X-Request-Id', 'req-7f3c').send(ALICE);
      expect(stub.received[0]?.headers['x-request-id']).toBe('req-7f3c');
    });
  });

  describe('refuses bad credentials input with 400 before calling the upstream', () => {
    it.each<[string, unknown]>([
      ['no username', { password: 'wonderland' }],
      ['no password', { username: 'alice' }],
      ['an empty username', { username: '', password: 'wonderland' }],
      ['an empty password', { username: 'alice', password: '' }],
      ['a numeric username', { username: 42, password: 'wonderland' }],
      ['a boolean password', { username: 'alice', password: true }],
      ['a null password', { username: 'alice', password: null }],
      ['an object as username', { username: { $ne: '' }, password: 'wonderland' }],
      ['an array as password', { username: 'alice', password: ['a', 'b'] }],
      ['a 257-character username', { username: 'a'.repeat(257), password: 'wonderland' }],
      ['a 1025-character password', { username: 'alice', password: 'p'.repeat(1025) }],
      ['a newline in the username', { username: 'alice\nadmin', password: 'wonderland' }],
      ['a CR in the username', { username: 'alice\r', password: 'wonderland' }],
      ['a NUL in the username', { username: 'alice\u0000', password: 'wonderland' }],
      ['a DEL in the username', { username: 'alice\u007f', password: 'wonderland' }],
      ['an empty object', {}],
      ['a JSON array body', [ALICE]],
    ])('JSON with %s', async (_case, body) => {
      const res = await login(signer()).set('Content-Type', 'application/json').send(JSON.stringify(body));
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      expect(stub.received).toHaveLength(0);
    });

    it.each([
      ['no password', 'username=alice'],
      ['an empty username', 'username=&password=wonderland'],
      ['a repeated username (an array)', 'username=alice&username=bob&password=wonderland'],
      ['a repeated password (an array)', 'username=alice&password=a&password=b'],
      ['bracket syntax', 'username[]=alice&password=wonderland'],
      ['a control character in the username', 'username=alice%0Aadmin&password=wonderland'],
      ['more than 16 fields', `username=alice&password=wonderland&${Array.from({ length: 15 }, (_, i) => `f${i}=x`).join('&')}`],
      ['an empty body', ''],
    ])('a form with %s', async (_case, body) => {
      const res = await login(signer()).type('form').send(body);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      expect(stub.received).toHaveLength(0);
    });

    it('accepts the longest allowed username and password', async () => {
      const res = await login(signer()).send({ username: 'a'.repeat(256), password: 'p'.repeat(1024) });
      expect(res.status).toBe(200);
      expect(stub.received).toHaveLength(1);
    });
  });

  describe('refuses a body it cannot read', () => {
    it.each(['gzip', 'deflate', 'br'])('answers 415 to a %s-encoded body instead of inflating it', async (encoding) => {
      const res = await login(signer()).set('Content-Type', 'application/json').set('Content-Encoding', encoding).send('not really compressed');
      expect(res.status).toBe(415);
      expect(res.body.error).toBe('unsupported_media_type');
      expect(stub.received).toHaveLength(0);
    });

    it.each([
      ['a truncated object', '{"username":"alice","password":'],
      ['single quotes', "{'username':'alice'}"],
      ['a bare string', '"alice"'],
      ['plain words', 'username=alice'],
    ])('answers 400 invalid_json to malformed JSON: %s', async (_case, body) => {
      const res = await login(signer()).set('Content-Type', 'application/json').send(body);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_json');
      expect(stub.received).toHaveLength(0);
    });

    it.each([
      ['a JSON body just over 16 KiB', 'application/json', JSON.stringify({ username: 'alice', password: 'p'.repeat(16 * 1024) })],
      ['a 1 MB JSON body', 'application/json', JSON.stringify({ username: 'alice', password: 'p'.repeat(1024 * 1024) })],
      ['a form body over 16 KiB', 'application/x-www-form-urlencoded', `username=alice&password=${'p'.repeat(17 * 1024)}`],
    ])('answers 413 payload_too_large to %s', async (_case, type, body) => {
      const res = await login(signer()).set('Content-Type', type).send(body);
      expect(res.status).toBe(413);
      expect(res.body.error).toBe('payload_too_large');
      expect(stub.received).toHaveLength(0);
    });

    it.each(['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/octet-stream'])(
      'answers 415 unsupported_media_type to %s',
      async (type) => {
        const res = await login(signer()).set('Content-Type', type).send('username=alice&password=wonderland');
        expect(res.status).toBe(415);
        expect(res.body.error).toBe('unsupported_media_type');
        expect(stub.received).toHaveLength(0);
      },
    );

    it.each(['application/json; charset=latin1', 'application/x-www-form-urlencoded; charset=koi8-r'])('answers 415 to a body in a charset it does not read: %s', async (type) => {
      const res = await login(signer()).set('Content-Type', type).send('{}');
      expect(res.status).toBe(415);
      expect(res.body.error).toBe('unsupported_media_type');
      expect(stub.received).toHaveLength(0);
    });
  });

  it.each(['get', 'put', 'delete', 'patch'] as const)('answers %s /login with 405 and Allow: POST', async (method) => {
    const res = await request(signer())[method]('/login');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
    expect(res.body.error).toBe('method_not_allowed');
    expect(stub.received).toHaveLength(0);
  });

  it.each(['/LOGIN', '/Login', '/login/'])('treats %s as another path (404), as nginx `location = /login` does', async (path) => {
    const res = await request(signer()).post(path).send(ALICE);
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('not_found');
    expect(stub.received).toHaveLength(0);
  });

  describe('when the upstream refuses', () => {
    it.each<[number, string, string, Record<string, string>]>([
      [401, 'application/json', '{"error":"invalid_credentials"}', {}],
      [403, 'application/json', '{"error":"account_locked","until":"tomorrow"}', {}],
      [429, 'application/json', '{"error":"slow_down"}', { 'retry-after': '30' }],
      [500, 'text/plain; charset=utf-8', 'the user database is down', {}],
      [503, 'text/plain; charset=iso-8859-1', 'maintenance', {}],
    ])('passes %i back with the same body, the same Content-Type, and no token', async (status, type, body, headers) => {
      stub.respond((_req, res) => {
        res.writeHead(status, { 'content-type': type, ...headers });
        res.end(body);
      });
      const res = await login(signer()).send(ALICE);
      expect(res.status).toBe(status);
      expect(res.text).toBe(body);
      expect(res.headers['content-type']).toBe(type);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.text).not.toMatch(/eyJ/);
    });

    it('keeps Retry-After on a 429', async () => {
      stub.respond(answer(429, { error: 'slow_down' }, { 'retry-after': '120' }));
      const res = await login(signer()).send(ALICE);
      expect(res.status).toBe(429);
      expect(res.headers['retry-after']).toBe('120');
    });
  });

  describe('when the upstream answers 2xx with something that is not a usable JSON object', () => {
    const html = (status: number, body: string): StubHandler => (_req, res) => {
      res.writeHead(status, { 'content-type': 'text/html' });
      res.end(body);
    };
    const raw = (status: number, body: string): StubHandler => (_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    };
    it.each<[string, StubHandler]>([
      ['an HTML page', html(200, '<!doctype html><html><body>Welcome alice</body></html>')],
      ['an empty array', raw(200, '[]')],
      ['an array holding the object', raw(200, '[{"sub":"alice"}]')],
      ['null', raw(200, 'null')],
      ['a JSON string', raw(200, '"alice"')],
      ['a JSON number', raw(200, '42')],
      ['true', raw(200, 'true')],
      ['invalid JSON', raw(200, '{"sub": "alice",')],
      ['an empty 200 body', raw(200, '')],
      ['a 204 without a body', (_req, res) => res.writeHead(204).end()],
      ['an object without sub', raw(200, '{"name":"Alice","roles":["user"]}')],
      ['a numeric sub', raw(200, '{"sub":42}')],
      ['a sub with CR LF', raw(200, JSON.stringify({ sub: 'alice\r\nX-Auth-Roles: admin' }))],
      ['a sub with a NUL', raw(200, JSON.stringify({ sub: 'alice\u0000' }))],
      ['a non-ASCII sub', raw(200, JSON.stringify({ sub: 'alïce' }))],
      ['roles as a string', raw(200, JSON.stringify({ sub: 'alice', roles: 'admin' }))],
      ['a role with a comma', raw(200, JSON.stringify({ sub: 'alice', roles: ['user,admin'] }))],
      ['a body over 16 KiB', raw(200, JSON.stringify({ sub: 'alice', pad: 'x'.repeat(17 * 1024) }))],
      ['claims too big for a token', raw(200, JSON.stringify({ sub: 'alice', pad: 'x'.repeat(8 * 1024) }))],
      ['a 201 with HTML', html(201, '<p>created</p>')],
    ])('answers 502 bad_upstream_response to %s', async (_case, handler) => {
      stub.respond(handler);
      const res = await login(signer()).send(ALICE);
      expect(res.status).toBe(502);
      expect(res.body.error).toBe('bad_upstream_response');
      expect(res.body).not.toHaveProperty('token');
    });
  });

  describe('when the upstream misbehaves', () => {
    it('answers 502 bad_upstream_response to a redirect, without following it', async () => {
      stub.respond((_req, res) => res.writeHead(302, { location: `${stub.url}?followed=1` }).end());
      const res = await login(signer()).send(ALICE);
      expect(res.status).toBe(502);
      expect(res.body.error).toBe('bad_upstream_response');
      expect(stub.received).toHaveLength(1);
    });

    it('answers 502 bad_upstream_response to a refusal whose body is over 16 KiB', async () => {
      stub.respond(answer(401, { error: 'invalid_credentials', pad: 'x'.repeat(17 * 1024) }));
      const res = await login(signer()).send(ALICE);
      expect(res.status).toBe(502);
      expect(res.body.error).toBe('bad_upstream_response');
    });

    it('answers 502 upstream_unavailable when nothing listens at AUTHENTICATE_URL', async () => {
      const res = await login(signer({ AUTHENTICATE_URL: await unusedUrl() })).send(ALICE);
      expect(res.status).toBe(502);
      expect(res.body.error).toBe('upstream_unavailable');
    });

    it('answers 502 upstream_unavailable when the upstream drops the connection', async () => {
      stub.respond((req) => req.socket.destroy());
      const res = await login(signer()).send(ALICE);
      expect(res.status).toBe(502);
      expect(res.body.error).toBe('upstream_unavailable');
    });

    it('answers 502 upstream_unavailable when the upstream drops the connection in the middle of the body', async () => {
      stub.respond((req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"sub":"al', () => req.socket.destroy());
      });
      const res = await login(signer()).send(ALICE);
      expect(res.status).toBe(502);
      expect(res.body.error).toBe('upstream_unavailable');
    });

    it('answers 504 upstream_timeout when the upstream sends no headers within AUTHENTICATE_TIMEOUT_MS', async () => {
      stub.respond(() => undefined);
      const res = await login(signer({ AUTHENTICATE_TIMEOUT_MS: '200' })).send(ALICE);
      expect(res.status).toBe(504);
      expect(res.body.error).toBe('upstream_timeout');
      expect(res.body).not.toHaveProperty('token');
    });

    it('answers 504 upstream_timeout when the upstream stalls in the middle of the body', async () => {
      stub.respond((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"sub":"alice",');
      });
      const res = await login(signer({ AUTHENTICATE_TIMEOUT_MS: '200' })).send(ALICE);
      expect(res.status).toBe(504);
      expect(res.body.error).toBe('upstream_timeout');
      expect(res.body).not.toHaveProperty('token');
    });
  });
});
