import type { RequestListener } from 'node:http';
import request from 'supertest';
import { beforeEach, describe, expect, it } from 'vitest';
import { PAGE_CSP } from '../../src/browser/csp.js';
import { createEmbeddedFront } from '../../src/front/embedded.js';
import { parsePolicyText } from '../../src/policy/load-policy.js';
import type { Policy } from '../../src/policy/policy.js';
import { testConfig } from '../fixtures/config.js';
import {
  ACCESS,
  BROWSER_ACCEPT,
  cookieHeader,
  definedHeaders,
  formLogin,
  hiddenField,
  manualClock,
  ORIGIN,
  REFRESH,
  SAME_ORIGIN,
  setCookies,
  type SetCookie,
} from '../fixtures/browser-session.js';
import { useLoginSigner } from '../fixtures/login-signer.js';
import { capturingLogger, silentLogger, useTestKey } from '../fixtures/signer.js';

const { signer, stub } = useLoginSigner();
const embeddedKey = useTestKey();

/** The demo's users: alice is an admin, bob is not; any password passes the stub. */
const ROLES: Record<string, string[]> = { alice: ['admin', 'user'], bob: ['user'] };
beforeEach(() => {
  stub().respond((_req, res, body) => {
    const { username } = JSON.parse(body) as { username: string };
    const roles = ROLES[username];
    res.writeHead(roles ? 200 : 401, { 'content-type': 'application/json' });
    res.end(JSON.stringify(roles ? { sub: username, roles } : { error: 'invalid_credentials' }));
  });
});

const PAGE = '/tokengate/admin';
const XSS_AGENT = 'Mozilla/5.0 <script>alert(1)</script> "onmouseover=x" \'quoted\' `tick` &amp;';

interface Session {
  access: SetCookie;
  refresh: SetCookie;
  sid: string;
  cookie: string;
}

/** A browser sign-in through the form as `username`, with `userAgent`. */
async function signInAs(app: RequestListener, username: string, userAgent = 'test-browser/1.0'): Promise<Session> {
  const { res, cookies } = await formLogin(app, { fields: { username, password: 'x' }, headers: { 'User-Agent': userAgent } });
  expect(res.status).toBe(303);
  const access = cookies.get(ACCESS)!;
  const refresh = cookies.get(REFRESH)!;
  const sid = (JSON.parse(Buffer.from(access.value.split('.')[1]!, 'base64url').toString('utf8')) as { sid: string }).sid;
  return { access, refresh, sid, cookie: cookieHeader(access, refresh) };
}

/** The admin page as a browser holding `cookie` sees it. */
const open = (app: RequestListener, cookie: string | undefined, query = '') =>
  request(app)
    .get(`${PAGE}${query}`)
    .set(definedHeaders({ Accept: BROWSER_ACCEPT, Cookie: cookie }));

/** The page's form token for this admin session, from the row of the admin's own session. */
async function formToken(app: RequestListener, admin: Session): Promise<string> {
  const res = await open(app, admin.cookie, '?user=alice');
  expect(res.status).toBe(200);
  return hiddenField(res.text, 'csrf') ?? '';
}

/** A form post from the page, unless `headers` say otherwise. */
const post = (app: RequestListener, cookie: string | undefined, fields: Record<string, string>, headers: Record<string, string | undefined> = {}) =>
  request(app)
    .post(PAGE)
    .set(definedHeaders({ Accept: BROWSER_ACCEPT, ...SAME_ORIGIN, Cookie: cookie, ...headers }))
    .type('form')
    .send(new URLSearchParams(fields).toString());

/** Whether this session's cookies still pass /verify, by the access cookie and by the refresh cookie. */
async function alive(app: RequestListener, s: Session): Promise<{ access: number; refresh: number }> {
  const access = (await request(app).get('/verify').set('Cookie', s.access.pair)).status;
  const refresh = (await request(app).get('/verify').set('Cookie', s.refresh.pair)).status;
  return { access, refresh };
}

const app = (env: Record<string, string> = {}, deps = {}) => signer({ PUBLIC_ORIGIN: ORIGIN, ...env }, deps);

