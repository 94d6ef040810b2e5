import { createHmac } from 'node:crypto';
import type { RequestListener } from 'node:http';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import type { ClientRegistry } from '../../src/service-clients/registry.js';
import { createClientVerifier } from '../../src/service-clients/verify-client.js';
import { MemoryStore } from '../../src/store/memory.js';
import { StoreUnavailableError, type Store } from '../../src/store/store.js';
import type { SigningKey } from '../../src/tokens/keys.js';
import { createTokenIssuer } from '../../src/tokens/sign.js';
import { clientClaims, clientKeyPair, clientToken, registryOf, testNonce } from '../fixtures/client-keys.js';
import { testConfig, TEST_SECRET } from '../fixtures/config.js';
import { secretSource, silentLogger, testKey } from '../fixtures/signer.js';

/** 2030-01-01T00:00:00Z: the signer's frozen clock. */
const NOW_MS = Date.UTC(2030, 0, 1);
const NOW_S = NOW_MS / 1000;
const WINDOW_S = 20;
const CHALLENGE = 'JWT realm="tokengate", error="invalid_token"';

const billing = clientKeyPair('RS256');
const reports = clientKeyPair('ES256');
const audit = clientKeyPair('EdDSA');
const stranger = clientKeyPair('RS256');
const REGISTRY = registryOf({ billing, reports, audit });

let key: SigningKey;
beforeAll(async () => {
  key = await testKey();
});

function signer(opts: { store?: Store; clients?: () => ClientRegistry; nowMs?: () => number } = {}): RequestListener {
  return createApp(testConfig({ AUTHENTICATE_URL: 'http://127.0.0.1:9/authenticate' }), {
    logger: silentLogger(),
    key,
    now: opts.nowMs ?? (() => NOW_MS),
    clients: opts.clients ?? (() => REGISTRY),
    ...(opts.store ? { store: opts.store } : {}),
  });
}

const verify = (app: RequestListener, authorization: string) => request(app).get('/verify').set('Authorization', authorization);
const claimsHeader = (value: string) => JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as unknown;

/** An HS256 JWS over any header and payload, keyed with any text: the confusion attacks. */
function hmacToken(header: object, payload: object, secret: string): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** A gateway access token for `claims`, as /login issues it. */
const userToken = async (claims: Record<string, unknown>) =>
  (await createTokenIssuer({ keys: secretSource(key), issuer: 'tokengate', ttlSeconds: 900, now: () => NOW_MS })(claims)).token;

function expectRefused(res: request.Response): void {
  expect(res.status).toBe(401);
  expect(res.headers['www-authenticate']).toBe(CHALLENGE);
  expect(res.text).toBe('');
  expect(res.headers['x-auth-sub']).toBeUndefined();
  expect(res.headers['x-auth-kind']).toBeUndefined();
}

describe('a client-signed token (Authorization: JWT)', () => {
  it.each([
    ['billing', billing],
    ['reports', reports],
    ['audit', audit],
  ])('lets %s in with its %s key: X-Auth-Sub is the client, X-Auth-Kind client, no roles', async (name, pair) => {
    const res = await verify(signer(), `JWT ${await clientToken(pair, clientClaims(name, NOW_S))}`);
    expect(res.status).toBe(204);
    expect(res.headers['x-auth-sub']).toBe(name);
    expect(res.headers['x-auth-kind']).toBe('client');
    expect(res.headers['x-auth-roles']).toBe('');
    expect(claimsHeader(res.headers['x-auth-claims'] as string)).toEqual({ sub: name });
  });

  it('accepts the standard claim names, iat and jti', async () => {
    const res = await verify(signer(), `JWT ${await clientToken(reports, { username: 'reports', iat: NOW_S, jti: testNonce() })}`);
    expect(res.status).toBe(204);
  });

  it("accepts a token as seeds/004's library signs it with RS256: time.time() and random.random() as numbers", async () => {
    const app = signer();
    const header = `JWT ${await clientToken(billing, { username: 'billing', time: NOW_S - 0.375, nonce: 0.8444218515250481 })}`;
    expect((await verify(app, header)).status).toBe(204);
    // The same number again is the same nonce, whichever way it is written.
    expectRefused(await verify(app, `JWT ${await clientToken(billing, { username: 'billing', time: NOW_S, nonce: '0.8444218515250481' })}`));
  });

  it('tells the app that a user is a user: X-Auth-Kind user', async () => {
    const res = await verify(signer(), `Bearer ${await userToken({ sub: 'alice', roles: ['admin'] })}`);
    expect(res.status).toBe(204);
    expect(res.headers['x-auth-kind']).toBe('user');
  });

  it.each([
    ['at the far edge in the past', -WINDOW_S, 204],
    ['at the far edge in the future', WINDOW_S, 204],
    ['a second too old', -WINDOW_S - 1, 401],
    ['a second too far ahead', WINDOW_S + 1, 401],
    ['an hour old', -3600, 401],
  ])('takes the time window as ±CLIENT_TOKEN_WINDOW_S: %s', async (_case, offsetS, status) => {
    const res = await verify(signer(), `JWT ${await clientToken(billing, clientClaims('billing', NOW_S + offsetS))}`);
    expect(res.status).toBe(status);
  });

  it('stops accepting a client removed from the registry (reloaded), at once', async () => {
    let registry = REGISTRY;
    const app = signer({ clients: () => registry });
    expect((await verify(app, `JWT ${await clientToken(audit, clientClaims('audit', NOW_S))}`)).status).toBe(204);
    registry = registryOf({ billing });
    expectRefused(await verify(app, `JWT ${await clientToken(audit, clientClaims('audit', NOW_S))}`));
  });
});

