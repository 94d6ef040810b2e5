import request from 'supertest';
import { describe, expect, it } from 'vitest';
import {
  ACCESS,
  BROWSER_ACCEPT,
  cookieHeader,
  manualClock,
  ORIGIN,
  REFRESH,
  scopeOf,
  setCookieHeaders,
  setCookies,
  signIn,
  type SetCookie,
} from '../fixtures/browser-session.js';
import { useLoginSigner } from '../fixtures/login-signer.js';
import { capturingLogger } from '../fixtures/signer.js';

const { signer } = useLoginSigner();
const TTL_S = 900;
const SKEW_S = 30;
const GRACE_S = 10;
/** Past the access token's `exp` and the clock leeway: the access cookie is dead. */
const ACCESS_DEAD_S = TTL_S + SKEW_S + 1;

/** A signer on ORIGIN whose clock (shared by its store) the test moves, and its log lines. */
function setup(env: Record<string, string> = {}) {
  const clock = manualClock();
  const { logger, lines } = capturingLogger();
  const app = signer({ PUBLIC_ORIGIN: ORIGIN, ...env }, { now: clock.now, logger });
  /** Why /verify refused, from the log: a stable reason code. */
  const reasons = () =>
    lines
      .map((l) => JSON.parse(l) as { msg: string; reason?: string })
      .filter((l) => l.msg === 'verify refused')
      .map((l) => l.reason);
  return { app, clock, reasons };
}

const verify = (app: ReturnType<typeof setup>['app'], ...cookies: SetCookie[]) =>
  request(app)
    .get('/verify')
    .set('Cookie', cookieHeader(...cookies));

/** The response cleared both session cookies (Max-Age=0) with the attributes they were set with, in both places nginx reads. */
function expectCleared(res: request.Response, session: { access: SetCookie; refresh: SetCookie }): void {
  const cookies = setCookies(res);
  for (const [name, set] of [
    [ACCESS, session.access],
    [REFRESH, session.refresh],
  ] as const) {
    expect(cookies.get(name)?.value, name).toBe('');
    expect(cookies.get(name)?.attributes['max-age'], name).toBe('0');
    expect(scopeOf(cookies.get(name)!), name).toEqual(scopeOf(set));
  }
  expect([res.headers['x-tokengate-access-cookie'], res.headers['x-tokengate-refresh-cookie']]).toEqual(setCookieHeaders(res));
}