describe('the admin page: who may see it', () => {
  it("shows an admin a user's live sessions: id, start, last refresh, address, user agent, end", async () => {
    const signerApp = app();
    const bob = await signInAs(signerApp, 'bob', 'bob-browser/2.0');
    const alice = await signInAs(signerApp, 'alice');
    const res = await open(signerApp, alice.cookie, '?user=bob');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<h2>bob: 1 live session</h2>');
    expect(res.text).toContain(`<code>${bob.sid}</code>`);
    expect(res.text).toContain('bob-browser/2.0');
    expect(res.text).toContain('2030-01-01 00:00:00 UTC');
    expect(res.text).toMatch(/<td>(?:::ffff:)?127\.0\.0\.1<\/td>/);
    expect(res.text).toContain('Signed in as <strong>alice</strong>');
    expect(res.text).not.toContain(alice.sid);
  });

  it('escapes everything a client chose: a hostile user agent is text, never markup', async () => {
    const signerApp = app();
    await signInAs(signerApp, 'bob', XSS_AGENT);
    const alice = await signInAs(signerApp, 'alice');
    const res = await open(signerApp, alice.cookie, '?user=bob');
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('<script');
    expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &quot;onmouseover=x&quot; &#39;quoted&#39; &#96;tick&#96; &amp;amp;');
    // The searched name too, in the heading and in every hidden field.
    const odd = await open(signerApp, alice.cookie, `?user=${encodeURIComponent('"><b>x')}`);
    expect(odd.status).toBe(200);
    expect(odd.text).not.toContain('<b>');
    expect(odd.text).toContain('value="&quot;&gt;&lt;b&gt;x"');
  });

  it('sends the sign-in page CSP: no script at all, no inline script, only the hashed stylesheet', async () => {
    const signerApp = app();
    const alice = await signInAs(signerApp, 'alice');
    const res = await open(signerApp, alice.cookie, '?user=bob');
    expect(res.headers['content-security-policy']).toBe(PAGE_CSP);
    expect(PAGE_CSP).toMatch(/^default-src 'none';/);
    expect(PAGE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|script-src/);
    expect(res.headers).toMatchObject({ 'cache-control': 'no-store', 'x-frame-options': 'DENY', 'x-content-type-options': 'nosniff' });
    expect(res.text).not.toMatch(/<script|\son[a-z]+=|javascript:/i);
  });

  it('gives a signed-in user without the admin role the 403 page, without any data', async () => {
    const signerApp = app();
    await signInAs(signerApp, 'alice');
    const bob = await signInAs(signerApp, 'bob');
    const res = await open(signerApp, bob.cookie, '?user=alice');
    expect(res.status).toBe(403);
    expect(res.text).toContain('<h1>Not allowed</h1>');
    expect(res.text).not.toMatch(/alice|csrf|<table/);
    const api = await request(signerApp).get(`${PAGE}?user=alice`).set('Cookie', bob.cookie);
    expect(api.status).toBe(403);
    expect(api.body).toEqual({ error: 'forbidden', message: expect.any(String) });
  });

  it('sends a browser without a session to sign in, coming back to the search; an API client gets 401', async () => {
    const signerApp = app();
    const res = await open(signerApp, undefined, '?user=bob');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(`${ORIGIN}/login?return_to=${encodeURIComponent('/tokengate/admin?user=bob')}`);
    const api = await request(signerApp).get(PAGE);
    expect(api.status).toBe(401);
    expect(api.headers['www-authenticate']).toBe('Bearer realm="tokengate"');
    expect(api.body.error).toBe('unauthorized');
  });

  it('takes a bearer token as /verify does, and refuses a revoked one', async () => {
    const signerApp = app();
    const json = await request(signerApp).post('/login').send({ username: 'alice', password: 'x' });
    const token = (json.body as { token: string }).token;
    const ok = await request(signerApp).get(`${PAGE}?user=bob`).set('Authorization', `Bearer ${token}`);
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('No live sessions for <strong>bob</strong>.');
    expect((await request(signerApp).post('/logout').set('Authorization', `Bearer ${token}`)).status).toBe(204);
    expect((await request(signerApp).get(PAGE).set('Authorization', `Bearer ${token}`)).status).toBe(401);
  });

  it('never believes identity headers: a client X-Auth-* header is refused like at /verify', async () => {
    const signerApp = app();
    const bob = await signInAs(signerApp, 'bob');
    const res = await request(signerApp).get(PAGE).set({ Cookie: bob.cookie, 'X-Auth-Roles': 'admin', 'X-Auth-Sub': 'alice' });
    expect(res.status).toBe(401);
  });

  it('serves an admin whose access cookie expired through the refresh cookie, rotating both', async () => {
    const clock = manualClock();
    const signerApp = app({ TOKEN_TTL_S: '60', CLOCK_SKEW_S: '0' }, { now: clock.now });
    const alice = await signInAs(signerApp, 'alice');
    clock.advance(120);
    const res = await open(signerApp, alice.refresh.pair, '?user=alice');
    expect(res.status).toBe(200);
    expect([...setCookies(res).keys()].sort()).toEqual([ACCESS, REFRESH]);
    // Its form token is bound to the same session: a post with the rotated cookies is taken.
    const rotated = setCookies(res);
    const ended = await post(signerApp, cookieHeader(rotated.get(ACCESS)!, rotated.get(REFRESH)!), {
      csrf: hiddenField(res.text, 'csrf')!,
      user: 'bob',
      action: 'end_all',
    });
    expect(ended.status).toBe(303);
  });

  it('opens to whoever holds the role ADMIN_ROLE names, and only to them', async () => {
    const none = app({ ADMIN_ROLE: 'nobody-has-this' });
    expect((await open(none, (await signInAs(none, 'alice')).cookie)).status).toBe(403);
    const users = app({ ADMIN_ROLE: 'user' });
    expect((await open(users, (await signInAs(users, 'bob')).cookie)).status).toBe(200);
  });

  it('keeps to the policy: refused when it says so, and never anonymous when it says public', async () => {
    const policy = (text: string): (() => Policy) => {
      const parsed = parsePolicyText(text);
      if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
      return () => parsed.policy;
    };
    const denied = app({}, { policy: policy('default: deny\nrules:\n  - { path: /tokengate/admin, anyRole: [auditor] }\n') });
    expect((await open(denied, (await signInAs(denied, 'alice')).cookie)).status).toBe(403);
    const open_ = app({}, { policy: policy('default: deny\nrules:\n  - { path: /tokengate/admin, allow: public }\n') });
    expect((await open(open_, undefined)).status).toBe(302);
    expect((await open(open_, (await signInAs(open_, 'bob')).cookie)).status).toBe(403);
    expect((await open(open_, (await signInAs(open_, 'alice')).cookie)).status).toBe(200);
  });
});

