import type { RequestListener } from 'node:http';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import {
  ACCESS,
  BROWSER_ACCEPT,
  cookieHeader,
  definedHeaders,
  getLoginForm,
  hiddenField,
  ORIGIN,
  REFRESH,
  SAME_ORIGIN,
  scopeOf,
  setCookies,
  signIn,
  type SetCookie,
} from '../fixtures/browser-session.js';
import { ALICE, useLoginSigner } from '../fixtures/login-signer.js';
import { TEST_SECRET } from '../fixtures/config.js';
import { mint } from '../fixtures/tokens.js';

const { signer } = useLoginSigner();
const app = (): RequestListener => signer({ PUBLIC_ORIGIN: ORIGIN });

/** A JSON login: an API client's token pair. */
async function loginPair(signerApp: RequestListener): Promise<{ token: string; refresh_token: string }> {
  const res = await request(signerApp).post('/login').send(ALICE);
  expect(res.status).toBe(200);
  return res.body as { token: string; refresh_token: string };
}

/** `GET /logout` as a browser holding these cookies: the response and the form's CSRF token. */
async function logoutPage(signerApp: RequestListener, ...cookies: SetCookie[]) {
  const res = await request(signerApp)
    .get('/logout')
    .set({ Accept: BROWSER_ACCEPT, Cookie: cookieHeader(...cookies) });
  expect(res.status).toBe(200);
  return { res, csrf: hiddenField(res.text, 'csrf') ?? '' };
}

/** The sign-out form post of a browser on the gateway's own page, unless `headers` say otherwise. */
const postLogout = (signerApp: RequestListener, cookies: SetCookie[], csrf: string | undefined, headers: Record<string, string | undefined> = {}) =>
  request(signerApp)
    .post('/logout')
    .set(definedHeaders({ Accept: BROWSER_ACCEPT, ...SAME_ORIGIN, Cookie: cookieHeader(...cookies), ...headers }))
    .type('form')
    .send(csrf === undefined ? '' : new URLSearchParams({ csrf }).toString());

/** The sign-out token of a fresh session on `signerApp`. */
const anotherSessionToken = async (signerApp: RequestListener) => (await logoutPage(signerApp, ...Object.values(await signIn(signerApp)))).csrf;

const verifyCookies = (signerApp: RequestListener, ...cookies: SetCookie[]) =>
  request(signerApp)
    .get('/verify')
    .set('Cookie', cookieHeader(...cookies));

/** Both the access cookie and the refresh cookie still open the session. */
async function expectSessionAlive(signerApp: RequestListener, session: { access: SetCookie; refresh: SetCookie }): Promise<void> {
  expect((await verifyCookies(signerApp, session.access)).status).toBe(204);
  const viaRefresh = await verifyCookies(signerApp, session.refresh);
  expect(viaRefresh.status).toBe(204);
  expect(setCookies(viaRefresh).has(ACCESS)).toBe(true);
}

