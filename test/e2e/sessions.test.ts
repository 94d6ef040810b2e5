import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCESS,
  BROWSER_ACCEPT,
  CSRF,
  REFRESH,
  cookieHeader,
  definedHeaders,
  hiddenField,
  parseSetCookie,
  type SetCookie,
} from '../fixtures/browser-session.js';
import { FRONTS, frontAvailable, http, launch, rawHttp, type Reply, type TestStack, loginPacer } from './harness.js';

interface Echo {
  sub: string;
  request: { cookies: string[]; auth_headers: Record<string, string> };
}

const RETURN_TO = '/api/whoami?tab=2&q=a%20b';
const JSON_ACCEPT = 'application/json';

/** The response's cookies by name, from every Set-Cookie header; a name set twice fails the test. */
function cookiesOf(res: Reply): Map<string, SetCookie> {
  const map = new Map<string, SetCookie>();
  for (const header of res.headers.getSetCookie()) {
    const cookie = parseSetCookie(header);
    expect(map.has(cookie.name), `${cookie.name} set twice`).toBe(false);
    map.set(cookie.name, cookie);
  }
  return map;
}

/** A session cookie as a browser keeps it after its Max-Age ran out: gone. */
const cleared = (cookie: SetCookie | undefined) => cookie?.value === '' && cookie.attributes['max-age'] === '0';

/** A header of a raw answer, matched without regard to case. */
const rawHeader = (head: string, name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1]?.trim();

/** The value the app received for an identity header, whatever case the front wrote its name in. */
const authHeader = (echo: Echo, name: string) => Object.entries(echo.request.auth_headers).find(([k]) => k.toLowerCase() === name)?.[1];