describe('the admin page: ending sessions', () => {
  it("ends every session of a user: 303 back to the search, and none of bob's tokens passes any more", async () => {
    const logger = capturingLogger();
    const signerApp = app({}, { logger: logger.logger });
    const bob1 = await signInAs(signerApp, 'bob');
    const bob2 = await signInAs(signerApp, 'bob');
    const alice = await signInAs(signerApp, 'alice');
    const res = await post(signerApp, alice.cookie, { csrf: await formToken(signerApp, alice), user: 'bob', action: 'end_all' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`${ORIGIN}/tokengate/admin?user=bob&done=ended_all&sessions=2`);
    expect(await alive(signerApp, bob1)).toEqual({ access: 401, refresh: 401 });
    expect(await alive(signerApp, bob2)).toEqual({ access: 401, refresh: 401 });
    expect(await alive(signerApp, alice)).toEqual({ access: 204, refresh: 204 });
    const after = await open(signerApp, alice.cookie, '?user=bob&done=ended_all&sessions=2');
    expect(after.text).toContain('Ended 2 sessions');
    expect(after.text).toContain('No live sessions for <strong>bob</strong>.');
    const lines = logger.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const audit = lines.filter((l) => l.audit === true && l.action === 'sessions.revoke_user');
    expect(audit).toEqual([expect.objectContaining({ actor: 'alice', via: 'page', sub: 'bob', sessions: 2 })]);
    expect(logger.lines.join('')).not.toContain(bob1.access.value.split('.')[2]);
  });

  it('ends one session by id and leaves the others', async () => {
    const signerApp = app();
    const bob1 = await signInAs(signerApp, 'bob');
    const bob2 = await signInAs(signerApp, 'bob');
    const alice = await signInAs(signerApp, 'alice');
    const res = await post(signerApp, alice.cookie, { csrf: await formToken(signerApp, alice), user: 'bob', action: 'end', session: bob1.sid });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`${ORIGIN}/tokengate/admin?user=bob&done=ended`);
    expect(await alive(signerApp, bob1)).toEqual({ access: 401, refresh: 401 });
    expect(await alive(signerApp, bob2)).toEqual({ access: 204, refresh: 204 });
    const page = await open(signerApp, alice.cookie, '?user=bob&done=ended');
    expect(page.text).toContain('The session was ended.');
    expect(page.text).not.toContain(bob1.sid);
    expect(page.text).toContain(bob2.sid);
  });

  describe('refuses a post that did not come from the page, and changes nothing', () => {
    let signerApp: RequestListener;
    let bob: Session;
    let alice: Session;
    let csrf: string;
    beforeEach(async () => {
      signerApp = app();
      bob = await signInAs(signerApp, 'bob');
      alice = await signInAs(signerApp, 'alice');
      csrf = await formToken(signerApp, alice);
    });

    it.each([
      ['without a form token', {}, {}],
      ['with a forged form token', { csrf: 'AAAAAAAAAAAAAAAAAAAAAA.9999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, {}],
      ['from another site (Sec-Fetch-Site)', null, { 'Sec-Fetch-Site': 'cross-site', Origin: 'https://evil.example' }],
      ['from a sibling site (same-site)', null, { 'Sec-Fetch-Site': 'same-site' }],
      ['from another origin (old browser, Origin only)', null, { 'Sec-Fetch-Site': undefined, Origin: 'https://evil.example' }],
      ['from an opaque origin', null, { 'Sec-Fetch-Site': undefined, Origin: 'null' }],
    ] as const)('%s: 403 cross_site_request', async (_name, fields, headers) => {
      const body = { user: 'bob', action: 'end_all', ...(fields ?? { csrf }) };
      const res = await post(signerApp, alice.cookie, body, headers);
      expect(res.status).toBe(403);
      expect(res.text).toContain('This form was not sent from this site.');
      const json = await post(signerApp, alice.cookie, body, { ...headers, Accept: 'application/json' });
      expect(json.status).toBe(403);
      expect(json.body.error).toBe('cross_site_request');
      expect(await alive(signerApp, bob)).toEqual({ access: 204, refresh: 204 });
    });

    it("with the sign-out form's token of the same session: 403", async () => {
      const logout = await request(signerApp).get('/logout').set({ Accept: BROWSER_ACCEPT, Cookie: alice.cookie });
      const res = await post(signerApp, alice.cookie, { csrf: hiddenField(logout.text, 'csrf')!, user: 'bob', action: 'end_all' });
      expect(res.status).toBe(403);
      expect(await alive(signerApp, bob)).toEqual({ access: 204, refresh: 204 });
    });

    it("with another admin session's form token: 403", async () => {
      const other = await signInAs(signerApp, 'alice');
      const res = await post(signerApp, alice.cookie, { csrf: await formToken(signerApp, other), user: 'bob', action: 'end_all' });
      expect(res.status).toBe(403);
      expect(await alive(signerApp, bob)).toEqual({ access: 204, refresh: 204 });
    });

    it('from a non-admin, even with a form token: the 403 page', async () => {
      const res = await post(signerApp, bob.cookie, { csrf, user: 'alice', action: 'end_all' });
      expect(res.status).toBe(403);
      expect(res.text).toContain('<h1>Not allowed</h1>');
      expect(await alive(signerApp, alice)).toEqual({ access: 204, refresh: 204 });
    });

    it('without a session: the login redirect', async () => {
      const res = await post(signerApp, undefined, { csrf, user: 'bob', action: 'end_all' });
      expect(res.status).toBe(302);
      expect(await alive(signerApp, bob)).toEqual({ access: 204, refresh: 204 });
    });
  });
});

describe('the admin page: bad input gets a clear 4xx and changes nothing', () => {
  let signerApp: RequestListener;
  let bob: Session;
  let alice: Session;
  beforeEach(async () => {
    signerApp = app();
    bob = await signInAs(signerApp, 'bob');
    alice = await signInAs(signerApp, 'alice');
  });

  it.each([
    ['a user over 256 characters', `?user=${'b'.repeat(257)}`, 400],
    ['a control character', '?user=bo%01b', 400],
    ['a line feed', '?user=bob%0Aalice', 400],
    ['non-ASCII', `?user=${encodeURIComponent('bób')}`, 400],
    ['the user twice', '?user=bob&user=alice', 400],
    ['a huge query', `?user=bob&pad=${'x'.repeat(5000)}`, 414],
  ])('searching with %s', async (_name, query, status) => {
    const res = await open(signerApp, alice.cookie, query);
    expect(res.status).toBe(status);
    expect(res.text).toContain('Back to the admin page');
    expect(res.text).not.toContain(bob.sid);
    expect(res.headers['content-security-policy']).toBe(PAGE_CSP);
    const json = await request(signerApp).get(`${PAGE}${query}`).set('Cookie', alice.cookie);
    expect(json.status).toBe(status);
  });

  it.each([
    ['a malformed session id', { action: 'end', session: 'not a session id!' }, 400],
    ['an empty session id', { action: 'end', session: '' }, 400],
    ['an unknown session', { action: 'end', session: 'AAAAAAAAAAAAAAAAAAAAAA' }, 404],
    ["another user's session", { action: 'end', session: '<alice>' }, 404],
    ['an unknown action', { action: 'delete' }, 400],
    ['no action', {}, 400],
    ['a malformed user', { action: 'end_all', user: 'bo\u0001b' }, 400],
    ['no user', { action: 'end_all', user: undefined }, 400],
  ])('posting %s', async (_name, fields, status) => {
    const form: Record<string, string | undefined> = { csrf: await formToken(signerApp, alice), user: 'bob', ...fields };
    if (form.session === '<alice>') form.session = alice.sid;
    const defined = Object.fromEntries(Object.entries(form).filter((e): e is [string, string] => e[1] !== undefined));
    const res = await post(signerApp, alice.cookie, defined);
    expect(res.status).toBe(status);
    expect(await alive(signerApp, bob)).toEqual({ access: 204, refresh: 204 });
    expect(await alive(signerApp, alice)).toEqual({ access: 204, refresh: 204 });
  });

  it('a field sent twice: 400', async () => {
    const csrf = await formToken(signerApp, alice);
    const res = await request(signerApp)
      .post(PAGE)
      .set({ Accept: BROWSER_ACCEPT, ...SAME_ORIGIN, Cookie: alice.cookie })
      .type('form')
      .send(`csrf=${encodeURIComponent(csrf)}&user=bob&user=alice&action=end_all`);
    expect(res.status).toBe(400);
    expect(await alive(signerApp, bob)).toEqual({ access: 204, refresh: 204 });
  });

  it('a JSON body, or a body past the cap: refused', async () => {
    const csrf = await formToken(signerApp, alice);
    const json = await request(signerApp)
      .post(PAGE)
      .set({ ...SAME_ORIGIN, Cookie: alice.cookie })
      .send({ csrf, user: 'bob', action: 'end_all' });
    expect(json.status).toBe(415);
    const big = await post(signerApp, alice.cookie, { csrf, user: 'bob', action: 'end_all', pad: 'x'.repeat(20_000) });
    expect(big.status).toBe(413);
    expect(await alive(signerApp, bob)).toEqual({ access: 204, refresh: 204 });
  });

  it('another method: 405 with Allow', async () => {
    const res = await request(signerApp).delete(PAGE).set('Cookie', alice.cookie);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD, POST');
  });
});

describe('the admin page through the embedded front', () => {
  it('is served before the front checks for the app: an admin sees it, anyone else does not', async () => {
    const front = createEmbeddedFront(testConfig({ AUTHENTICATE_URL: stub().url, UPSTREAM_URL: 'http://127.0.0.1:9', PUBLIC_ORIGIN: ORIGIN }), {
      logger: silentLogger(),
      key: embeddedKey(),
    });
    const bob = await signInAs(front, 'bob', XSS_AGENT);
    const alice = await signInAs(front, 'alice');
    const res = await open(front, alice.cookie, '?user=bob');
    expect(res.status).toBe(200);
    expect(res.text).toContain(bob.sid);
    expect(res.text).not.toContain('<script');
    expect(res.headers['content-security-policy']).toBe(PAGE_CSP);
    expect((await open(front, bob.cookie)).status).toBe(403);
    expect((await open(front, undefined)).status).toBe(302);
    const ended = await post(front, alice.cookie, { csrf: await formToken(front, alice), user: 'bob', action: 'end_all' });
    expect(ended.status).toBe(303);
    expect((await request(front).get('/').set('Cookie', bob.cookie)).status).toBe(401);
  });
});
