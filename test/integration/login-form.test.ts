import type { RequestListener } from 'node:http';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import {
  ACCESS,
  BROWSER_ACCEPT,
  CSRF,
  REFRESH,
  formLogin,
  type FormLoginOptions,
  getLoginForm,
  hiddenField,
  type LoginForm,
  ORIGIN,
  SAME_ORIGIN,
} from '../fixtures/browser-session.js';
import { ALICE, useLoginSigner } from '../fixtures/login-signer.js';
import { openRedirectPayloads, TESTDATA_DIR_VARIABLE } from '../fixtures/shared-testdata.js';
import { answer, unusedUrl } from '../fixtures/upstream-stub.js';
import { MemoryStore } from '../../src/store/memory.js';
import { StoreUnavailableError } from '../../src/store/store.js';

const { stub, signer } = useLoginSigner();
const CI = process.env.CI === 'true' || process.env.CI === '1';
const app = (env: Record<string, string> = {}): RequestListener => signer({ PUBLIC_ORIGIN: ORIGIN, ...env });

/** A refused attempt's page with what legitimately differs (fresh token, echoed username) masked. */
const masked = (html: string) =>
  html.replace(/name="csrf" value="[^"]*"/, 'name="csrf" value="…"').replace(/id="username" name="username" type="text" value="[^"]*"/, 'USERNAME');

