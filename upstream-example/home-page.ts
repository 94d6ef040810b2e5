import { escapeHtml, page } from '../src/browser/html.js';

/**
 * The demo app's home page, in the gateway's own page shell: the sign-in page's stylesheet and
 * so its CSP (src/browser/csp.ts), so the demo looks like one product from sign-in to sign-out.
 */
export function renderHomePage(sub: string, roles: readonly string[]): string {
  const body = [
    `<h1>Hello, ${escapeHtml(sub)}</h1>`,
    `<p>Roles: <span id="roles">${escapeHtml(roles.join(', ') || 'none')}</span></p>`,
    '<p>This page is served by the upstream example behind tokengate.</p>',
    '<p><a href="/api/whoami">What the app receives</a> &middot; <a href="/logout">Sign out</a></p>',
  ].join('\n');
  return page({ title: 'tokengate demo', body });
}
