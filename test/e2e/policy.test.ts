import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_ACCEPT } from '../fixtures/browser-session.js';
import { formSession } from '../fixtures/form-session.js';
import { FRONTS, frontAvailable, http, launch, login, loginPacer, rawHttp, type TestStack } from './harness.js';
import { ADMIN_ANSWER, TRICKS, type Who } from '../fixtures/path-tricks.js';

describe.each(FRONTS)('the demo policy through the %s front', (front) => {
  const available = frontAvailable(front);
  let stack: TestStack;
  const tokens: Record<Who, string | undefined> = { alice: undefined, bob: undefined, nobody: undefined };
  const paced = loginPacer();
  const fetchPaced = async (url: string, init?: RequestInit) => {
    await paced(new URL(url).pathname);
    return http(url, init);
  };
  beforeAll(async () => {
    if (!available) return;
    stack = await launch(front);
    await paced('/login');
    tokens.alice = await login(stack.url, 'alice', 'wonderland');
    await paced('/login');
    tokens.bob = await login(stack.url, 'bob', 'builder');
  });
  afterAll(async () => {
    await stack?.cleanup();
  });

  const bearer = (who: Who): Record<string, string> => (tokens[who] === undefined ? {} : { Authorization: `Bearer ${tokens[who]}` });

  describe.skipIf(!available)('bob and alice on /admin', () => {
    it('lets alice (role admin) through to the app, with her identity', async () => {
      const res = await http(`${stack.url}/admin/settings`, { headers: bearer('alice') });
      expect(res.status).toBe(200);
      expect(res.json()).toMatchObject({ area: 'admin', sub: 'alice', roles: ['admin', 'user'], request: { url: '/admin/settings' } });
    });

    it('refuses bob (role user) with 403 JSON, not 401: he is signed in', async () => {
      const res = await http(`${stack.url}/admin`, { headers: bearer('bob') });
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.json()).toEqual({ error: 'forbidden', message: expect.any(String) });
      expect(res.headers.get('www-authenticate')).toBeNull();
      expect(res.headers.get('cache-control')).toBe('no-store');
    });

    it('shows bob in a browser a page, without sending him to sign in again', async () => {
      const cookie = await formSession(stack.url, fetchPaced, 'bob', 'builder');
      const res = await http(`${stack.url}/admin/`, { headers: { Accept: BROWSER_ACCEPT, Cookie: cookie } });
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('location')).toBeNull();
      expect(res.text).toContain('<h1>Not allowed</h1>');
      expect(res.text).toContain('href="/logout"');
      // The same session opens what the policy gives him.
      expect((await http(`${stack.url}/api/whoami`, { headers: { Cookie: cookie } })).json()).toMatchObject({ sub: 'bob' });
    });

    it('still sends a browser without a session to sign in (401 is for no identity)', async () => {
      const res = await http(`${stack.url}/admin`, { headers: { Accept: BROWSER_ACCEPT } });
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toContain('/login?return_to=%2Fadmin');
    });

    it('serves /public/** to anyone, and sends the app no identity even for a signed-in user', async () => {
      for (const who of ['nobody', 'alice'] as const) {
        const res = await http(`${stack.url}/public/hello`, { headers: bearer(who) });
        expect(res.status).toBe(200);
        expect(res.json()).toEqual({ area: 'public', path: '/public/hello', sub: null });
      }
    });

    it('gives /api/** and /check to any signed-in user', async () => {
      for (const path of ['/api/whoami', '/check']) {
        const res = await http(`${stack.url}${path}`, { headers: bearer('bob') });
        expect(res.status).toBe(200);
        expect(res.json()).toMatchObject({ sub: 'bob' });
      }
    });

    it("keeps nginx's page location internal: its path is not a way to the page", async () => {
      const res = await http(`${stack.url}/_tokengate/forbidden`, { headers: { Accept: BROWSER_ACCEPT, ...bearer('alice') } });
      expect(res.status).toBe(front === 'embedded' ? 403 : 404);
    });

    it('judges the path nginx routes, never one the client names in X-Original-URI or X-Original-Method', async () => {
      const res = await http(`${stack.url}/admin`, { headers: { ...bearer('bob'), 'X-Original-URI': '/public/x', 'X-Original-Method': 'OPTIONS' } });
      expect(res.status).toBe(403);
    });
  });

  describe.skipIf(!available)('path tricks never reach the app as an admin path', () => {
    it.each(TRICKS)('%s', async (target, expected) => {
      for (const who of ['bob', 'nobody', 'alice'] as const) {
        const auth = tokens[who] === undefined ? '' : `Authorization: Bearer ${tokens[who]}\r\n`;
        const res = await rawHttp(stack.url, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Connection: close\r\n\r\n`);
        expect(res.status, `${who}: ${res.head}`).toBe(expected[who]);
        if (who !== 'alice') expect(res.body, who).not.toContain(ADMIN_ANSWER);
      }
    });
  });
});
