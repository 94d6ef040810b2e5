import type { RequestListener } from 'node:http';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type AppDeps } from '../../src/app.js';
import { openKeys } from '../../src/signing-keys/open-keys.js';
import type { TokenKeys } from '../../src/signing-keys/token-keys.js';
import { discoveryDocument } from '../../src/routes/discovery.js';
import { MemoryStore } from '../../src/store/memory.js';
import { StoreUnavailableError } from '../../src/store/store.js';
import type { SigningKey } from '../../src/tokens/keys.js';
import { createTokenIssuer, type IssueOptions } from '../../src/tokens/sign.js';
import { clientClaims, clientKeyPair, clientToken, registryOf } from '../fixtures/client-keys.js';
import { testConfig } from '../fixtures/config.js';
import { signRaw } from '../fixtures/jws.js';
import { rawRequest } from '../fixtures/raw-request.js';
import { capturingLogger, secretSource, silentLogger, testKey } from '../fixtures/signer.js';
import { tamper, unsignedToken } from '../fixtures/tokens.js';

/** 2030-01-01T00:00:00Z: the signer's frozen clock. */
const NOW_MS = Date.UTC(2030, 0, 1);
const NOW_S = NOW_MS / 1000;
const TTL_S = 900;
const ORIGIN = 'https://gateway.example';

const billing = clientKeyPair('ES256');
const audit = clientKeyPair('EdDSA');
const stranger = clientKeyPair('ES256');
const REGISTRY = registryOf({ billing, audit });

let key: SigningKey;
beforeAll(async () => {
  key = await testKey();
});

function signer(env: Record<string, string> = {}, deps: Partial<AppDeps> = {}): RequestListener {
  return createApp(testConfig({ AUTHENTICATE_URL: 'http://127.0.0.1:9/authenticate', PUBLIC_ORIGIN: ORIGIN, ...env }), {
    logger: silentLogger(),
    key,
    now: () => NOW_MS,
    clients: () => REGISTRY,
    ...deps,
  });
}

/** A token as the signer issues it, at `atMs` (default: the frozen now). */
async function issue(
  claims: Record<string, unknown> = { sub: 'alice', roles: ['admin', 'user'] },
  options: IssueOptions & { atMs?: number } = {},
): Promise<string> {
  const at = options.atMs ?? NOW_MS;
  return (await createTokenIssuer({ keys: secretSource(key), issuer: 'tokengate', ttlSeconds: TTL_S, now: () => at })(claims, options)).token;
}

/** A fresh `Authorization` value for a registered client (a new nonce each time). */
const asClient = async (name = 'billing', pair = billing, time = NOW_S) => `JWT ${await clientToken(pair, clientClaims(name, time))}`;

/** `POST /introspect` with a form body, as a registered client unless `authorization` says otherwise. */
async function introspect(app: RequestListener, form: string, authorization?: string | null) {
  const req = request(app).post('/introspect').type('form');
  const auth = authorization === undefined ? await asClient() : authorization;
  if (auth !== null) req.set('Authorization', auth);
  return req.send(form);
}

const tokenForm = (token: string) => `token=${encodeURIComponent(token)}`;

describe('POST /introspect: who may ask', () => {
  it('answers a registered client, whatever its key type', async () => {
    const app = signer();
    const token = await issue();
    for (const [name, pair] of [
      ['billing', billing],
      ['audit', audit],
    ] as const) {
      const res = await introspect(app, tokenForm(token), await asClient(name, pair));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ active: true, sub: 'alice' });
    }
  });

  it.each<[string, () => Promise<string | null>, string]>([
    ['no Authorization at all', async () => null, 'JWT realm="tokengate"'],
    ["a user's own valid bearer token", async () => `Bearer ${await issue()}`, 'JWT realm="tokengate"'],
    ["a user's token without a scheme", async () => issue(), 'JWT realm="tokengate"'],
    [
      'Basic credentials (a scheme it does not take)',
      async () => `Basic ${Buffer.from('billing:secret').toString('base64')}`,
      'JWT realm="tokengate", error="invalid_request"',
    ],
    ['an empty JWT scheme', async () => 'JWT', 'JWT realm="tokengate", error="invalid_request"'],
    ['a client token signed by a key nobody registered', async () => asClient('billing', stranger), 'JWT realm="tokengate", error="invalid_token"'],
    ['a token from a client that does not exist', async () => asClient('nobody', stranger), 'JWT realm="tokengate", error="invalid_token"'],
    ['a client token outside its time window', async () => asClient('billing', billing, NOW_S - 3600), 'JWT realm="tokengate", error="invalid_token"'],
  ])('refuses a caller with %s: 401 invalid_client, a challenge, and never an "active"', async (_case, authorization, challenge) => {
    const res = await introspect(signer(), tokenForm(await issue()), await authorization());
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(challenge);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ error: 'invalid_client', message: expect.any(String) });
    expect(res.text).not.toContain('active');
  });

  it('refuses the same client header sent twice: the second is a replay', async () => {
    const app = signer();
    const header = await asClient();
    const token = await issue();
    expect((await introspect(app, tokenForm(token), header)).status).toBe(200);
    const replay = await introspect(app, tokenForm(token), header);
    expect(replay.status).toBe(401);
    expect(replay.body).toMatchObject({ error: 'invalid_client' });
  });

  it('refuses several Authorization headers', async () => {
    const headers = { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: [await asClient(), await asClient()] };
    const res = await rawRequest(signer(), 'POST', '/introspect', headers);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('JWT realm="tokengate", error="invalid_request"');
  });

  it('checks the caller before the form: no token and no caller is a 401', async () => {
    const res = await introspect(signer(), '', null);
    expect(res.status).toBe(401);
  });
});

