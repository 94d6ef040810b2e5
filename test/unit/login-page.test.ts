import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PAGE_CSP, PAGE_HEADERS } from '../../src/browser/csp.js';
import { escapeHtml } from '../../src/browser/html.js';
import { renderLoginPage, type LoginError } from '../../src/browser/login-page.js';
import { renderErrorPage, renderLogoutPage, renderSignedOutPage } from '../../src/browser/logout-page.js';

// There is no DOM here: the pages are small and regular, so a tag-and-attribute reader is
// enough, and it only works because every attribute value is double-quoted and escaped.

type Attrs = Record<string, string>;

/** The inverse of escapeHtml, for reading attribute values and text back. */
const unescapeHtml = (s: string) =>
  s.replace(/&(amp|lt|gt|quot|#39|#96);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#96': '`' })[e] ?? '');

/** Every opening `<name ...>` tag, with its attributes (bare attributes read as ""). */
function tags(html: string, name: string): Attrs[] {
  return [...html.matchAll(new RegExp(`<${name}\\b([^>]*)>`, 'gi'))].map(([, raw = '']) =>
    Object.fromEntries([...raw.matchAll(/([a-z-]+)(?:="([^"]*)")?/gi)].map(([, k = '', v = '']) => [k.toLowerCase(), unescapeHtml(v)])),
  );
}

const input = (html: string, by: (a: Attrs) => boolean) => tags(html, 'input').find(by);
const byName = (name: string) => (a: Attrs) => a.name === name;
/** The text inside the first element carrying this attribute, e.g. role="alert". */
const textOf = (html: string, attr: string) => html.match(new RegExp(`<(\\w+)[^>]*${attr}[^>]*>([^<]*)</\\1>`))?.[2];
const inlineStyles = (html: string) => [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map(([, css = '']) => css);

const HOSTILE = [
  '"><script>alert(1)</script>',
  "'><img src=x onerror=alert(1)>",
  '`onmouseover=alert(1)',
  '</textarea></style></title><script>alert(1)</script>',
  '&lt;script&gt;alert(1)&lt;/script&gt;',
  'javascript:alert(1)//"autofocus onfocus="alert(1)',
];
const TOKEN = 'AAAAAAAAAAAAAAAAAAAAAA.1893456000.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';
const ERRORS: [LoginError, string][] = [
  ['invalid_credentials', 'Incorrect username or password.'],
  ['csrf', 'Your sign-in form expired. Please try again.'],
  ['rate_limited', 'Too many attempts. Wait a moment and try again.'],
  ['unavailable', 'Sign-in is unavailable right now. Please try again later.'],
];

const login = (over: Partial<Parameters<typeof renderLoginPage>[0]> = {}) => renderLoginPage({ returnTo: '/original', csrfToken: TOKEN, ...over });

/** Every page the browser can be shown, including with hostile input everywhere it is taken. */
const PAGES: [string, string][] = [
  ['login', login()],
  ...ERRORS.map(([error]): [string, string] => [`login with ${error}`, login({ error, username: HOSTILE[0] })]),
  ...HOSTILE.map((h, i): [string, string] => [
    `login with hostile input #${i}`,
    login({ returnTo: h, csrfToken: h, username: h, error: 'invalid_credentials' }),
  ]),
  ['logout confirmation', renderLogoutPage({ csrfToken: TOKEN, signedIn: true })],
  ['logout confirmation with a hostile token', renderLogoutPage({ csrfToken: HOSTILE[0]!, signedIn: true })],
  ['logout when not signed in', renderLogoutPage({ csrfToken: TOKEN, signedIn: false })],
  ['signed out', renderSignedOutPage()],
  ['error page', renderErrorPage(403, 'This form was not sent from this site.')],
  ['error page with a hostile message', renderErrorPage(400, HOSTILE[0]!)],
];

describe('escapeHtml', () => {
  it.each([
    ['&', '&amp;'],
    ['<', '&lt;'],
    ['>', '&gt;'],
    ['"', '&quot;'],
    ["'", '&#39;'],
    ['`', '&#96;'],
    ['"><script>alert(1)</script>', '&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['&amp; already escaped', '&amp;amp; already escaped'],
    ['plain text, ünïcödé 🙂', 'plain text, ünïcödé 🙂'],
  ])('escapes %j as %j', (raw, escaped) => {
    expect(escapeHtml(raw)).toBe(escaped);
  });
});

describe('every page', () => {
  it.each(PAGES)('%s is a complete HTML5 document with the shared head', (_, html) => {
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(tags(html, 'meta').some((m) => m.name === 'viewport' && m.content?.includes('width=device-width'))).toBe(true);
    expect(tags(html, 'meta')).toContainEqual({ name: 'referrer', content: 'same-origin' });
    expect(html).toMatch(/<title>[^<]+<\/title>/);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
  });

  it.each(PAGES)('%s has no script and loads nothing from anywhere', (_, html) => {
    expect(html.toLowerCase()).not.toContain('<script');
    expect(html).not.toMatch(/<(link|img|iframe|object|embed|base|svg|math)\b/i);
    const attributes = tags(html, '[a-z]+').flatMap((a) => Object.keys(a));
    expect(attributes.filter((a) => a.startsWith('on') || a === 'src' || a === 'style' || a === 'srcset')).toEqual([]);
    expect(inlineStyles(html).join('')).not.toMatch(/url\(|@import/i);
  });

  it.each(PAGES)('%s has exactly one inline style, and the CSP hash is that style', (_, html) => {
    const styles = inlineStyles(html);
    expect(styles).toHaveLength(1);
    const hash = createHash('sha256').update(styles[0]!, 'utf8').digest('base64');
    expect(PAGE_CSP).toContain(`style-src 'sha256-${hash}';`);
  });
});

describe('page headers', () => {
  it('pins the CSP to no scripts, the one hashed style, same-origin forms, no framing and no base', () => {
    expect(PAGE_CSP).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]{43}='; form-action 'self'; frame-ancestors 'none'; base-uri 'none'$/);
  });

  it('sends the CSP with no-store, no framing, a same-origin referrer policy (form posts then carry a real Origin), no sniffing and an isolated opener', () => {
    expect(PAGE_HEADERS).toEqual({
      'Content-Security-Policy': PAGE_CSP,
      'Cache-Control': 'no-store',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'same-origin',
      'X-Content-Type-Options': 'nosniff',
      'Cross-Origin-Opener-Policy': 'same-origin',
    });
  });
});

describe('login page', () => {
  it('posts one form to /login', () => {
    const html = login();
    expect(tags(html, 'form')).toEqual([{ method: 'post', action: '/login' }]);
    expect(html).toContain('<h1>Sign in</h1>');
    expect(tags(html, 'button')).toEqual([{ type: 'submit' }]);
    expect(html).toMatch(/<button type="submit">Sign in<\/button>/);
  });

  it('carries return_to and the CSRF token in hidden fields', () => {
    const html = login({ returnTo: '/app/page?x=1&y=2' });
    expect(input(html, byName('return_to'))).toEqual({ type: 'hidden', name: 'return_to', value: '/app/page?x=1&y=2' });
    expect(input(html, byName('csrf'))).toEqual({ type: 'hidden', name: 'csrf', value: TOKEN });
  });

  it('binds a label to each visible input', () => {
    const html = login();
    const labels = tags(html, 'label').map((l) => l.for);
    expect(labels).toEqual(['username', 'password']);
    for (const id of labels) expect(input(html, (a) => a.id === id)).toBeDefined();
    expect(html).toContain('<label for="username">Username</label>');
    expect(html).toContain('<label for="password">Password</label>');
  });

  it('lets password managers fill the username and current password', () => {
    const html = login();
    expect(input(html, byName('username'))).toMatchObject({
      id: 'username',
      type: 'text',
      autocomplete: 'username',
      required: '',
      autofocus: '',
      maxlength: '256',
    });
    expect(input(html, byName('password'))).toMatchObject({
      id: 'password',
      type: 'password',
      autocomplete: 'current-password',
      required: '',
      maxlength: '1024',
    });
    expect(input(html, byName('password'))).not.toHaveProperty('value');
  });

  it.each(HOSTILE)('escapes a hostile return_to, username and token: %s', (hostile) => {
    const html = login({ returnTo: hostile, csrfToken: hostile, username: hostile, error: 'invalid_credentials' });
    expect(html).not.toContain(hostile);
    expect(input(html, byName('return_to'))?.value).toBe(hostile);
    expect(input(html, byName('csrf'))?.value).toBe(hostile);
    expect(input(html, byName('username'))?.value).toBe(hostile);
    expect(tags(html, 'input')).toHaveLength(4);
  });

  it('keeps the previously typed username, cut to the field limit', () => {
    expect(input(login({ error: 'invalid_credentials', username: 'alice' }), byName('username'))?.value).toBe('alice');
    expect(input(login({ error: 'invalid_credentials', username: 'é'.repeat(300) }), byName('username'))?.value).toBe('é'.repeat(256));
    expect(input(login(), byName('username'))?.value).toBe('');
  });

  it('has no alert, aria-describedby or aria-invalid without an error', () => {
    const html = login();
    expect(html).not.toContain('role="alert"');
    for (const field of tags(html, 'input')) {
      expect(field).not.toHaveProperty('aria-describedby');
      expect(field).not.toHaveProperty('aria-invalid');
    }
  });

  it.each(ERRORS)('shows %s as an alert the inputs are described by', (error, message) => {
    const html = login({ error, username: 'alice' });
    const alert = tags(html, 'p').find((p) => p.role === 'alert');
    expect(alert?.id).toBeTruthy();
    expect(html.match(/role="alert"/g)).toHaveLength(1);
    expect(textOf(html, 'role="alert"')).toBe(message);
    for (const name of ['username', 'password']) {
      const field = input(html, byName(name));
      expect(field?.['aria-describedby']).toBe(alert?.id);
      expect(field?.['aria-invalid']).toBe(error === 'invalid_credentials' ? 'true' : undefined);
    }
  });

  it.each([
    ['an unknown user', 'nobody'],
    ['a known user with a wrong password', 'alice'],
    ['an empty username', ''],
    ['a hostile username', HOSTILE[0]!],
  ])('says the same thing for invalid credentials from %s', (_, username) => {
    const html = login({ error: 'invalid_credentials', username });
    expect(textOf(html, 'role="alert"')).toBe('Incorrect username or password.');
    // The page differs only in the echoed username, so nothing else can hint at the account.
    expect(html.replace(`value="${escapeHtml(username)}"`, 'value=""')).toBe(login({ error: 'invalid_credentials', username: '' }));
  });
});

describe('logout pages', () => {
  it('asks for confirmation with a CSRF-protected POST to /logout', () => {
    const html = renderLogoutPage({ csrfToken: TOKEN, signedIn: true });
    expect(html).toContain('<h1>Sign out?</h1>');
    expect(tags(html, 'form')).toEqual([{ method: 'post', action: '/logout' }]);
    expect(tags(html, 'input')).toEqual([{ type: 'hidden', name: 'csrf', value: TOKEN }]);
    expect(html).toMatch(/<button type="submit">Sign out<\/button>/);
  });

  it('escapes a hostile CSRF token', () => {
    const html = renderLogoutPage({ csrfToken: HOSTILE[0]!, signedIn: true });
    expect(html).not.toContain(HOSTILE[0]);
    expect(input(html, byName('csrf'))?.value).toBe(HOSTILE[0]);
  });

  it('offers sign-in, and no form, when not signed in', () => {
    const html = renderLogoutPage({ csrfToken: TOKEN, signedIn: false });
    expect(html).toContain('You are not signed in.');
    expect(tags(html, 'a')).toEqual([{ href: '/login' }]);
    expect(tags(html, 'form')).toEqual([]);
    expect(html).not.toContain(TOKEN);
  });

  it('confirms the sign-out with a link to sign in again', () => {
    const html = renderSignedOutPage();
    expect(html).toContain('You have signed out.');
    expect(html).toContain('<a href="/login">Sign in again</a>');
    expect(tags(html, 'form')).toEqual([]);
  });

  it.each([
    [403, 'This form was not sent from this site.'],
    [400, HOSTILE[0]!],
    [500, 'Something went wrong & we <know> it.'],
  ])('shows a %i error with its message as text', (status, message) => {
    const html = renderErrorPage(status, message);
    expect(unescapeHtml(html.match(/<h1>([^<]*)<\/h1>/)?.[1] ?? '')).toBe(message);
    expect(html).toContain(`Error ${status}`);
    if (message.includes('<')) expect(html).not.toContain(message);
  });
});