describe.each(FRONTS.filter(frontAvailable))('browser sessions through the %s front', (front) => {
  let stack: TestStack;
  let base: string;
  // Every second use of a refresh token is theft: the reuse case needs no wait.
  beforeAll(async () => {
    stack = await launch(front, { REFRESH_GRACE_S: '0' });
    base = stack.url;
  });
  afterAll(async () => {
    await stack?.cleanup();
  });

  const paced = loginPacer();
  const sameOrigin = () => ({ Origin: base, 'Sec-Fetch-Site': 'same-origin' });
  const get = async (path: string, headers: Record<string, string | undefined>) => {
    await paced(path);
    return http(`${base}${path}`, { headers: definedHeaders(headers) });
  };
  const browserGet = (path: string, cookie?: string) => get(path, { Accept: BROWSER_ACCEPT, Cookie: cookie });
  const postForm = async (path: string, fields: Record<string, string>, headers: Record<string, string | undefined>) => {
    await paced(path);
    return http(`${base}${path}`, {
      method: 'POST',
      headers: definedHeaders({ Accept: BROWSER_ACCEPT, 'Content-Type': 'application/x-www-form-urlencoded', ...headers }),
      body: new URLSearchParams(fields).toString(),
    });
  };
  const postJson = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    await paced(path);
    return http(`${base}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: JSON_ACCEPT, ...headers },
      body: JSON.stringify(body),
    });
  };

  /** GET /login: the hidden CSRF token and its cookie. */
  async function loginForm(returnTo?: string) {
    const res = await browserGet(returnTo === undefined ? '/login' : `/login?return_to=${encodeURIComponent(returnTo)}`);
    const cookie = cookiesOf(res).get(CSRF);
    const csrf = hiddenField(res.text, 'csrf');
    if (res.status !== 200 || cookie === undefined || csrf === undefined) throw new Error(`GET /login gave no CSRF token and cookie (${res.status})`);
    return { cookie, csrf, returnTo: hiddenField(res.text, 'return_to') ?? '/' };
  }

  /** The sign-in form posted as a browser on the gateway's own page posts it. */
  async function formLogin(returnTo?: string, headers: Record<string, string | undefined> = sameOrigin()) {
    const form = await loginForm(returnTo);
    const fields = { return_to: form.returnTo, csrf: form.csrf, username: 'alice', password: 'wonderland' };
    const res = await postForm('/login', fields, { ...headers, Cookie: form.cookie.pair });
    return { res, cookies: cookiesOf(res), csrf: form.cookie };
  }

  async function signIn() {
    const { res, cookies, csrf } = await formLogin();
    expect(res.status).toBe(303);
    const access = cookies.get(ACCESS);
    const refresh = cookies.get(REFRESH);
    if (access === undefined || refresh === undefined) throw new Error('the form login set no session cookies');
    return { access, refresh, csrf };
  }

  /** A browser whose access cookie expired: only the refresh cookie (and its own) go out; the app's answer carries the new pair. */
  async function silentRefresh(refresh: SetCookie) {
    const res = await browserGet('/api/whoami', `theme=dark; ${refresh.pair}`);
    expect(res.status).toBe(200);
    return { res, cookies: cookiesOf(res), echo: res.json() as Echo };
  }

  describe('a visitor without a session', () => {
    it('is redirected by a browser navigation to the login page, keeping the path and query', async () => {
      const res = await browserGet(RETURN_TO);
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe(`${base}/login?return_to=${encodeURIComponent(RETURN_TO)}`);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.getSetCookie()).toEqual([]);
    });

    it('is redirected to the gateway origin whatever Host and X-Forwarded-Host say', async () => {
      const res = await rawHttp(
        base,
        `GET ${RETURN_TO} HTTP/1.1\r\nHost: evil.example\r\nX-Forwarded-Host: evil.example\r\nX-Forwarded-Proto: https\r\nAccept: ${BROWSER_ACCEPT}\r\nConnection: close\r\n\r\n`,
      );
      expect(res.status).toBe(302);
      expect(rawHeader(res.head, 'location')).toBe(`${base}/login?return_to=${encodeURIComponent(RETURN_TO)}`);
    });

    it('gets a 401 JSON answer without Location from an API request', async () => {
      const res = await get(RETURN_TO, { Accept: JSON_ACCEPT });
      expect(res.status).toBe(401);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="tokengate"');
      expect(res.json()).toMatchObject({ error: 'unauthorized' });
    });

    it('gets a 401, not a redirect, for a bad bearer token even when it accepts HTML', async () => {
      const res = await get(RETURN_TO, { Accept: BROWSER_ACCEPT, Authorization: 'Bearer garbage' });
      expect([res.status, res.headers.get('location')]).toEqual([401, null]);
    });
  });

  describe('the sign-in form', () => {
    it('sets a CSRF cookie holding the token of the hidden field', async () => {
      const form = await loginForm(RETURN_TO);
      expect(decodeURIComponent(form.cookie.value)).toBe(form.csrf);
      expect(form.cookie.attributes).toMatchObject({ httponly: true, secure: true, path: '/', samesite: 'Strict' });
      expect(form.returnTo).toBe(RETURN_TO);
    });

    it('answers a same-origin post with 303 to return_to on the gateway origin and both session cookies', async () => {
      const { res, cookies } = await formLogin(RETURN_TO);
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`${base}${RETURN_TO}`);
      expect(cookies.get(ACCESS)?.attributes).toMatchObject({ httponly: true, secure: true, path: '/', samesite: 'Lax', 'max-age': '900' });
      expect(cookies.get(REFRESH)?.attributes).toMatchObject({ httponly: true, secure: true, path: '/', samesite: 'Strict' });
      const landing = await browserGet(RETURN_TO, cookieHeader(cookies.get(ACCESS)!, cookies.get(REFRESH)!));
      expect(landing.status).toBe(200);
      expect((landing.json() as Echo).sub).toBe('alice');
    });

    it('refuses a cross-site post with a valid CSRF pair (403, no session)', async () => {
      const { res, cookies } = await formLogin(undefined, { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' });
      expect(res.status).toBe(403);
      expect(cookies.has(ACCESS) || cookies.has(REFRESH)).toBe(false);
    });
  });

  describe('silent refresh', () => {
    it('rotates both cookies on the way to the app, which sees neither', async () => {
      const { refresh } = await signIn();
      const { res, cookies, echo } = await silentRefresh(refresh);
      // nginx keeps one Set-Cookie of a subrequest: two here proves the split headers.
      expect(res.headers.getSetCookie()).toHaveLength(2);
      expect([...cookies.keys()].sort()).toEqual([ACCESS, REFRESH].sort());
      expect(cookies.get(REFRESH)?.value).not.toBe(refresh.value);
      expect(echo.sub).toBe('alice');
      expect(echo.request.cookies).toEqual(['theme']);
      expect(authHeader(echo, 'x-auth-sub')).toBe('alice');

      const again = await browserGet('/api/whoami', cookieHeader(cookies.get(ACCESS)!, cookies.get(REFRESH)!));
      expect(again.status).toBe(200);
      expect(again.headers.getSetCookie()).toEqual([]);
    });

    it("adds both cookies next to the app's own, and marks that answer no-store", async () => {
      const { refresh } = await signIn();
      const res = await get('/api/prefs', { Accept: JSON_ACCEPT, Cookie: cookieHeader(refresh) });
      expect(res.status).toBe(200);
      expect([...cookiesOf(res).keys()].sort()).toEqual([ACCESS, REFRESH, 'app_pref'].sort());
      expect(res.headers.get('cache-control')).toBe('no-store');
      // Without a rotation the app's caching stands.
      const again = await get('/api/prefs', { Accept: JSON_ACCEPT, Cookie: cookieHeader(cookiesOf(res).get(ACCESS)!) });
      expect([...cookiesOf(again).keys()]).toEqual(['app_pref']);
      expect(again.headers.get('cache-control')).toBe('public, max-age=60');
    });

    it('still delivers the rotated cookies when the request fails after the check (a chunked body over the limit)', async () => {
      const { refresh } = await signIn();
      const chunk = new Uint8Array(64 * 1024);
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 160; i++) controller.enqueue(chunk); // 10 MiB, no Content-Length
          controller.close();
        },
      });
      const res = await http(`${base}/api/upload`, {
        method: 'POST',
        headers: { Accept: JSON_ACCEPT, Cookie: cookieHeader(refresh) },
        body,
        duplex: 'half',
      } as RequestInit);
      expect(res.status).toBe(413);
      expect([...cookiesOf(res).keys()].sort()).toEqual([ACCESS, REFRESH].sort());
    });

    it('treats the rotated-out refresh cookie as theft: login redirect, cookies cleared, the new pair refused', async () => {
      const { refresh: old } = await signIn();
      const { cookies } = await silentRefresh(old);
      const replay = await browserGet('/api/whoami', old.pair);
      expect(replay.status).toBe(302);
      expect(replay.headers.get('location')).toBe(`${base}/login?return_to=${encodeURIComponent('/api/whoami')}`);
      const clears = cookiesOf(replay);
      expect(cleared(clears.get(ACCESS)) && cleared(clears.get(REFRESH))).toBe(true);

      const fresh = await browserGet('/api/whoami', cookieHeader(cookies.get(ACCESS)!, cookies.get(REFRESH)!));
      expect(fresh.status).toBe(302);
      expect((await get('/api/whoami', { Accept: JSON_ACCEPT, Cookie: cookies.get(ACCESS)!.pair })).status).toBe(401);
      expect((await get('/api/whoami', { Accept: JSON_ACCEPT, Cookie: cookies.get(REFRESH)!.pair })).status).toBe(401);
    });
  });

  describe('the app never sees a gateway cookie', () => {
    let session: { access: SetCookie; refresh: SetCookie; csrf: SetCookie };
    beforeAll(async () => {
      session = await signIn();
    });

    // nginx's maps cut one occurrence of each name and drop the whole header if any is left;
    // the embedded front runs the same maps (src/front/strip-cookies.ts).
    it.each<[string, (s: typeof session) => string, string[]]>([
      ['between others', (s) => `a=1; ${s.access.pair}; b=2`, ['a', 'b']],
      ['first', (s) => `${s.access.pair}; a=1`, ['a']],
      ['last, after a bare ";"', (s) => `a=1;${s.access.pair}`, ['a']],
      ['alone', (s) => s.access.pair, []],
      ['with the refresh and CSRF cookies', (s) => `${s.csrf.pair}; a=1; ${s.refresh.pair}; ${s.access.pair}; b=2`, ['a', 'b']],
      ['with unprefixed spellings', (s) => `tg_csrf=x; a=1; ${s.access.pair}; tg_refresh=y`, ['a']],
      ['twice', (s) => `a=1; ${s.access.pair}; ${s.access.pair}; b=2`, []],
      ['spelled with a space before "="', (s) => `a=1; ${ACCESS} =${s.access.value}`, ['a']],
    ])('strips the access cookie %s', async (_name, cookie, expected) => {
      const res = await get('/api/whoami', { Accept: JSON_ACCEPT, Cookie: cookie(session) });
      expect(res.status).toBe(200);
      expect((res.json() as Echo).request.cookies).toEqual(expected);
    });

    it('strips it from a second Cookie header line', async () => {
      const res = await rawHttp(base, `GET /api/whoami HTTP/1.1\r\nHost: t\r\nCookie: a=1\r\nCookie: ${session.access.pair}; b=2\r\nConnection: close\r\n\r\n`);
      expect(res.status).toBe(200);
      expect((JSON.parse(res.body) as Echo).request.cookies).toEqual(['a', 'b']);
    });
  });

  describe('signing out', () => {
    it('asks with a CSRF form, then revokes the session and clears the cookies', async () => {
      const { access, refresh } = await signIn();
      const session = cookieHeader(access, refresh);
      const page = await browserGet('/logout', session);
      const csrf = hiddenField(page.text, 'csrf') ?? '';
      expect([page.status, csrf.length > 0]).toEqual([200, true]);

      const res = await postForm('/logout', { csrf }, { ...sameOrigin(), Cookie: session });
      expect(res.status).toBe(200);
      expect(res.headers.get('clear-site-data')).toBe('"cookies"');
      const clears = cookiesOf(res);
      expect(cleared(clears.get(ACCESS)) && cleared(clears.get(REFRESH))).toBe(true);

      const replay = await browserGet('/api/whoami', access.pair);
      expect(replay.status).toBe(302);
      expect(replay.headers.get('location')).toMatch(new RegExp(`^${base}/login`));
      expect((await get('/api/whoami', { Accept: JSON_ACCEPT, Cookie: access.pair })).status).toBe(401);
      expect((await browserGet('/api/whoami', refresh.pair)).status).toBe(302);
    });

    it('revokes a bearer token before it expires on a bodyless POST /logout (204)', async () => {
      const login = await postJson('/login', { username: 'alice', password: 'wonderland' });
      const { token, refresh_token } = login.json() as { token: string; refresh_token: string };
      const bearer = { Accept: JSON_ACCEPT, Authorization: `Bearer ${token}` };
      expect((await get('/api/whoami', bearer)).status).toBe(200);

      await paced('/logout');
      const res = await http(`${base}/logout`, { method: 'POST', headers: bearer });
      expect(res.status).toBe(204);
      // At once; the OpenResty front's cache hears of it from the revocation feed, within a second.
      const refusedBy = performance.now() + (front === 'openresty' ? 1_000 : 0);
      let status = (await get('/api/whoami', bearer)).status;
      while (status === 200 && performance.now() < refusedBy) {
        await new Promise((r) => setTimeout(r, 50));
        status = (await get('/api/whoami', bearer)).status;
      }
      expect(status).toBe(401);
      expect((await postJson('/refresh', { refresh_token })).status).toBe(401);
    });
  });

  describe('POST /refresh for API clients', () => {
    it('trades a refresh token in a JSON body for a new pair', async () => {
      const login = (await postJson('/login', { username: 'alice', password: 'wonderland' })).json() as { refresh_token: string };
      const res = await postJson('/refresh', { refresh_token: login.refresh_token });
      expect(res.status).toBe(200);
      const pair = res.json() as { token: string; refresh_token: string };
      expect(pair).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
      expect(pair.refresh_token).not.toBe(login.refresh_token);
      expect((await get('/api/whoami', { Accept: JSON_ACCEPT, Authorization: `Bearer ${pair.token}` })).status).toBe(200);
    });

    it('answers GET /refresh with 405', async () => {
      const res = await get('/refresh', { Accept: JSON_ACCEPT });
      expect([res.status, res.headers.get('allow')]).toEqual([405, 'POST']);
    });
  });
});
