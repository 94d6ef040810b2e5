import { createHash } from 'node:crypto';
import { PAGE_STYLE } from './html.js';

/** The CSP source that allows exactly the shared inline stylesheet and no other style. */
const STYLE_HASH = `'sha256-${createHash('sha256').update(PAGE_STYLE, 'utf8').digest('base64')}'`;

/**
 * The `Content-Security-Policy` of every browser page: no scripts, no external resources,
 * forms post only to this origin, and the pages cannot be framed or re-based.
 */
export const PAGE_CSP = `default-src 'none'; style-src ${STYLE_HASH}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

/** Headers to send with every browser page; a login form must never be cached, framed or sniffed. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': PAGE_CSP,
  'Cache-Control': 'no-store',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
});
