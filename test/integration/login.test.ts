import { jwtVerify } from 'jose';
import request from 'supertest';
import { beforeEach, describe, expect, it } from 'vitest';
import { TEST_SECRET } from '../fixtures/config.js';
import { ALICE, NOW_MS, NOW_S, useLoginSigner } from '../fixtures/login-signer.js';
import { answer } from '../fixtures/upstream-stub.js';

const { stub: currentStub, signer, login } = useLoginSigner();

/** The JSON answer: the access token first (the OpenResty contract), then the refresh token. */
const TOKEN_ANSWER = { token: expect.any(String), token_type: 'Bearer', expires_in: 900, refresh_token: expect.any(String), refresh_expires_in: 604800 };

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

describe('POST /login', () => {
  describe('when the upstream accepts the credentials', () => {
    beforeEach(() => {
      currentStub().respond(answer(200, { sub: 'alice', name: 'Alice Liddell', roles: ['admin', 'user'] }));
    });

    it('answers 200 with a bearer token, its lifetime and Cache-Control no-store, for a JSON body', async () => {
      const res = await login(signer()).send(ALICE);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual(TOKEN_ANSWER);
    });

    it('answers the same for a form body', async () => {
      const res = await login(signer()).type('form').send('username=alice&password=wonderland');
      expect(res.status).toBe(200);
      expect(res.body).toEqual(TOKEN_ANSWER);
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it("signs the upstream's object plus iat, exp, jti, iss and the session id", async () => {
      const res = await login(signer()).send(ALICE);
      expect(await claimsOf(res.body.token as string)).toEqual({
        sub: 'alice',
        name: 'Alice Liddell',
        roles: ['admin', 'user'],
        iat: NOW_S,
        exp: NOW_S + 900,
        jti: expect.stringMatching(/^[A-Za-z0-9_-]{16,}$/),
        sid: expect.stringMatching(/^[A-Za-z0-9_-]{16,}$/),
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
      currentStub().respond(answer(200, { sub: 'alice', iat: 1, exp: 9_999_999_999, nbf: NOW_S + 3600, jti: 'fixed', iss: 'evil', aud: 'evil' }));
      const res = await login(signer()).send(ALICE);
      const claims = await claimsOf(res.body.token as string);
      expect(claims).toMatchObject({ sub: 'alice', iat: NOW_S, exp: NOW_S + 900, iss: 'tokengate' });
      expect(claims.jti).not.toBe('fixed');
      expect(claims).not.toHaveProperty('nbf');
      expect(claims).not.toHaveProperty('aud');
    });

    it('never turns roles smuggled under a __proto__ key into roles', async () => {
      currentStub().respond((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"sub":"alice","__proto__":{"roles":["admin"]}}');
      });
      const app = signer();
      const { body } = await login(app).send(ALICE);
      expect(await claimsOf(body.token as string)).not.toHaveProperty('roles');
      const res = await request(app)
        .get('/verify')
        .set('Authorization', `Bearer ${body.token as string}`);
      expect(res.headers['x-auth-roles']).toBe('');
    });

    it('issues a token that /verify then accepts with the same identity', async () => {
      const app = signer();
      const { body } = await login(app).send(ALICE);
      const res = await request(app)
        .get('/verify')
        .set('Authorization', `Bearer ${body.token as string}`);
      expect(res.status).toBe(204);
      expect(res.headers['x-auth-sub']).toBe('alice');
      expect(res.headers['x-auth-roles']).toBe('admin,user');
    });
  });

  describe('what reaches the upstream', () => {
    it('is exactly the two credentials as JSON, from a JSON body with extra fields', async () => {
      await login(signer()).send({ ...ALICE, sub: 'root', roles: ['admin'] });
      expect(currentStub().received).toHaveLength(1);
      const [req] = currentStub().received;
      expect(req?.method).toBe('POST');
      expect(req?.url).toBe('/authenticate');
      expect(req?.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(req?.body ?? '')).toEqual(ALICE);
    });

    it('is exactly the two credentials as JSON, from a form body', async () => {
      await login(signer()).type('form').send('username=alice&password=wonder%26land&extra=1');
      expect(currentStub().received).toHaveLength(1);
      expect(currentStub().received[0]?.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(currentStub().received[0]?.body ?? '')).toEqual({ username: 'alice', password: 'wonder&land' });
    });

    it('keeps a password with quotes, backslashes, tabs and non-ASCII byte for byte', async () => {
      const password = "pä\"ss\\wö\trd 🙂 'x'";
      await login(signer()).send({ username: 'alice', password });
      expect(JSON.parse(currentStub().received[0]?.body ?? '')).toEqual({ username: 'alice', password });
    });

    it("never carries the client's Authorization or Cookie headers", async () => {
      await login(signer()).set('Authorization', 'Bearer client-token').set('Cookie', 'session=abc').send(ALICE);
      expect(currentStub().received).toHaveLength(1);
      expect(currentStub().received[0]?.headers.authorization).toBeUndefined();
      expect(currentStub().received[0]?.headers.cookie).toBeUndefined();
    });

    it('carries the X-Request-Id of the login request', async () => {
      await login(signer()).set('X-Request-Id', 'req-7f3c').send(ALICE);
      expect(currentStub().received[0]?.headers['x-request-id']).toBe('req-7f3c');
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
      expect(currentStub().received).toHaveLength(0);
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
      expect(currentStub().received).toHaveLength(0);
    });

    it('accepts the longest allowed username and password', async () => {
      const res = await login(signer()).send({ username: 'a'.repeat(256), password: 'p'.repeat(1024) });
      expect(res.status).toBe(200);
      expect(currentStub().received).toHaveLength(1);
    });
  });

  describe('refuses a body it cannot read', () => {
    it.each(['gzip', 'deflate', 'br'])('answers 415 to a %s-encoded body instead of inflating it', async (encoding) => {
      const res = await login(signer()).set('Content-Type', 'application/json').set('Content-Encoding', encoding).send('not really compressed');
      expect(res.status).toBe(415);
      expect(res.body.error).toBe('unsupported_media_type');
      expect(currentStub().received).toHaveLength(0);
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
      expect(currentStub().received).toHaveLength(0);
    });

    it.each([
      ['a JSON body just over 16 KiB', 'application/json', JSON.stringify({ username: 'alice', password: 'p'.repeat(16 * 1024) })],
      ['a 1 MB JSON body', 'application/json', JSON.stringify({ username: 'alice', password: 'p'.repeat(1024 * 1024) })],
      ['a form body over 16 KiB', 'application/x-www-form-urlencoded', `username=alice&password=${'p'.repeat(17 * 1024)}`],
    ])('answers 413 payload_too_large to %s', async (_case, type, body) => {
      const res = await login(signer()).set('Content-Type', type).send(body);
      expect(res.status).toBe(413);
      expect(res.body.error).toBe('payload_too_large');
      expect(currentStub().received).toHaveLength(0);
    });

    it.each(['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/octet-stream'])(
      'answers 415 unsupported_media_type to %s',
      async (type) => {
        const res = await login(signer()).set('Content-Type', type).send('username=alice&password=wonderland');
        expect(res.status).toBe(415);
        expect(res.body.error).toBe('unsupported_media_type');
        expect(currentStub().received).toHaveLength(0);
      },
    );

    it.each(['application/json; charset=latin1', 'application/x-www-form-urlencoded; charset=koi8-r'])(
      'answers 415 to a body in a charset it does not read: %s',
      async (type) => {
        const res = await login(signer()).set('Content-Type', type).send('{}');
        expect(res.status).toBe(415);
        expect(res.body.error).toBe('unsupported_media_type');
        expect(currentStub().received).toHaveLength(0);
      },
    );
  });

  it.each(['put', 'delete', 'patch'] as const)('answers %s /login with 405 and Allow: GET, HEAD, POST', async (method) => {
    const res = await request(signer())[method]('/login');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD, POST');
    expect(res.body.error).toBe('method_not_allowed');
    expect(currentStub().received).toHaveLength(0);
  });

  it.each(['/LOGIN', '/Login', '/login/'])('treats %s as another path (404), as nginx `location = /login` does', async (path) => {
    const res = await request(signer()).post(path).send(ALICE);
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('not_found');
    expect(currentStub().received).toHaveLength(0);
  });
});