describe('POST /logout with a bearer token (API)', () => {
  it('needs no body at all, as `curl -X POST -H "Authorization: Bearer …"` sends it', async () => {
    const signerApp = app();
    const pair = await loginPair(signerApp);
    expect((await request(signerApp).post('/logout').set('Authorization', `Bearer ${pair.token}`)).status).toBe(204);
    expect((await request(signerApp).get('/verify').set('Authorization', `Bearer ${pair.token}`)).status).toBe(401);
  });

  it('refuses with 400 to sign out a token that carries neither jti nor sid (it cannot be revoked)', async () => {
    const legacy = await mint({ sub: 'alice' }, { secret: TEST_SECRET, withoutJti: true });
    // mint() signs on the real clock, so this signer runs on it too.
    const res = await request(signer({ PUBLIC_ORIGIN: ORIGIN }, { now: Date.now }))
      .post('/logout')
      .set('Authorization', `Bearer ${legacy}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it('refuses a body that is neither JSON nor a form with 415', async () => {
    const res = await request(app()).post('/logout').set('Content-Type', 'text/plain').send('bye');
    expect(res.status).toBe(415);
    expect(res.body.error).toBe('unsupported_media_type');
  });

  it('answers 204 and revokes the access token before its exp, and its refresh token', async () => {
    const signerApp = app();
    const pair = await loginPair(signerApp);
    const res = await request(signerApp).post('/logout').set('Authorization', `Bearer ${pair.token}`).send({});
    expect(res.status).toBe(204);
    expect(res.headers['cache-control']).toBe('no-store');
    expect((await request(signerApp).get('/verify').set('Authorization', `Bearer ${pair.token}`)).status).toBe(401);
    const refreshed = await request(signerApp).post('/refresh').send({ refresh_token: pair.refresh_token });
    expect(refreshed.status).toBe(401);
    expect(refreshed.body.error).toBe('invalid_refresh_token');
  });

  it("leaves the user's other sessions alone", async () => {
    const signerApp = app();
    const [ended, other] = [await loginPair(signerApp), await loginPair(signerApp)];
    await request(signerApp).post('/logout').set('Authorization', `Bearer ${ended.token}`).send({});
    expect((await request(signerApp).get('/verify').set('Authorization', `Bearer ${other.token}`)).status).toBe(204);
  });

  it.each<[string, (pair: { token: string; refresh_token: string }) => string]>([
    ['a token that is not a JWT', () => 'Bearer not.a.token'],
    ['its refresh token', (pair) => `Bearer ${pair.refresh_token}`],
  ])('answers 401 unauthorized to %s and ends nothing', async (_case, authorization) => {
    const signerApp = app();
    const pair = await loginPair(signerApp);
    const res = await request(signerApp).post('/logout').set('Authorization', authorization(pair)).send({});
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('unauthorized');
    expect((await request(signerApp).get('/verify').set('Authorization', `Bearer ${pair.token}`)).status).toBe(204);
  });
});

describe('GET /logout', () => {
  it('asks to confirm with a form posting to /logout, as a no-store page', async () => {
    const signerApp = app();
    const { res, csrf } = await logoutPage(signerApp, ...Object.values(await signIn(signerApp)));
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.text).toContain('<form method="post" action="/logout">');
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{22}\.\d+\.[A-Za-z0-9_-]{43}$/);
  });

  it('never signs out: no cookie is touched and the session still works', async () => {
    const signerApp = app();
    const session = await signIn(signerApp);
    const { res } = await logoutPage(signerApp, session.access, session.refresh);
    expect(res.headers['set-cookie']).toBeUndefined();
    await expectSessionAlive(signerApp, session);
  });

  it('does not use up a refresh cookie it reads', async () => {
    const signerApp = app();
    const session = await signIn(signerApp);
    await logoutPage(signerApp, session.refresh);
    await expectSessionAlive(signerApp, session);
  });

  it('shows a form-less page without a session', async () => {
    const { res, csrf } = await logoutPage(app());
    expect(res.text).not.toContain('<form');
    expect(csrf).toBe('');
  });
});

describe('POST /logout from the browser form', () => {
  it('clears both cookies with the attributes they were set with, and Clear-Site-Data', async () => {
    const signerApp = app();
    const session = await signIn(signerApp);
    const { csrf } = await logoutPage(signerApp, session.access, session.refresh);
    const res = await postLogout(signerApp, [session.access, session.refresh], csrf);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['clear-site-data']).toBe('"cookies"');
    expect(res.headers['cache-control']).toBe('no-store');
    const cleared = setCookies(res);
    expect([...cleared.keys()].sort()).toEqual([ACCESS, REFRESH].sort());
    for (const set of [session.access, session.refresh]) {
      expect(cleared.get(set.name)?.value).toBe('');
      expect(cleared.get(set.name)?.attributes['max-age']).toBe('0');
      expect(scopeOf(cleared.get(set.name)!)).toEqual(scopeOf(set));
    }
  });

  it('ends the session: the old access cookie and the old refresh cookie are refused', async () => {
    const signerApp = app();
    const session = await signIn(signerApp);
    const { csrf } = await logoutPage(signerApp, session.access, session.refresh);
    await postLogout(signerApp, [session.access, session.refresh], csrf);
    expect((await verifyCookies(signerApp, session.access)).status).toBe(401);
    expect((await verifyCookies(signerApp, session.refresh)).status).toBe(401);
  });

  it('ends the session named by the refresh cookie alone', async () => {
    const signerApp = app();
    const session = await signIn(signerApp);
    const { csrf } = await logoutPage(signerApp, session.refresh);
    expect((await postLogout(signerApp, [session.refresh], csrf)).status).toBe(200);
    expect((await verifyCookies(signerApp, session.refresh)).status).toBe(401);
    expect((await verifyCookies(signerApp, session.access)).status).toBe(401);
  });

  it('answers 204 instead of a page to a client that does not ask for HTML', async () => {
    const signerApp = app();
    const session = await signIn(signerApp);
    const { csrf } = await logoutPage(signerApp, session.access, session.refresh);
    const res = await postLogout(signerApp, [session.access, session.refresh], csrf, { Accept: '*/*' });
    expect(res.status).toBe(204);
    expect(res.headers['clear-site-data']).toBe('"cookies"');
    expect(setCookies(res).get(ACCESS)?.attributes['max-age']).toBe('0');
  });

  describe('refuses with 403 and keeps the session', () => {
    it.each([
      ['Origin: https://evil.example and no Sec-Fetch-Site (an older browser)', { Origin: 'https://evil.example', 'Sec-Fetch-Site': undefined }],
      ['Origin: null and no Sec-Fetch-Site', { Origin: 'null', 'Sec-Fetch-Site': undefined }],
      ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
      ['Sec-Fetch-Site: same-site', { 'Sec-Fetch-Site': 'same-site' }],
    ])('a post with %s, even with the right token', async (_case, headers) => {
      const signerApp = app();
      const session = await signIn(signerApp);
      const { csrf } = await logoutPage(signerApp, session.access, session.refresh);
      const res = await postLogout(signerApp, [session.access, session.refresh], csrf, headers);
      expect(res.status).toBe(403);
      expect(res.headers['set-cookie']).toBeUndefined();
      await expectSessionAlive(signerApp, session);
    });

    it('a cross-site post from a client that does not ask for HTML, with cross_site_request', async () => {
      const signerApp = app();
      const session = await signIn(signerApp);
      const res = await postLogout(signerApp, [session.access, session.refresh], undefined, { Accept: 'application/json', Origin: 'https://evil.example' });
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('cross_site_request');
    });

    it.each<[string, (signerApp: RequestListener) => Promise<string | undefined>]>([
      ['no csrf field', async () => undefined],
      ['the token of another session', anotherSessionToken],
      ['a sign-in form token, bound to no session', async (a) => (await getLoginForm(a)).csrf],
      ['a token from another signer', async () => anotherSessionToken(app())],
    ])('a post with %s', async (_case, tokenFor) => {
      const signerApp = app();
      const session = await signIn(signerApp);
      const res = await postLogout(signerApp, [session.access, session.refresh], await tokenFor(signerApp));
      expect(res.status).toBe(403);
      expect(res.headers['set-cookie']).toBeUndefined();
      await expectSessionAlive(signerApp, session);
    });
  });
});

describe('POST /logout without any session', () => {
  it.each([
    ['an API-style client', { Accept: 'application/json' }, 204],
    ['a browser', { Accept: BROWSER_ACCEPT }, 200],
  ])('answers %s with %s, clearing the gateway cookies but not the whole site', async (_case, headers, status) => {
    const res = await request(app()).post('/logout').set(headers).type('form').send('');
    expect(res.status).toBe(status);
    expect(res.headers['clear-site-data']).toBeUndefined();
    expect(setCookies(res).get(REFRESH)?.attributes['max-age']).toBe('0');
  });

  // A cross-site post never carries the session cookies (Strict, and Lax is not sent on a
  // cross-site POST), so the origin check must come before anything is cleared.
  it.each([
    ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
    ['Origin: https://evil.example', { Origin: 'https://evil.example' }],
  ])('refuses a cross-site post with %s before clearing anything', async (_case, headers) => {
    const res = await request(app())
      .post('/logout')
      .set({ Accept: BROWSER_ACCEPT, ...headers })
      .type('form')
      .send('');
    expect(res.status).toBe(403);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.headers['clear-site-data']).toBeUndefined();
  });

  it('answers a browser whose cookies are garbage the same way', async () => {
    const res = await request(app())
      .post('/logout')
      .set({ Accept: BROWSER_ACCEPT, Cookie: `${ACCESS}=garbage; ${REFRESH}=a.b.c` })
      .type('form')
      .send('');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
  });
});