describe('POST /introspect: bad input', () => {
  it.each<[string, number, string, (app: RequestListener, auth: string) => request.Test]>([
    ['a JSON body', 415, 'unsupported_media_type', (app, auth) => request(app).post('/introspect').set('Authorization', auth).send({ token: 'x' })],
    [
      'a text/plain body',
      415,
      'unsupported_media_type',
      (app, auth) => request(app).post('/introspect').set('Authorization', auth).type('text/plain').send('token=x'),
    ],
    ['no body and no Content-Type', 415, 'unsupported_media_type', (app, auth) => request(app).post('/introspect').set('Authorization', auth)],
    [
      'a compressed form',
      415,
      'unsupported_media_type',
      (app, auth) => request(app).post('/introspect').set('Authorization', auth).type('form').set('Content-Encoding', 'gzip').send('token=x'),
    ],
    [
      'a form over 16 KiB',
      413,
      'payload_too_large',
      (app, auth) =>
        request(app)
          .post('/introspect')
          .set('Authorization', auth)
          .type('form')
          .send(`token=${'a'.repeat(17 * 1024)}`),
    ],
    ['an empty form', 400, 'invalid_request', (app, auth) => request(app).post('/introspect').set('Authorization', auth).type('form').send('')],
    ['an empty token', 400, 'invalid_request', (app, auth) => request(app).post('/introspect').set('Authorization', auth).type('form').send('token=')],
    [
      'the token under another name',
      400,
      'invalid_request',
      (app, auth) => request(app).post('/introspect').set('Authorization', auth).type('form').send('access_token=x'),
    ],
    [
      'the token twice',
      400,
      'invalid_request',
      (app, auth) => request(app).post('/introspect').set('Authorization', auth).type('form').send('token=a.b.c&token=d.e.f'),
    ],
    [
      'the hint twice',
      400,
      'invalid_request',
      (app, auth) => request(app).post('/introspect').set('Authorization', auth).type('form').send('token=a.b.c&token_type_hint=a&token_type_hint=b'),
    ],
    [
      'more than 16 fields',
      400,
      'invalid_request',
      (app, auth) =>
        request(app)
          .post('/introspect')
          .set('Authorization', auth)
          .type('form')
          .send(Array.from({ length: 20 }, (_, i) => `f${i}=1`).join('&')),
    ],
  ])('answers %s with %i %s', async (_case, status, code, send) => {
    const res = await send(signer(), await asClient());
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ error: code, message: expect.any(String) });
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.text).not.toContain('active');
  });

  it.each(['get', 'put', 'delete'] as const)('answers %s with 405 and Allow: POST', async (method) => {
    const res = await request(signer())
      [method]('/introspect')
      .set('Authorization', await asClient());
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
  });
});

