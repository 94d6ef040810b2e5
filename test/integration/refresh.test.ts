import type { RequestListener } from 'node:http';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../fixtures/browser-session.js';
import { ALICE, useLoginSigner } from '../fixtures/login-signer.js';

const { signer, stub } = useLoginSigner();
const GRACE_S = 10;

/** A signer whose clock (shared by its store) the test moves. */
function setup(env: Record<string, string> = {}) {
  const clock = manualClock();
  return { app: signer(env, { now: clock.now }), clock };
}

interface Pair {
  token: string;
  refresh_token: string;
}

/** A JSON login: an API client's token pair. */
async function loginPair(app: RequestListener): Promise<Pair> {
  const res = await request(app).post('/login').send(ALICE);
  expect(res.status).toBe(200);
  return res.body as Pair;
}

const refresh = (app: RequestListener, refreshToken: unknown) => request(app).post('/refresh').send({ refresh_token: refreshToken });
const verifyBearer = (app: RequestListener, token: string) => request(app).get('/verify').set('Authorization', `Bearer ${token}`);

describe('POST /refresh', () => {
  it('answers 200 with a new pair, no-store, without asking the upstream again', async () => {
    const { app } = setup();
    const first = await loginPair(app);
    const res = await refresh(app, first.refresh_token);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.body).toEqual({
      token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 900,
      refresh_token: expect.any(String),
      refresh_expires_in: 604800,
    });
    expect(res.body.refresh_token).not.toBe(first.refresh_token);
    expect(stub().received).toHaveLength(1);
  });

  it('gives an access token that /verify accepts with the identity of the login', async () => {
    const { app } = setup();
    const next = (await refresh(app, (await loginPair(app)).refresh_token)).body as Pair;
    const res = await verifyBearer(app, next.token);
    expect(res.status).toBe(204);
    expect(res.headers['x-auth-sub']).toBe('alice');
  });

  it('gives a refresh token that can be used in turn', async () => {
    const { app } = setup();
    const next = (await refresh(app, (await loginPair(app)).refresh_token)).body as Pair;
    expect((await refresh(app, next.refresh_token)).status).toBe(200);
  });

  describe('when a used refresh token is presented again', () => {
    it('after the grace window, answers 401 invalid_refresh_token and kills the whole family', async () => {
      const { app, clock } = setup();
      const first = await loginPair(app);
      const next = (await refresh(app, first.refresh_token)).body as Pair;
      clock.advance(GRACE_S);
      const reuse = await refresh(app, first.refresh_token);
      expect(reuse.status).toBe(401);
      expect(reuse.body.error).toBe('invalid_refresh_token');
      expect((await refresh(app, next.refresh_token)).body.error).toBe('invalid_refresh_token');
      expect((await verifyBearer(app, next.token)).status).toBe(401);
      expect((await verifyBearer(app, first.token)).status).toBe(401);
    });

    it('with REFRESH_GRACE_S=0, kills the family at once', async () => {
      const { app } = setup({ REFRESH_GRACE_S: '0' });
      const first = await loginPair(app);
      const next = (await refresh(app, first.refresh_token)).body as Pair;
      expect((await refresh(app, first.refresh_token)).status).toBe(401);
      expect((await refresh(app, next.refresh_token)).status).toBe(401);
      expect((await verifyBearer(app, next.token)).status).toBe(401);
    });

    it('within the grace window, answers 401 but leaves the session alive', async () => {
      const { app } = setup();
      const first = await loginPair(app);
      const next = (await refresh(app, first.refresh_token)).body as Pair;
      const again = await refresh(app, first.refresh_token);
      expect(again.status).toBe(401);
      expect(again.body.error).toBe('invalid_refresh_token');
      expect((await verifyBearer(app, next.token)).status).toBe(204);
      expect((await refresh(app, next.refresh_token)).status).toBe(200);
    });
  });

  it('answers exactly one of 50 concurrent uses of the same token with 200', async () => {
    const { app } = setup();
    const { refresh_token } = await loginPair(app);
    const answers = await Promise.all(Array.from({ length: 50 }, () => refresh(app, refresh_token)));
    const ok = answers.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    expect(answers.filter((r) => r.status === 401 && r.body.error === 'invalid_refresh_token')).toHaveLength(49);
    expect((await refresh(app, (ok[0]!.body as Pair).refresh_token)).status).toBe(200);
  });

  it('refuses a refresh token once it has expired', async () => {
    const { app, clock } = setup({ REFRESH_TTL_S: '60' });
    const { refresh_token } = await loginPair(app);
    clock.advance(60 + 30 + 1);
    const res = await refresh(app, refresh_token);
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_refresh_token');
  });

  describe('keeps the two kinds of token apart', () => {
    it('refuses an access token as refresh_token with 401 invalid_refresh_token', async () => {
      const { app } = setup();
      const res = await refresh(app, (await loginPair(app)).token);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_refresh_token');
    });

    it('refuses a refresh token as a bearer token at /verify', async () => {
      const { app } = setup();
      const res = await verifyBearer(app, (await loginPair(app)).refresh_token);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="tokengate", error="invalid_token"');
    });
  });

  it.each([
    ['a word', 'not-a-jwt'],
    ['three segments that are not a JWT', 'a.b.c'],
    ['a 10,000-character string', 'x'.repeat(10_000)],
  ])('refuses %s as refresh_token with 401 invalid_refresh_token', async (_case, token) => {
    const { app } = setup();
    const res = await refresh(app, token);
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_refresh_token');
  });

  describe('refuses a body without a usable refresh_token with 400 invalid_request', () => {
    it.each<[string, unknown]>([
      ['no refresh_token', {}],
      ['an empty refresh_token', { refresh_token: '' }],
      ['a numeric refresh_token', { refresh_token: 42 }],
      ['a null refresh_token', { refresh_token: null }],
      ['an array refresh_token', { refresh_token: ['a', 'b'] }],
      ['an object refresh_token', { refresh_token: { $ne: '' } }],
      ['a JSON array body', [{ refresh_token: 'x' }]],
    ])('JSON with %s', async (_case, body) => {
      const res = await request(setup().app).post('/refresh').set('Content-Type', 'application/json').send(JSON.stringify(body));
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    });

    it.each([
      ['an empty body', ''],
      ['a repeated refresh_token', 'refresh_token=a&refresh_token=b'],
    ])('a form with %s', async (_case, body) => {
      const res = await request(setup().app).post('/refresh').type('form').send(body);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    });
  });

  it('accepts the refresh_token from a form body too', async () => {
    const { app } = setup();
    const { refresh_token } = await loginPair(app);
    const res = await request(app).post('/refresh').type('form').send(new URLSearchParams({ refresh_token }).toString());
    expect(res.status).toBe(200);
  });

  it.each(['text/plain', 'application/xml', 'multipart/form-data; boundary=x'])('answers 415 unsupported_media_type to %s', async (type) => {
    const res = await request(setup().app).post('/refresh').set('Content-Type', type).send('refresh_token=x');
    expect(res.status).toBe(415);
    expect(res.body.error).toBe('unsupported_media_type');
  });

  it.each(['get', 'put', 'delete'] as const)('answers %s with 405 and Allow: POST', async (method) => {
    const res = await request(setup().app)[method]('/refresh');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
    expect(res.body.error).toBe('method_not_allowed');
  });
});
