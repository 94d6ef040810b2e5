import type { RequestListener } from 'node:http';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { parsePolicyText } from '../../src/policy/load-policy.js';
import { createTokenIssuer } from '../../src/tokens/sign.js';
import { cookieHeader, manualClock, ORIGIN, setCookies, signIn, ACCESS, REFRESH } from '../fixtures/browser-session.js';
import { clientClaims, clientKeyPair, clientToken, registryOf } from '../fixtures/client-keys.js';
import { NOW_MS, NOW_S, ALICE, useLoginSigner } from '../fixtures/login-signer.js';
import { rawRequest } from '../fixtures/raw-request.js';
import { secretSource, useTestKey } from '../fixtures/signer.js';
import { MemoryStore } from '../../src/store/memory.js';
import { StoreUnavailableError } from '../../src/store/store.js';

const { signer } = useLoginSigner();
const key = useTestKey();
const TTL_S = '60';

const billing = clientKeyPair('ES256');

/** A token as /login issues it, living `ttlS` from the frozen now. */
async function token(ttlS = 900, claims: Record<string, unknown> = { sub: 'alice', roles: ['user'] }): Promise<string> {
  return (await createTokenIssuer({ keys: secretSource(key()), issuer: 'tokengate', ttlSeconds: ttlS, now: () => NOW_MS })(claims)).token;
}

const bearer = (app: RequestListener, t: string, uri = '/api/x') =>
  request(app)
    .get('/verify')
    .set({ Authorization: `Bearer ${t}`, 'X-Original-URI': uri, 'X-Original-Method': 'GET' });

/** The metric's value for one label, from the signer's /metrics. */
async function cacheCount(app: RequestListener, result: 'hit' | 'miss'): Promise<number> {
  const text = (await request(app).get('/metrics').expect(200)).text;
  const line = text.split('\n').find((l) => l.startsWith(`tokengate_verify_cache_total{result="${result}"}`));
  return Number(line?.split(' ')[1]);
}

describe('/verify and the verified-token cache (VERIFY_CACHE_SIZE)', () => {
  it('checks the signature once per token and counts hits, yet a logout refuses the token at once', async () => {
    const app = signer();
    const login = await request(app).post('/login').send(ALICE).expect(200);
    const t = (login.body as { token: string }).token;
    for (let i = 0; i < 3; i++) expect((await bearer(app, t)).status).toBe(204);
    expect(await cacheCount(app, 'miss')).toBe(1);
    expect(await cacheCount(app, 'hit')).toBe(2);
    await request(app).post('/logout').set('Authorization', `Bearer ${t}`).expect(204);
    const after = await bearer(app, t);
    expect(after.status).toBe(401);
    expect(after.headers['www-authenticate']).toContain('invalid_token');
    // The logout read the token from the cache too (3), and the refusal came from the
    // revocation check on a hit (4), not from a new signature check.
    expect(await cacheCount(app, 'hit')).toBe(4);
    expect(await cacheCount(app, 'miss')).toBe(1);
  });

  it('is off with VERIFY_CACHE_SIZE=0: every request is a full check, and nothing is counted', async () => {
    const app = signer({ VERIFY_CACHE_SIZE: '0' });
    const t = await token();
    for (let i = 0; i < 3; i++) expect((await bearer(app, t)).status).toBe(204);
    expect(await cacheCount(app, 'hit')).toBe(0);
    expect(await cacheCount(app, 'miss')).toBe(0);
  });
});

