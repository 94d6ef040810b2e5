import { createHash } from 'node:crypto';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { BROWSER_ACCEPT, CSRF, getLoginForm, hiddenField, ORIGIN, setCookies } from '../fixtures/browser-session.js';
import { useLoginSigner } from '../fixtures/login-signer.js';

const { stub, signer } = useLoginSigner();
const app = (env: Record<string, string> = {}) => signer({ PUBLIC_ORIGIN: ORIGIN, ...env });
const loginPage = (path = '/login', env: Record<string, string> = {}) => request(app(env)).get(path).set('Accept', BROWSER_ACCEPT);

/** The policy's directives by name. */
function directives(csp: string): Map<string, string> {
  return new Map(csp.split(';').map((d) => d.trim().split(/\s+(.*)/s, 2) as [string, string]));
}

describe('GET /login', () => {
  it('answers 200 with an HTML page that may not be cached, framed or sniffed', async () => {
    const res = await loginPage();
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('same-origin');
  });

  it('sends a CSP that allows no script and no resource but its own inline stylesheet', async () => {
    const res = await loginPage();
    const csp = directives(res.headers['content-security-policy'] as string);
    expect(csp.get('default-src')).toBe("'none'");
    expect(csp.get('form-action')).toBe("'self'");
    expect(csp.get('frame-ancestors')).toBe("'none'");
    expect(csp.get('base-uri')).toBe("'none'");
    expect(csp.has('script-src')).toBe(false);
    const style = /<style>([\s\S]*?)<\/style>/.exec(res.text)?.[1] ?? '';
    expect(csp.get('style-src')).toBe(`'sha256-${createHash('sha256').update(style, 'utf8').digest('base64')}'`);
  });

  it('carries no script, inline handler or javascript: URL', async () => {
    const { text } = await loginPage();
    expect(text).not.toMatch(/<script|\son[a-z]+=|javascript:/i);
  });

  it('posts the form to /login on the same origin', async () => {
    const { text } = await loginPage();
    expect(text).toContain('<form method="post" action="/login">');
  });

  it('never calls the upstream', async () => {
    await loginPage();
    expect(stub().received).toHaveLength(0);
  });

  describe('the CSRF token', () => {
    it('is in the form and in a __Host- cookie with the same value', async () => {
      const res = await loginPage();
      const cookie = setCookies(res).get(CSRF);
      expect(cookie?.value).toBe(hiddenField(res.text, 'csrf'));
      expect(cookie?.value).toMatch(/^[A-Za-z0-9_-]{22}\.\d+\.[A-Za-z0-9_-]{43}$/);
    });

    it('is set HttpOnly, Secure, SameSite=Strict on Path=/ for an hour, with no Domain', async () => {
      const cookie = setCookies(await loginPage()).get(CSRF);
      expect(cookie?.attributes).toEqual({ 'max-age': '3600', path: '/', httponly: true, secure: true, samesite: 'Strict' });
    });

    it('is named tg_csrf and not Secure when COOKIE_SECURE=false', async () => {
      const res = await loginPage('/login', { COOKIE_SECURE: 'false', PUBLIC_ORIGIN: 'http://127.0.0.1:8080' });
      const cookies = setCookies(res);
      expect([...cookies.keys()]).toEqual(['tg_csrf']);
      expect(cookies.get('tg_csrf')?.attributes).toEqual({ 'max-age': '3600', path: '/', httponly: true, samesite: 'Strict' });
      expect(cookies.get('tg_csrf')?.value).toBe(hiddenField(res.text, 'csrf'));
    });

    it('is fresh on every visit', async () => {
      const signerApp = app();
      const [a, b] = [await getLoginForm(signerApp), await getLoginForm(signerApp)];
      expect(a.csrf).not.toBe(b.csrf);
    });

    it('is the only cookie set', async () => {
      expect([...setCookies(await loginPage()).keys()]).toEqual([CSRF]);
    });
  });

  describe('the return_to field', () => {
    it('is / without a return_to', async () => {
      expect((await getLoginForm(app())).returnTo).toBe('/');
    });

    it.each([
      ['a path', '/dashboard', '/dashboard'],
      ['a path with a query', '/a/b?c=d&e=%2F', '/a/b?c=d&e=%2F'],
      ['an absolute URL on the public origin, reduced to its path', `${ORIGIN}/reports?y=2024`, '/reports?y=2024'],
      ['a path with a fragment, dropped', '/x?y=1#//evil.example', '/x?y=1'],
      ['markup in the path, escaped as a URL', '/x"><script>alert(1)</script>', '/x%22%3E%3Cscript%3Ealert(1)%3C/script%3E'],
    ])('keeps %s as its checked value', async (_case, raw, expected) => {
      expect((await getLoginForm(app(), raw)).returnTo).toBe(expected);
    });

    it.each([
      ['an absolute URL to another host', 'https://evil.example/'],
      ['a protocol-relative URL', '//evil'],
      ['a slash then a backslash', '/\\evil'],
      ['two backslashes', '\\\\evil'],
      ['an encoded tab between slashes', '/%09/evil'],
      ['http: without slashes', 'http:evil'],
      ['a javascript: URL', 'javascript:alert(1)'],
      ['an encoded CR LF', '/x%0d%0aSet-Cookie:a=b'],
      ['a leading space', ' /leading-space'],
      ['userinfo naming the gateway before another host', `${ORIGIN}@evil.example/`],
      ['the public host over plain http', 'http://gw.example.com/x'],
      ['an empty value', ''],
    ])('is / for %s', async (_case, raw) => {
      expect((await getLoginForm(app(), raw)).returnTo).toBe('/');
    });

    it('is / when return_to is repeated', async () => {
      const res = await loginPage('/login?return_to=/a&return_to=/b');
      expect(res.status).toBe(200);
      expect(hiddenField(res.text, 'return_to')).toBe('/');
    });

    it('never echoes hostile markup into the page', async () => {
      const res = await loginPage(`/login?return_to=${encodeURIComponent('javascript:"><script>alert(1)</script>')}`);
      expect(res.text).not.toContain('<script');
      expect(res.text).not.toContain('alert(1)');
    });
  });
});