describe('a browser form login', () => {
  describe('that succeeds', () => {
    it('answers 303 to the checked return_to on PUBLIC_ORIGIN, with no-store', async () => {
      const signerApp = app();
      const { res } = await formLogin(signerApp, { form: await getLoginForm(signerApp, '/reports?y=2024') });
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(`${ORIGIN}/reports?y=2024`);
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('sets the access cookie SameSite=Lax for TOKEN_TTL_S and the refresh cookie SameSite=Strict', async () => {
      const { res, cookies } = await formLogin(app());
      expect(res.headers['set-cookie']).toHaveLength(2);
      expect(cookies.get(ACCESS)?.attributes).toEqual({ 'max-age': '900', path: '/', httponly: true, secure: true, samesite: 'Lax' });
      expect(cookies.get(REFRESH)?.attributes).toEqual({ 'max-age': '604800', path: '/', httponly: true, secure: true, samesite: 'Strict' });
    });

    it('puts a working access token in the access cookie', async () => {
      const signerApp = app();
      const { cookies } = await formLogin(signerApp);
      const res = await request(signerApp)
        .get('/verify')
        .set('Authorization', `Bearer ${cookies.get(ACCESS)?.value ?? ''}`);
      expect(res.status).toBe(204);
      expect(res.headers['x-auth-sub']).toBe('alice');
    });

    it('builds Location from PUBLIC_ORIGIN, never from Host or X-Forwarded-Host', async () => {
      const headers = { Host: 'evil.example', 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'http' };
      const signerApp = app();
      const { res } = await formLogin(signerApp, { form: await getLoginForm(signerApp, '/inbox'), headers });
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(`${ORIGIN}/inbox`);
    });

    it('names the cookies tg_access and tg_refresh without Secure when COOKIE_SECURE=false', async () => {
      const plain = app({ COOKIE_SECURE: 'false', PUBLIC_ORIGIN: 'http://127.0.0.1:8080' });
      const { res, cookies } = await formLogin(plain, { headers: { Origin: 'http://127.0.0.1:8080' } });
      expect(res.status).toBe(303);
      expect([...cookies.keys()].sort()).toEqual(['tg_access', 'tg_refresh']);
      expect(cookies.get('tg_access')?.attributes).toEqual({ 'max-age': '900', path: '/', httponly: true, samesite: 'Lax' });
      expect(cookies.get('tg_refresh')?.attributes).toEqual({ 'max-age': '604800', path: '/', httponly: true, samesite: 'Strict' });
    });
  });

  describe('with wrong credentials', () => {
    it('shows the same 401 page for a wrong password and an unknown user', async () => {
      stub().respond((req, res, body) => {
        const known = (JSON.parse(body) as { username: string }).username === 'alice';
        answer(known ? 401 : 404, { error: known ? 'wrong_password' : 'no_such_user' })(req, res, body);
      });
      const signerApp = app();
      const wrong = await formLogin(signerApp, { fields: { password: 'not-it' } });
      const unknown = await formLogin(signerApp, { fields: { username: 'nobody' } });
      expect([wrong.res.status, unknown.res.status]).toEqual([401, 401]);
      expect(masked(wrong.res.text)).toBe(masked(unknown.res.text));
      expect(wrong.res.text).toContain('Incorrect username or password.');
      for (const { res } of [wrong, unknown]) expect(res.text).not.toMatch(/wrong_password|no_such_user/);
    });

    it('sets no session cookie, only a fresh CSRF token for the next attempt', async () => {
      stub().respond(answer(401, { error: 'invalid_credentials' }));
      const signerApp = app();
      const form = await getLoginForm(signerApp);
      const { res, cookies } = await formLogin(signerApp, { form });
      expect([...cookies.keys()]).toEqual([CSRF]);
      expect(cookies.get(CSRF)?.value).toBe(hiddenField(res.text, 'csrf'));
      expect(cookies.get(CSRF)?.value).not.toBe(form.csrf);
    });
  });

  describe('refuses with 403 and never calls the upstream', () => {
    /** Each forgery builds the post it sends to `signerApp`. */
    it.each<[string, (signerApp: RequestListener) => Promise<FormLoginOptions & { form: LoginForm }>]>([
      ['no csrf field', async (a) => ({ form: await getLoginForm(a), fields: { csrf: undefined } })],
      ['no csrf cookie', async (a) => ({ form: await getLoginForm(a), cookie: '' })],
      ['a field and a cookie from two different forms', async (a) => ({ form: await getLoginForm(a), fields: { csrf: (await getLoginForm(a)).csrf } })],
      ['a matching pair made with another key', async () => ({ form: await getLoginForm(app()) })],
    ])('a post with %s, re-rendering the form with a fresh token', async (_case, forge) => {
      const signerApp = app();
      const post = await forge(signerApp);
      const { res, cookies } = await formLogin(signerApp, post);
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(cookies.get(CSRF)?.value).toBe(hiddenField(res.text, 'csrf'));
      expect([post.form.csrf, post.fields?.csrf]).not.toContain(cookies.get(CSRF)?.value);
      expect(stub().received).toHaveLength(0);
    });

    it.each([
      ['Origin: https://evil.example and no Sec-Fetch-Site (an older browser)', { Origin: 'https://evil.example', 'Sec-Fetch-Site': undefined }],
      ['Origin: null and no Sec-Fetch-Site', { Origin: 'null', 'Sec-Fetch-Site': undefined }],
      ['Origin: the public host over http and no Sec-Fetch-Site', { Origin: 'http://gw.example.com', 'Sec-Fetch-Site': undefined }],
      ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
      ['Sec-Fetch-Site: same-site', { 'Sec-Fetch-Site': 'same-site' }],
    ])('a post with %s, even with a good CSRF pair', async (_case, headers) => {
      const { res, cookies } = await formLogin(app(), { headers });
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(cookies.has(ACCESS)).toBe(false);
      expect(stub().received).toHaveLength(0);
    });
  });

  // Chromium sends `Origin: null` from a page under `Referrer-Policy: no-referrer`; the fetch
  // metadata, which no page can forge, still says same-origin.
  it('signs in when Sec-Fetch-Site says same-origin, whatever Origin says', async () => {
    const { res, cookies } = await formLogin(app(), { headers: { Origin: 'null', 'Sec-Fetch-Site': 'same-origin' } });
    expect(res.status).toBe(303);
    expect(cookies.has(ACCESS)).toBe(true);
  });

  describe('when the upstream cannot say yes', () => {
    it('answers 429 with its Retry-After when it rate-limits', async () => {
      stub().respond(answer(429, { error: 'slow_down' }, { 'Retry-After': '30' }));
      const { res, cookies } = await formLogin(app());
      expect(res.status).toBe(429);
      expect(res.headers['retry-after']).toBe('30');
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(cookies.has(ACCESS)).toBe(false);
    });

    it('answers a 502 page when it fails with 503', async () => {
      stub().respond(answer(503, 'down for maintenance'));
      const { res } = await formLogin(app());
      expect(res.status).toBe(502);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).not.toContain('down for maintenance');
    });

    it('answers a 502 page when it is unreachable', async () => {
      const { res } = await formLogin(app({ AUTHENTICATE_URL: await unusedUrl() }));
      expect(res.status).toBe(502);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
    });

    it('answers a 504 page when it does not answer in time', async () => {
      stub().respond(() => {});
      const { res } = await formLogin(app({ AUTHENTICATE_TIMEOUT_MS: '200' }));
      expect(res.status).toBe(504);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
    });
  });
});

describe('an API login', () => {
  it.each([
    ['a JSON body', (t: request.Test) => t.send(ALICE)],
    ['a JSON body with Accept: text/html', (t: request.Test) => t.set('Accept', BROWSER_ACCEPT).send(ALICE)],
    [
      'a form body without Accept: text/html',
      (t: request.Test) => t.set('Accept', 'application/json').type('form').send(new URLSearchParams(ALICE).toString()),
    ],
  ])('with %s still answers JSON with both tokens and sets no cookie', async (_case, send) => {
    const res = await send(request(app()).post('/login').set(SAME_ORIGIN));
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ token: expect.any(String), refresh_token: expect.any(String), token_type: 'Bearer' }));
    expect(res.headers['set-cookie']).toBeUndefined();
  });
});