describe('/verify caching headers for nginx (AUTH_CACHE_TTL_S)', () => {
  it('are off by default: every answer is no-store and none has X-Accel-Expires', async () => {
    const res = await bearer(signer(), await token());
    expect(res.status).toBe(204);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-accel-expires']).toBeUndefined();
  });

  it('let nginx keep a pass for AUTH_CACHE_TTL_S, X-Accel-Expires ahead of Cache-Control (nginx then ignores no-store)', async () => {
    const t = await token();
    const res = await rawRequest(signer({ AUTH_CACHE_TTL_S: TTL_S }), 'GET', '/verify', { Authorization: `Bearer ${t}`, 'X-Original-URI': '/api/x' });
    expect(res.status).toBe(204);
    const names = res.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    // One second less than AUTH_CACHE_TTL_S: nginx keeps an entry to the end of its last second.
    expect(res.headers['x-accel-expires']).toBe(String(Number(TTL_S) - 1));
    expect(names.indexOf('x-accel-expires')).toBeGreaterThanOrEqual(0);
    expect(names.indexOf('x-accel-expires')).toBeLessThan(names.indexOf('cache-control'));
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('never past the token exp', async () => {
    const app = signer({ AUTH_CACHE_TTL_S: TTL_S });
    // 20 s left: nginx, which keeps an entry to the end of its last whole second, is told 19.
    expect((await bearer(app, await token(20))).headers['x-accel-expires']).toBe('19');
    // Less than two seconds left: nothing to keep.
    const clock = manualClock(NOW_MS + 18_500);
    const late = signer({ AUTH_CACHE_TTL_S: TTL_S }, { now: clock.now });
    const res = await bearer(late, await token(20));
    expect(res.status).toBe(204);
    expect(res.headers['x-accel-expires']).toBeUndefined();
  });

  it('for a token in the URL (?jwt=) as for one in the header', async () => {
    const res = await request(signer({ AUTH_CACHE_TTL_S: TTL_S }))
      .get('/verify')
      .set('X-Original-URI', `/api/x?jwt=${await token()}`);
    expect(res.status).toBe(204);
    expect(res.headers['x-accel-expires']).toBe('59');
  });

  it.each([
    ['the URI', { 'X-Original-URI': '/api/x|y' }],
    ['a cookie', { 'X-Original-URI': '/api/x', Cookie: 'theme=a|b' }],
  ])("never when %s holds a `|`, the separator of nginx's cache key, though the check passes", async (_part, headers) => {
    const res = await request(signer({ AUTH_CACHE_TTL_S: TTL_S }))
      .get('/verify')
      .set({ ...headers, Authorization: `Bearer ${await token()}` });
    expect(res.status).toBe(204);
    expect(res.headers['x-accel-expires']).toBeUndefined();
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('answers a failed check (the store down) as JSON 503 with the security headers', async () => {
    class DownStore extends MemoryStore {
      override isRevoked(): Promise<boolean> {
        return Promise.reject(new StoreUnavailableError('down'));
      }
    }
    const res = await bearer(signer({}, { store: new DownStore() }), await token());
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: 'store_unavailable', message: expect.any(String) });
    expect(res.headers['retry-after']).toBe('1');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  it('answers 401 and 403 with an empty body of a stated length, and every error with the security headers', async () => {
    const res = await rawRequest(signer({ AUTH_CACHE_TTL_S: TTL_S }), 'GET', '/verify', { 'X-Original-URI': '/api/x' });
    expect(res.status).toBe(401);
    expect(res.headers['content-length']).toBe('0');
    expect(res.headers['transfer-encoding']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('for a browser whose access cookie is valid, but never for a silent refresh that sets cookies', async () => {
    const clock = manualClock();
    const app = signer({ AUTH_CACHE_TTL_S: TTL_S, PUBLIC_ORIGIN: ORIGIN }, { now: clock.now });
    const session = await signIn(app);
    const viaAccess = await request(app).get('/verify').set('Cookie', cookieHeader(session.access, session.refresh));
    expect(viaAccess.status).toBe(204);
    expect(viaAccess.headers['x-accel-expires']).toBe('59');
    const refreshed = await request(app).get('/verify').set('Cookie', cookieHeader(session.refresh));
    expect(refreshed.status).toBe(204);
    expect(setCookies(refreshed).has(ACCESS)).toBe(true);
    expect(setCookies(refreshed).has(REFRESH)).toBe(true);
    expect(refreshed.headers['x-accel-expires']).toBeUndefined();
    expect(refreshed.headers['cache-control']).toBe('no-store');
  });

  it('never for a refusal, a 403 of the policy, or a public path', async () => {
    const parsed = parsePolicyText(
      'default: deny\nrules:\n  - { path: /admin/**, anyRole: [admin] }\n  - { path: /api/**, allow: authenticated }\n  - { path: /public/**, allow: public }\n',
    );
    if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
    const app = signer({ AUTH_CACHE_TTL_S: TTL_S }, { policy: () => parsed.policy });
    const t = await token();
    const answers = [
      await bearer(app, `${t}x`),
      await bearer(app, t, '/admin/x'),
      await bearer(app, t, '/public/x'),
      await request(app).get('/verify').set('X-Original-URI', '/api/x'),
    ];
    expect(answers.map((r) => r.status)).toEqual([401, 403, 204, 401]);
    for (const res of answers) {
      expect(res.headers['x-accel-expires']).toBeUndefined();
      expect(res.headers['cache-control']).toBe('no-store');
    }
  });

  it("never for a server's own token, which is good for one request only", async () => {
    const app = signer({ AUTH_CACHE_TTL_S: TTL_S }, { clients: () => registryOf({ billing }) });
    const jwt = await clientToken(billing, clientClaims('billing', NOW_S));
    const res = await request(app)
      .get('/verify')
      .set({ Authorization: `JWT ${jwt}`, 'X-Original-URI': '/api/x' });
    expect(res.status).toBe(204);
    expect(res.headers['x-auth-kind']).toBe('client');
    expect(res.headers['x-accel-expires']).toBeUndefined();
    expect(res.headers['cache-control']).toBe('no-store');
  });
});
