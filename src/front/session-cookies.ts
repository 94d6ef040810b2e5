import type { IncomingMessage } from 'node:http';
import { setCookieValues, type SessionCookies } from '../session/cookies.js';

/**
 * Adds rotated session cookies to the app's answer before the proxy copies its headers (the
 * copy would replace cookies set on the response earlier), keeping the app's own cookies, and
 * marks the answer `no-store`: a shared cache must never hand one person's session to another.
 */
export function withSessionCookies(proxyRes: IncomingMessage, cookies: SessionCookies): void {
  const own = proxyRes.headers['set-cookie'] ?? [];
  proxyRes.headers['set-cookie'] = [...own, ...setCookieValues(cookies)];
  proxyRes.headers['cache-control'] = 'no-store';
}