describe('/verify with browser session cookies', () => {
  it('answers 204 with the identity and no Set-Cookie for a valid access cookie', async () => {
    const { app } = setup();
    const session = await signIn(app);
    const res = await verify(app, session.access, session.refresh);
    expect(res.status).toBe(204);
    expect(res.headers['x-auth-sub']).toBe('alice');
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.headers['x-tokengate-access-cookie']).toBeUndefined();
  });

  describe('once the access cookie has expired', () => {
    it.each([
      ['the expired access cookie and the refresh cookie', true],
      ['only the refresh cookie, as the browser dropped the other', false],
    ])('rotates both cookies when sent %s', async (_case, withAccess) => {
      const { app, clock } = setup();
      const session = await signIn(app);
      clock.advance(ACCESS_DEAD_S);
      const res = await verify(app, ...(withAccess ? [session.access] : []), session.refresh);
      expect(res.status).toBe(204);
      expect(res.headers['x-auth-sub']).toBe('alice');
      const headers = setCookieHeaders(res);
      expect(headers).toHaveLength(2);
      expect(res.headers['x-tokengate-access-cookie']).toBe(headers.find((h) => h.startsWith(`${ACCESS}=`)));
      expect(res.headers['x-tokengate-refresh-cookie']).toBe(headers.find((h) => h.startsWith(`${REFRESH}=`)));
      const rotated = setCookies(res);
      expect(rotated.get(ACCESS)?.attributes).toEqual(session.access.attributes);
      expect(rotated.get(REFRESH)?.value).not.toBe(session.refresh.value);
    });

    it('lets the new access cookie through on its own, without new cookies', async () => {
      const { app, clock } = setup();
      const session = await signIn(app);
      clock.advance(ACCESS_DEAD_S);
      const fresh = setCookies(await verify(app, session.access, session.refresh));
      const res = await verify(app, fresh.get(ACCESS)!);
      expect(res.status).toBe(204);
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('refuses the expired access cookie alone and clears both cookies', async () => {
      const { app, clock } = setup();
      const session = await signIn(app);
      clock.advance(ACCESS_DEAD_S);
      const res = await verify(app, session.access);
      expect(res.status).toBe(401);
      expectCleared(res, session);
    });
  });

  describe('when a rotated-away refresh cookie comes back', () => {
    it(`lets it through without cookies within REFRESH_GRACE_S (${GRACE_S}s)`, async () => {
      const { app, clock } = setup();
      const session = await signIn(app);
      clock.advance(ACCESS_DEAD_S);
      expect((await verify(app, session.access, session.refresh)).status).toBe(204);
      clock.advance(GRACE_S - 1);
      const res = await verify(app, session.access, session.refresh);
      expect(res.status).toBe(204);
      expect(res.headers['x-auth-sub']).toBe('alice');
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('after the grace window refuses it, clears the cookies and ends the session, new cookies too', async () => {
      const { app, clock, reasons } = setup();
      const session = await signIn(app);
      clock.advance(ACCESS_DEAD_S);
      const rotated = setCookies(await verify(app, session.access, session.refresh));
      clock.advance(GRACE_S);
      const res = await verify(app, session.access, session.refresh);
      expect(res.status).toBe(401);
      expect(reasons()).toEqual(['refresh_token_reused']);
      expectCleared(res, session);
      expect((await verify(app, rotated.get(ACCESS)!)).status).toBe(401);
      expect((await verify(app, rotated.get(REFRESH)!)).status).toBe(401);
      expect(reasons()).toEqual(['refresh_token_reused', 'revoked', 'session_ended']);
    });
  });

  describe('refuses a token in the wrong cookie, by its typ', () => {
    it('a refresh token in the access cookie', async () => {
      const { app, reasons } = setup();
      const session = await signIn(app);
      const res = await verify(app, { ...session.refresh, pair: `${ACCESS}=${session.refresh.value}` });
      expect(res.status).toBe(401);
      expect(reasons()).toEqual(['wrong_token_type']);
      expectCleared(res, session);
    });

    it('an access token in the refresh cookie', async () => {
      const { app, reasons } = setup();
      const session = await signIn(app);
      const res = await verify(app, { ...session.access, pair: `${REFRESH}=${session.access.value}` });
      expect(res.status).toBe(401);
      expect(reasons()).toEqual(['wrong_token_type']);
      expectCleared(res, session);
    });
  });

  describe('the login redirect', () => {
    const LOGIN = `${ORIGIN}/login?return_to=${encodeURIComponent('/app/report?q=1')}`;

    it.each<[string, Record<string, string>, string | undefined]>([
      ['a browser without a session', { Accept: BROWSER_ACCEPT }, LOGIN],
      ['an API client asking for JSON', { Accept: 'application/json' }, undefined],
      ['a client without Accept', {}, undefined],
      ['a client that refuses HTML (q=0)', { Accept: 'text/html;q=0, application/json' }, undefined],
      ['a browser with a bad Authorization header', { Accept: BROWSER_ACCEPT, Authorization: 'Bearer not.a.token' }, undefined],
    ])('is given to %s', async (_case, headers, location) => {
      const { app } = setup();
      const res = await request(app)
        .get('/verify')
        .set({ 'X-Original-URI': '/app/report?q=1', ...headers });
      expect(res.status).toBe(401);
      expect(res.headers['x-tokengate-location']).toBe(location);
    });

    it('is given to a browser whose session is dead, beside the cleared cookies', async () => {
      const { app, clock } = setup();
      const session = await signIn(app);
      clock.advance(ACCESS_DEAD_S);
      const res = await verify(app, session.access).set({ Accept: BROWSER_ACCEPT, 'X-Original-URI': '/app/report?q=1' });
      expect(res.status).toBe(401);
      expect(res.headers['x-tokengate-location']).toBe(LOGIN);
      expectCleared(res, session);
    });

    it.each([
      ['Host and X-Forwarded-Host name another site', '/app/report?q=1', LOGIN],
      ['the original URI is protocol-relative', '//evil.example/x', `${ORIGIN}/login`],
    ])('stays on PUBLIC_ORIGIN when %s', async (_case, uri, location) => {
      const { app } = setup();
      const res = await request(app)
        .get('/verify')
        .set({ Accept: BROWSER_ACCEPT, 'X-Original-URI': uri, Host: 'evil.example', 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'http' });
      expect(res.headers['x-tokengate-location']).toBe(location);
    });
  });

  describe('a token in the request wins over the cookies', () => {
    it('a good Authorization header, with no cookie touched', async () => {
      const { app } = setup();
      const session = await signIn(app);
      const res = await verify(app, { ...session.access, pair: `${ACCESS}=garbage` }).set('Authorization', `Bearer ${session.access.value}`);
      expect(res.status).toBe(204);
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('a bad Authorization header, even beside a good access cookie', async () => {
      const { app } = setup();
      const session = await signIn(app);
      const res = await verify(app, session.access, session.refresh).set('Authorization', 'Bearer not.a.token');
      expect(res.status).toBe(401);
      expect(res.headers['set-cookie']).toBeUndefined();
    });
  });

  describe('SESSION_MAX_AGE_S', () => {
    const MAX_AGE_S = 3600;

    it('is never extended by a rotation, and after it the refresh cookie no longer works', async () => {
      const { app, clock, reasons } = setup({ SESSION_MAX_AGE_S: String(MAX_AGE_S) });
      const session = await signIn(app);
      expect(session.refresh.attributes['max-age']).toBe(String(MAX_AGE_S));
      clock.advance(ACCESS_DEAD_S);
      const rotated = setCookies(await verify(app, session.refresh));
      expect(rotated.get(REFRESH)?.attributes['max-age']).toBe(String(MAX_AGE_S - ACCESS_DEAD_S));
      clock.advance(MAX_AGE_S - ACCESS_DEAD_S + 1);
      const res = await verify(app, rotated.get(REFRESH)!);
      expect(res.status).toBe(401);
      expect(reasons()).toEqual(['session_ended']);
      expectCleared(res, session);
    });
  });
});
