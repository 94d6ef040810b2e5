import type { RequestListener } from 'node:http';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { ACCESS, REFRESH } from '../fixtures/browser-session.js';
import { clientClaims, clientKeyPair, clientToken, registryOf } from '../fixtures/client-keys.js';
import { ALICE, NOW_S, useLoginSigner } from '../fixtures/login-signer.js';
import { respellings } from '../fixtures/spellings.js';

// Issue 15, "one token, one spelling": a token whose last signature character differs only in the
// bits base64url leaves unused decodes to the same signature, so it verified, and anything keyed
// on the token's text (the caches) held one entry per spelling. It is refused as malformed now.

const { signer } = useLoginSigner();
const billing = clientKeyPair('ES256');

const INVALID_TOKEN = 'Bearer realm="tokengate", error="invalid_token"';
const CLIENT_INVALID_TOKEN = 'JWT realm="tokengate", error="invalid_token"';

interface Pair {
  token: string;
  refresh_token: string;
}

async function loginPair(app: RequestListener): Promise<Pair> {
  return (await request(app).post('/login').send(ALICE).expect(200)).body as Pair;
}

/** The token with its last signature character respelt: the same signature bytes to a lenient decoder. */
function respelt(token: string): string {
  const other = respellings(token, 'signature')[0];
  if (other === undefined) throw new Error('this signature has no unused bits to respell');
  return other;
}

/** The same token with a fourth part: malformed by any reading. */
const malformed = (token: string) => `${token}.x`;

const verify = (app: RequestListener, headers: Record<string, string>) =>
  request(app)
    .get('/verify')
    .set({ 'X-Original-URI': '/api/x', ...headers });

/** What a refusal looks like from outside: everything but the date. */
const refusal = (res: request.Response) => ({
  status: res.status,
  challenge: res.headers['www-authenticate'],
  body: res.text,
  cookies: res.headers['set-cookie'],
  sub: res.headers['x-auth-sub'],
});

/** One sample of the signer's /metrics. */
async function metric(app: RequestListener, name: string, labels: string): Promise<number> {
  const text = (await request(app).get('/metrics').expect(200)).text;
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return Number(line?.split(' ')[1]);
}

describe('a token respelt in the unused bits of its last character', () => {
  it.each<[string, keyof Pair, (t: string) => Record<string, string>]>([
    ['Authorization: Bearer', 'token', (t) => ({ Authorization: `Bearer ${t}` })],
    ['a bare Authorization (OpenResty style)', 'token', (t) => ({ Authorization: t })],
    ['?jwt= in the original URI', 'token', (t) => ({ 'X-Original-URI': `/api/x?jwt=${t}` })],
    ['the access cookie', 'token', (t) => ({ Cookie: `${ACCESS}=${t}` })],
    ['the refresh cookie, without an access cookie', 'refresh_token', (t) => ({ Cookie: `${REFRESH}=${t}` })],
  ])('is refused at /verify in %s exactly as a malformed token (401, invalid_token, counted malformed); the original passes', async (_case, which, headers) => {
    const app = signer();
    const original = (await loginPair(app))[which];
    const asMalformed = await verify(app, headers(malformed(original)));
    const res = await verify(app, headers(respelt(original)));
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(INVALID_TOKEN);
    expect(refusal(res)).toEqual(refusal(asMalformed));
    expect(await metric(app, 'tokengate_verify_total', 'outcome="malformed"')).toBe(2);
    expect((await verify(app, headers(original))).status).toBe(204);
  });

  it('is never answered from the cache entry of the original, nor looked up in it', async () => {
    const app = signer();
    const { token } = await loginPair(app);
    const bearer = (t: string) => verify(app, { Authorization: `Bearer ${t}` });
    expect((await bearer(token)).status).toBe(204);
    expect((await bearer(token)).status).toBe(204);
    const others = respellings(token, 'signature');
    expect(others).toHaveLength(3); // HS256: 43 characters, the low 2 bits of the last one unused
    for (const other of others) expect((await bearer(other)).status).toBe(401);
    expect(await metric(app, 'tokengate_verify_cache_total', 'result="miss"')).toBe(1);
    expect(await metric(app, 'tokengate_verify_cache_total', 'result="hit"')).toBe(1);
    expect((await bearer(token)).status).toBe(204);
    expect(await metric(app, 'tokengate_verify_cache_total', 'result="hit"')).toBe(2);
  });

  it('buys nothing at POST /refresh: refused as a malformed one, and the original still rotates', async () => {
    const app = signer();
    const { refresh_token } = await loginPair(app);
    const refresh = (t: string) => request(app).post('/refresh').send({ refresh_token: t });
    const asMalformed = await refresh(malformed(refresh_token));
    const res = await refresh(respelt(refresh_token));
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'invalid_refresh_token', message: expect.any(String) });
    expect(refusal(res)).toEqual(refusal(asMalformed));
    expect(await metric(app, 'tokengate_refresh_total', 'outcome="refused",reason="malformed"')).toBe(2);
    // Had the respelling rotated the pair, the original would now count as reused and end the session.
    expect((await refresh(refresh_token)).status).toBe(200);
  });

  it('cannot sign out with POST /logout, which leaves the original valid', async () => {
    const app = signer();
    const { token } = await loginPair(app);
    const res = await request(app)
      .post('/logout')
      .set('Authorization', `Bearer ${respelt(token)}`);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'unauthorized', message: expect.any(String) });
    expect((await verify(app, { Authorization: `Bearer ${token}` })).status).toBe(204);
  });

  it('is refused as a client token (Authorization: JWT) exactly as a malformed one, without using up its nonce', async () => {
    const app = signer({}, { clients: () => registryOf({ billing }) });
    const token = await clientToken(billing, clientClaims('billing', NOW_S));
    const asMalformed = await verify(app, { Authorization: `JWT ${malformed(token)}` });
    const res = await verify(app, { Authorization: `JWT ${respelt(token)}` });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(CLIENT_INVALID_TOKEN);
    expect(refusal(res)).toEqual(refusal(asMalformed));
    expect(await metric(app, 'tokengate_verify_total', 'outcome="malformed"')).toBe(2);
    const original = await verify(app, { Authorization: `JWT ${token}` });
    expect(original.status).toBe(204);
    expect(original.headers['x-auth-sub']).toBe('billing');
  });
});
