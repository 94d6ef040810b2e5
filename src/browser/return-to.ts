import { splitJwtParams } from '../tokens/query-token.js';
import { normalizePath } from '../http/normalize-path.js';

/** Longer than any path a browser needs to come back to; longer input is refused, not truncated. */
export const MAX_RETURN_TO_LENGTH = 2048;

// Enough to peel double and triple encoding; text still changing after this is refused.
const MAX_DECODE_ROUNDS = 4;

const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;
// Controls (C0, DEL, C1), format chars (bidi overrides, zero-width), line separators, backslash.
const BAD_DECODED = /[\p{C}\p{Zl}\p{Zp}\\]/u;
const ABSOLUTE_HTTP = /^https?:\/\//i;
// As isAuthenticatePath: what an app or nginx could route to the same page (`/login/`, `;x`, `.json`).
const LOOPING_PATH = /^\/log(?:in|out)(?:[/;.]|$)/i;

/** A same-origin `"/path?query"` to send the browser back to after login, or `"/"` when `raw` is not acceptable. */
export function safeReturnTo(raw: string | undefined, origin: string): string {
  if (raw === undefined || !textIsClean(raw) || !hasAcceptedShape(raw)) return '/';
  let url: URL;
  try {
    url = new URL(raw, origin);
  } catch {
    return '/';
  }
  if (url.origin !== new URL(origin).origin || url.username !== '' || url.password !== '') return '/';
  // The fragment is dropped: it never reaches the server and may carry a second, unchecked URL.
  const path = url.pathname + url.search;
  return isSafePath(path) ? path : '/';
}

/** The absolute `Location` for a path from `safeReturnTo`, built from the configured origin only. */
export function absoluteLocation(origin: string, path: string): string {
  // Checked again so a caller passing an unchecked path still cannot leave the origin.
  return new URL(origin).origin + (isSafePath(path) ? path : '/');
}

/** The absolute URL of the login page, carrying `return_to` (without any `jwt=`) unless it would be `/` or lead back to login/logout. */
export function loginLocation(origin: string, originalUri: string | undefined): string {
  const base = `${new URL(origin).origin}/login`;
  // A stale `?jwt=` would be checked again on the way back and loop through the login forever.
  const safe = safeReturnTo(originalUri === undefined ? undefined : splitJwtParams(originalUri).rest, origin);
  if (safe === '/' || leadsToLoginOrLogout(safe)) return base;
  return `${base}?return_to=${encodeURIComponent(safe)}`;
}

/** Only a path-absolute reference or an absolute http(s) URL without userinfo; `http:evil`, `javascript:`, `data:`, `x/y` are not. */
function hasAcceptedShape(raw: string): boolean {
  if (raw.startsWith('/')) return !raw.startsWith('//');
  if (!ABSOLUTE_HTTP.test(raw)) return false;
  const authority = raw.slice(raw.indexOf('//') + 2).split(/[/?#]/, 1)[0] ?? '';
  return !authority.includes('@');
}

/** The final answer's shape: one leading slash, also after every round of decoding, and clean text. */
function isSafePath(path: string): boolean {
  if (!path.startsWith('/') || path.startsWith('//') || !textIsClean(path)) return false;
  return decodedForms(path)?.every((form) => !form.startsWith('//')) ?? false;
}

/**
 * Printable ASCII within the length cap, and every decoded form free of controls, backslashes and
 * compatibility characters. Percent-encoded UTF-8 (`/caf%C3%A9`) is allowed: it is opaque to browsers,
 * but NFKC-unstable text (fullwidth `／`, `＼`, `．`) is refused since a server may fold it into syntax.
 */
function textIsClean(text: string): boolean {
  if (text.length > MAX_RETURN_TO_LENGTH || !PRINTABLE_ASCII.test(text) || text.includes('\\')) return false;
  const forms = decodedForms(text);
  return forms?.every((form) => !BAD_DECODED.test(form) && form.normalize('NFKC') === form) === true;
}

/** The text and each percent-decoding of it until it settles; undefined on a malformed escape or if it never settles. */
function decodedForms(text: string): string[] | undefined {
  const forms = [text];
  for (let round = 0; round <= MAX_DECODE_ROUNDS; round++) {
    const last = forms[forms.length - 1] ?? text;
    let next: string;
    try {
      next = decodeURIComponent(last);
    } catch {
      return undefined;
    }
    if (next === last) return forms;
    forms.push(next);
  }
  return undefined;
}

/** True for a path nginx or the app would serve as login or logout, however it is encoded (`/%6Cogin`, `/login/`). */
function leadsToLoginOrLogout(path: string): boolean {
  const rawPath = path.split('?', 1)[0] ?? path;
  const normalized = normalizePath(rawPath);
  return normalized === undefined || LOOPING_PATH.test(normalized);
}