describe('return_to after a form login', () => {
  /** Posts `returnTo` straight in the form, as a forged or tampered form would. */
  async function locationFor(signerApp: RequestListener, form: LoginForm, returnTo: string): Promise<string> {
    const { res } = await formLogin(signerApp, { form, fields: { return_to: returnTo } });
    expect(res.status, returnTo).toBe(303);
    return res.headers.location as string;
  }

  it.each([
    'https://evil.example/',
    '//evil',
    '/\\evil',
    '\\\\evil',
    '/%09/evil',
    'http:evil',
    'javascript:alert(1)',
    '/x%0d%0aSet-Cookie:a=b',
    ' /leading-space',
  ])('sends %j to exactly the public root', async (payload) => {
    const signerApp = app();
    expect(await locationFor(signerApp, await getLoginForm(signerApp), payload)).toBe(`${ORIGIN}/`);
  });

  const payloads = openRedirectPayloads();
  const missing = `the shared openredirects.txt was not found: set ${TESTDATA_DIR_VARIABLE} to the directory holding it`;

  describe('with the open-redirect payloads from oauth2-proxy', () => {
    // Defined conditionally, not with skipIf/runIf: under CI any skipped test fails the run.
    if (payloads === undefined) {
      if (CI) it('are found under CI', () => expect.fail(missing));
      else {
        console.warn(`Skipping the open-redirect form login test: ${missing}`);
        it.skip('keep every Location on PUBLIC_ORIGIN once the shared file is found', () => {});
      }
      return;
    }

    it('keeps every Location on PUBLIC_ORIGIN', async () => {
      expect(payloads.length).toBeGreaterThanOrEqual(500);
      const signerApp = app();
      const form = await getLoginForm(signerApp);
      for (const payload of payloads) expect(new URL(await locationFor(signerApp, form, payload)).origin, payload).toBe(ORIGIN);
      expect(stub().received).toHaveLength(payloads.length);
    }, 60_000);
  });
});

describe('a browser form login while the store is down', () => {
  it('shows the sign-in page again with 503 and Retry-After, sets no session cookie, after the app said yes', async () => {
    const store = new MemoryStore();
    store.createSession = () => Promise.reject(new StoreUnavailableError('redis did not answer'));
    const signerApp = signer({ PUBLIC_ORIGIN: ORIGIN }, { store });
    const { res, cookies } = await formLogin(signerApp);
    expect(stub().received).toHaveLength(1);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('<form');
    expect(cookies.has(ACCESS)).toBe(false);
    expect(cookies.has(REFRESH)).toBe(false);
    await store.close();
  });
});