describe('POST /introspect: the answer', () => {
  it('gives an active token its claims, token_type Bearer, never cached', async () => {
    const token = await issue({ sub: 'alice', roles: ['admin', 'user'], name: 'Alice Liddell' }, { own: { sid: 'session-1' } });
    const res = await introspect(signer(), tokenForm(token));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      active: true,
      sub: 'alice',
      roles: ['admin', 'user'],
      name: 'Alice Liddell',
      sid: 'session-1',
      iat: NOW_S,
      exp: NOW_S + TTL_S,
      jti: expect.any(String),
      iss: 'tokengate',
      token_type: 'Bearer',
    });
  });

  it('keeps "active" and "token_type" its own, whatever claims the app put in the token', async () => {
    const res = await introspect(signer(), tokenForm(await issue({ sub: 'alice', active: false, token_type: 'refresh_token' })));
    expect(res.body).toMatchObject({ active: true, token_type: 'Bearer', sub: 'alice' });
  });

  it.each(['access_token', 'refresh_token', 'something_else'])('ignores token_type_hint=%s', async (hint) => {
    const res = await introspect(signer(), `${tokenForm(await issue())}&token_type_hint=${hint}`);
    expect(res.body).toMatchObject({ active: true });
  });

  it.each<[string, () => Promise<string>]>([
    ['an expired token', () => issue(undefined, { atMs: NOW_MS - (TTL_S + 31) * 1000 })],
    ['a token issued in the future', () => issue(undefined, { atMs: NOW_MS + 120_000 })],
    ['a refresh token', () => issue({ sub: 'alice' }, { kind: 'refresh', own: { sid: 'session-2' } })],
    [
      'a token signed with another secret',
      () =>
        Promise.resolve(signRaw({ alg: 'HS256', typ: 'at+jwt' }, { sub: 'alice', iss: 'tokengate', exp: NOW_S + 60 }, 'another-secret-0123456789abcdefghij')),
    ],
    ['a token with alg none', () => Promise.resolve(unsignedToken({ sub: 'alice', iss: 'tokengate', exp: NOW_S + 60 }))],
    ['a token whose payload was altered', async () => tamper(await issue())],
    ['a token from another issuer', () => Promise.resolve(signRaw({ alg: 'HS256', typ: 'at+jwt' }, { sub: 'alice', iss: 'elsewhere', exp: NOW_S + 60 }))],
    [
      'a token whose sub holds a newline',
      () => Promise.resolve(signRaw({ alg: 'HS256', typ: 'at+jwt' }, { sub: 'alice\nX-Auth-Roles: admin', iss: 'tokengate', exp: NOW_S + 60 })),
    ],
    ["a registered client's own token", async () => clientToken(billing, clientClaims('billing', NOW_S))],
    ['a string that is no token', () => Promise.resolve('not a token')],
    ['a token over 4096 characters', async () => `${await issue()}${'A'.repeat(4097)}`],
  ])('answers %s with {"active": false} and nothing else', async (_case, token) => {
    const res = await introspect(signer(), tokenForm(await token()));
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ active: false });
  });

  it('answers inactive once the token is signed out, and once its session or user is revoked', async () => {
    const store = new MemoryStore(() => NOW_S);
    const app = signer({}, { store });
    const [loggedOut, ofSession, ofUser] = await Promise.all([issue(), issue({ sub: 'bob' }, { own: { sid: 'session-3' } }), issue({ sub: 'carol' })]);
    for (const token of [loggedOut, ofSession, ofUser]) expect((await introspect(app, tokenForm(token))).body).toMatchObject({ active: true });
    await request(app).post('/logout').set('Authorization', `Bearer ${loggedOut}`).expect(204);
    await store.revokeSession('session-3', NOW_S + TTL_S);
    await store.revokeSubject('carol', NOW_S, NOW_S + TTL_S + 30, NOW_S + TTL_S + 30);
    for (const token of [loggedOut, ofSession, ofUser]) expect((await introspect(app, tokenForm(token))).body).toEqual({ active: false });
  });

  it('answers a token whose CLAIM_HEADERS claim cannot be a header as inactive, as /verify refuses it', async () => {
    const app = signer({ CLAIM_HEADERS: 'email:X-Auth-Email' });
    const token = await issue({ sub: 'alice', email: 'alice@exämple.org' });
    await request(app).get('/verify').set('Authorization', `Bearer ${token}`).expect(401);
    expect((await introspect(app, tokenForm(token))).body).toEqual({ active: false });
  });

  it('answers 503 store_unavailable, never a verdict, when the revocations cannot be read', async () => {
    const store = Object.assign(new MemoryStore(() => NOW_S), { isRevoked: () => Promise.reject(new StoreUnavailableError('redis is down')) });
    const res = await introspect(signer({}, { store }), tokenForm(await issue()));
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ error: 'store_unavailable' });
    expect(res.headers['retry-after']).toBe('1');
  });

  it('counts each request by outcome', async () => {
    const app = signer();
    await introspect(app, tokenForm(await issue()));
    await introspect(app, tokenForm('x.y.z'));
    await introspect(app, tokenForm('x.y.z'), null);
    await introspect(app, 'token=a&token=b');
    const text = (await request(app).get('/metrics')).text;
    const count = (outcome: string) => Number(new RegExp(`^tokengate_introspect_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
    expect({
      active: count('active'),
      inactive: count('inactive'),
      unauthorized: count('unauthorized'),
      bad_request: count('bad_request'),
      error: count('error'),
    }).toEqual({
      active: 1,
      inactive: 1,
      unauthorized: 1,
      bad_request: 1,
      error: 0,
    });
  });

  it("never logs the token it was asked about, nor the caller's token, even at trace", async () => {
    const { logger, lines } = capturingLogger();
    const app = signer({}, { logger });
    const token = await issue();
    const caller = await asClient();
    await introspect(app, tokenForm(token), caller);
    await introspect(app, tokenForm(`${token}x`), caller);
    const log = lines.join('');
    expect(log).toContain('introspected');
    for (const secret of [token, token.split('.')[2]!, caller.slice(4), caller.split('.')[2]!]) expect(log).not.toContain(secret);
  });
});

describe('GET /.well-known/openid-configuration', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'tokengate-discovery-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('describes the issuer under the HS256 secret: no algorithm a verifier could check, as the JWKS is empty', async () => {
    const app = signer();
    const res = await request(app).get('/.well-known/openid-configuration').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      issuer: 'tokengate',
      jwks_uri: `${ORIGIN}/.well-known/jwks.json`,
      response_types_supported: [],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [],
      introspection_endpoint: `${ORIGIN}/introspect`,
      introspection_endpoint_auth_methods_supported: ['tokengate_client_jwt'],
      introspection_endpoint_auth_signing_alg_values_supported: ['RS256', 'ES256', 'EdDSA'],
    });
    expect((await request(app).get('/.well-known/jwks.json')).body).toEqual({ keys: [] });
  });

  it('is cacheable as the JWKS is, with an ETag that answers 304', async () => {
    const app = signer({ JWKS_MAX_AGE_S: '120' });
    const first = await request(app).get('/.well-known/openid-configuration').expect(200);
    expect(first.headers['cache-control']).toBe('public, max-age=120');
    const again = await request(app).get('/.well-known/openid-configuration').set('If-None-Match', first.headers.etag!);
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
  });

  it("lives at ISSUER + /.well-known/openid-configuration when ISSUER is the gateway's origin, as OpenID Connect Discovery expects", async () => {
    const app = signer({ ISSUER: ORIGIN });
    const doc = (await request(app).get('/.well-known/openid-configuration').expect(200)).body as { issuer: string };
    expect(doc.issuer).toBe(ORIGIN);
    expect(new URL('/.well-known/openid-configuration', doc.issuer).href).toBe(`${ORIGIN}/.well-known/openid-configuration`);
  });

  it('lists the algorithms of the keys the JWKS publishes, and a verifier set up from both accepts a token the gateway signed', async () => {
    const { keys } = await openKeys({ dir: join(root, 'es256'), alg: 'ES256', secretKey: key, generate: true });
    const app = signer({ JWT_ALG: 'ES256', ISSUER: ORIGIN }, { keys: () => keys });
    const doc = (await request(app).get('/.well-known/openid-configuration').expect(200)).body as {
      issuer: string;
      id_token_signing_alg_values_supported: string[];
    };
    const jwks = (await request(app).get('/.well-known/jwks.json').expect(200)).body as JSONWebKeySet;
    expect(doc.id_token_signing_alg_values_supported).toEqual(['ES256']);
    expect(doc.id_token_signing_alg_values_supported).toEqual([...new Set(jwks.keys.map((k) => k.alg))].sort());
    const token = (await createTokenIssuer({ keys: () => keys, issuer: ORIGIN, ttlSeconds: TTL_S })({ sub: 'alice' })).token;
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: doc.issuer, algorithms: doc.id_token_signing_alg_values_supported });
    expect(payload.sub).toBe('alice');
  });

  it('follows the keys: each algorithm once, sorted, whatever the ring holds', () => {
    const keys = { publicJwks: () => [{ alg: 'RS256' }, { alg: 'ES256' }, { alg: 'RS256' }, { kty: 'OKP' }] } as unknown as TokenKeys;
    expect(discoveryDocument({ issuer: 'tokengate', origin: ORIGIN }, keys).id_token_signing_alg_values_supported).toEqual(['ES256', 'RS256']);
  });
});