describe('a replayed client token', () => {
  it('passes once; the same header again is refused, and counted as replayed', async () => {
    const app = signer();
    const header = `JWT ${await clientToken(billing, clientClaims('billing', NOW_S))}`;
    expect((await verify(app, header)).status).toBe(204);
    expectRefused(await verify(app, header));
    expect((await request(app).get('/metrics')).text).toContain('tokengate_verify_total{outcome="replayed"} 1');
  });

  it('refuses a fresh token that reuses a nonce within the window', async () => {
    const app = signer();
    const nonce = testNonce();
    expect((await verify(app, `JWT ${await clientToken(billing, clientClaims('billing', NOW_S - 10, nonce))}`)).status).toBe(204);
    expectRefused(await verify(app, `JWT ${await clientToken(billing, clientClaims('billing', NOW_S + 10, nonce))}`));
  });

  it('lets another client use the same nonce', async () => {
    const app = signer();
    const nonce = testNonce();
    expect((await verify(app, `JWT ${await clientToken(billing, clientClaims('billing', NOW_S, nonce))}`)).status).toBe(204);
    expect((await verify(app, `JWT ${await clientToken(reports, clientClaims('reports', NOW_S, nonce))}`)).status).toBe(204);
  });

  it('lets exactly one of 20 parallel requests with the same token through', async () => {
    const app = signer();
    const header = `JWT ${await clientToken(audit, clientClaims('audit', NOW_S))}`;
    const statuses = (await Promise.all(Array.from({ length: 20 }, () => verify(app, header)))).map((r) => r.status);
    expect(statuses.filter((s) => s === 204)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(19);
  });

  it('answers 503 store_unavailable when the nonce cannot be recorded, as every store outage', async () => {
    const memory = new MemoryStore(() => NOW_S);
    const store: Store = Object.assign(Object.create(memory) as Store, { claimNonce: () => Promise.reject(new StoreUnavailableError('down')) });
    const res = await verify(signer({ store }), `JWT ${await clientToken(billing, clientClaims('billing', NOW_S))}`);
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ error: 'store_unavailable' });
    await memory.close();
  });
});

