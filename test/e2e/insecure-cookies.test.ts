import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_ACCEPT, hiddenField, parseSetCookie, type SetCookie } from '../fixtures/browser-session.js';
import { FRONTS, frontAvailable, http, launch, type TestStack } from './harness.js';

/** The response's cookies by name. */
const cookiesOf = (headers: Headers): Map<string, SetCookie> => new Map(headers.getSetCookie().map((h) => [parseSetCookie(h).name, parseSetCookie(h)]));

// COOKIE_SECURE=false is for a plain-http demo on a LAN address: the cookies lose Secure and the
// __Host- prefix (browsers would refuse it without Secure), and the signer says so at start.
describe.each(FRONTS.filter(frontAvailable))('COOKIE_SECURE=false through the %s front', (front) => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await launch(front, { COOKIE_SECURE: 'false' });
  });
  afterAll(async () => {
    await stack?.cleanup();
  });

  it('logs a warning at start', () => {
    const log = readFileSync(join(stack.workDir, 'logs', `${front === 'embedded' ? 'front' : 'signer'}.log`), 'utf8');
    expect(log).toMatch(/"level":40[^\n]*COOKIE_SECURE=false/);
  });

  it('signs in with tg_* cookies without Secure or the __Host- prefix, which the app never sees', async () => {
    const page = await http(`${stack.url}/login`, { headers: { Accept: BROWSER_ACCEPT } });
    const csrfCookie = cookiesOf(page.headers).get('tg_csrf');
    expect(csrfCookie?.attributes.secure).toBeUndefined();
    const body = new URLSearchParams({ csrf: hiddenField(page.text, 'csrf') ?? '', return_to: '/', username: 'alice', password: 'wonderland' });
    const headers = {
      Accept: BROWSER_ACCEPT,
      Origin: stack.url,
      'Sec-Fetch-Site': 'same-origin',
      'Content-Type': 'application/x-www-form-urlencoded',
      Cookie: csrfCookie!.pair,
    };
    const signedIn = await http(`${stack.url}/login`, { method: 'POST', headers, body: body.toString() });
    expect(signedIn.status).toBe(303);
    const cookies = cookiesOf(signedIn.headers);
    expect([...cookies.keys()].sort()).toEqual(['tg_access', 'tg_refresh']);
    for (const cookie of cookies.values()) expect(cookie.attributes).toMatchObject({ httponly: true, path: '/' });
    for (const cookie of cookies.values()) expect(cookie.attributes.secure).toBeUndefined();

    const cookie = `${cookies.get('tg_access')!.pair}; ${cookies.get('tg_refresh')!.pair}; tg_csrf=x; theme=dark`;
    const echo = await http(`${stack.url}/api/whoami`, { headers: { Accept: 'application/json', Cookie: cookie } });
    expect(echo.status).toBe(200);
    expect((echo.json() as { request: { cookies: string[] } }).request.cookies).toEqual(['theme']);
  });
});