/** Every way a JWT-scheme token is refused, with the reason the verifier gives (logs and metrics only). */
const REFUSALS: [string, () => Promise<string>, string][] = [
  ['an unknown client', () => clientToken(stranger, clientClaims('stranger', NOW_S)), 'unknown_client'],
  ['a known client, signed with another key', () => clientToken(stranger, clientClaims('billing', NOW_S)), 'bad_signature'],
  [
    'a known client, with an algorithm its key does not have (ES256 key, RS256 token)',
    () => clientToken(stranger, clientClaims('reports', NOW_S)),
    'alg_mismatch',
  ],
  [
    "HS256 keyed with the client's public key PEM (alg confusion)",
    async () => hmacToken({ alg: 'HS256', typ: 'JWT' }, clientClaims('billing', NOW_S), billing.publicPem),
    'alg_not_allowed',
  ],
  ['HS256 keyed with the gateway secret', async () => hmacToken({ alg: 'HS256', typ: 'JWT' }, clientClaims('billing', NOW_S), TEST_SECRET), 'alg_not_allowed'],
  [
    'alg none',
    async () => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(clientClaims('billing', NOW_S))).toString('base64url')}.`,
    'malformed',
  ],
  [
    'a key of its own in the header (jwk)',
    () => clientToken(stranger, clientClaims('billing', NOW_S), { jwk: stranger.publicKey.export({ format: 'jwk' }) }),
    'untrusted_header',
  ],
  ['a key URL in the header (jku)', () => clientToken(billing, clientClaims('billing', NOW_S), { jku: 'https://evil.example/jwks' }), 'untrusted_header'],
  ['a malformed username', () => clientToken(billing, clientClaims('billing\r\nX-Auth-Roles: admin', NOW_S)), 'bad_username'],
  ['a malformed nonce', () => clientToken(billing, clientClaims('billing', NOW_S, 'a b')), 'bad_nonce'],
  ['time and iat that disagree', () => clientToken(billing, { ...clientClaims('billing', NOW_S), iat: NOW_S - 5 }), 'conflicting_claims'],
  ['no time at all', () => clientToken(billing, { username: 'billing', nonce: testNonce() }), 'bad_time'],
  [
    'an exp that has passed (checked after the signature)',
    () => clientToken(billing, { ...clientClaims('billing', NOW_S), exp: NOW_S - 3600 }),
    'claims_refused',
  ],
  ["the gateway's own access token type", () => clientToken(billing, clientClaims('billing', NOW_S), { typ: 'at+jwt' }), 'wrong_token_type'],
  ['a token over the length cap', () => clientToken(billing, { ...clientClaims('billing', NOW_S), pad: 'x'.repeat(2048) }), 'token_too_long'],
  ['not a JWS', async () => 'not-a-token', 'malformed'],
];

describe('a refused client token', () => {
  it.each(REFUSALS)('refuses %s (%s)', async (_case, make, reason) => {
    const check = createClientVerifier({ clients: () => REGISTRY, store: new MemoryStore(() => NOW_S), windowS: WINDOW_S, now: () => NOW_MS });
    expect(await check(await make())).toEqual({ ok: false, reason });
  });

  it.each(REFUSALS)('answers %s with the one 401 every client refusal gets', async (_case, make) => {
    expectRefused(await verify(signer(), `JWT ${await make()}`));
  });

  it('answers an unknown client exactly as a bad signature: status, headers and body', async () => {
    const app = signer();
    const shape = (res: request.Response) => ({
      status: res.status,
      text: res.text,
      challenge: res.headers['www-authenticate'],
      names: Object.keys(res.headers)
        .filter((n) => n !== 'date')
        .sort(),
    });
    const unknown = shape(await verify(app, `JWT ${await clientToken(stranger, clientClaims('stranger', NOW_S))}`));
    const badSignature = shape(await verify(app, `JWT ${await clientToken(stranger, clientClaims('billing', NOW_S))}`));
    const wrongAlg = shape(await verify(app, `JWT ${await clientToken(stranger, clientClaims('reports', NOW_S))}`));
    expect(unknown).toEqual(badSignature);
    expect(wrongAlg).toEqual(badSignature);
  });
});

describe('users and clients never pass for each other', () => {
  it('refuses a gateway access token sent with the JWT scheme, even one carrying client claims', async () => {
    const app = signer();
    expectRefused(await verify(app, `JWT ${await userToken({ sub: 'alice' })}`));
    expectRefused(await verify(app, `JWT ${await userToken({ sub: 'billing', ...clientClaims('billing', NOW_S) })}`));
  });

  it.each([
    ['Bearer', (t: string) => `Bearer ${t}`],
    ['no scheme', (t: string) => t],
  ])("refuses a client token sent with %s: it is never checked as a client's", async (_case, header) => {
    const res = await verify(signer(), header(await clientToken(billing, clientClaims('billing', NOW_S))));
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="tokengate", error="invalid_token"');
  });

  it('refuses a client token in ?jwt=', async () => {
    const token = await clientToken(billing, clientClaims('billing', NOW_S));
    const res = await request(signer()).get('/verify').set('X-Original-URI', `/check?jwt=${token}`);
    expect(res.status).toBe(401);
  });

  it('refuses every JWT-scheme token when no client is registered', async () => {
    expectRefused(await verify(signer({ clients: () => registryOf({}) }), `JWT ${await clientToken(billing, clientClaims('billing', NOW_S))}`));
  });
});
