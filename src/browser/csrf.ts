import { createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';

export interface CsrfOptions {
  /** HMAC-SHA256 key; at least 32 bytes, and best not the JWT key, so one leak is not both. */
  key: Uint8Array;
  /** How long an issued token is accepted; 3600 unless set. */
  ttlSeconds?: number | undefined;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
}

export interface Csrf {
  /** Mints a token for a form and its cookie; `binding` ties it to, say, a session id. */
  issue(binding?: string): string;
  /**
   * True only when both tokens are the same well-formed token, signed with this key for this
   * `binding`, and not yet expired. Never throws.
   *
   * Double-submit: pass the form field and the cookie. When the token is bound to a session
   * instead of a cookie (logout), pass the form token twice and the session id as `binding`:
   * the binding then does the cookie's job, so it must come from the verified session.
   */
  verify(formToken: unknown, cookieToken: unknown, binding?: string): boolean;
}

// Bumping the version retires every token in flight, and the context keeps these MACs from
// being mistaken for any other HMAC made with the same key.
const CONTEXT = 'tokengate-csrf-v1';
const MAX_LENGTH = 256;
const MIN_KEY_BYTES = 32;
/** 16-byte nonce and 32-byte MAC in unpadded base64url, expiry in unix seconds without leading zeros. */
const TOKEN = /^([A-Za-z0-9_-]{22})\.([1-9][0-9]{0,11})\.([A-Za-z0-9_-]{43})$/;

/** Builds the stateless signed double-submit CSRF token issuer and checker; the key and TTL are checked here. */
export function createCsrf(opts: CsrfOptions): Csrf {
  if (!(opts.key instanceof Uint8Array) || opts.key.byteLength < MIN_KEY_BYTES) {
    throw new RangeError(`CSRF key must be at least ${MIN_KEY_BYTES} bytes`);
  }
  const ttl = opts.ttlSeconds ?? 3600;
  if (!Number.isSafeInteger(ttl) || ttl <= 0) throw new RangeError('CSRF ttlSeconds must be a positive integer');
  // A KeyObject holds its own copy, so the caller wiping or reusing its buffer changes nothing.
  const key = createSecretKey(opts.key);
  const now = opts.now ?? Date.now;
  const nowSeconds = () => Math.floor(now() / 1000);

  return {
    issue(binding) {
      const nonce = randomBytes(16).toString('base64url');
      const expiry = String(nowSeconds() + ttl);
      return `${nonce}.${expiry}.${mac(key, nonce, expiry, binding)}`;
    },
    verify(formToken, cookieToken, binding) {
      try {
        if (typeof formToken !== 'string' || typeof cookieToken !== 'string') return false;
        if (formToken.length > MAX_LENGTH || cookieToken.length > MAX_LENGTH) return false;
        const parts = TOKEN.exec(formToken);
        if (parts === null || !TOKEN.test(cookieToken)) return false;
        const [, nonce = '', expiry = '', given = ''] = parts;
        // The regex admits ASCII only, so string length is byte length.
        const same = formToken.length === cookieToken.length && timingSafeEqual(Buffer.from(formToken), Buffer.from(cookieToken));
        const signed = timingSafeEqual(Buffer.from(given), Buffer.from(mac(key, nonce, expiry, binding)));
        return same && signed && Number(expiry) > nowSeconds();
      } catch {
        return false;
      }
    },
  };
}

/** The MAC over context, nonce, expiry and binding; JSON keeps the fields apart whatever the binding holds. */
function mac(key: KeyObject, nonce: string, expiry: string, binding: string | undefined): string {
  const input = JSON.stringify([CONTEXT, nonce, expiry, binding ?? null]);
  return createHmac('sha256', key).update(input, 'utf8').digest('base64url');
}

/**
 * True when a state-changing request should be refused as cross-site. `Sec-Fetch-Site` decides
 * when present: only browsers send it and no page can forge it, and it says `same-origin` even
 * where `Origin` reads `null` (a page under `Referrer-Policy: no-referrer`). Without it, any
 * `Origin` other than `publicOrigin` (including `null`) refuses. With neither header (old
 * clients) it answers false and the CSRF token alone protects.
 * `publicOrigin` must be a serialised origin (`new URL(x).origin`): no path, no trailing slash.
 */
export function isCrossSite(headers: { origin?: string | undefined; secFetchSite?: string | undefined }, publicOrigin: string): boolean {
  // `none` is a user-typed navigation, which is never a form POST; `same-site` covers sibling
  // subdomains, which may be run by someone else.
  if (headers.secFetchSite !== undefined) return headers.secFetchSite !== 'same-origin';
  return headers.origin !== undefined && headers.origin !== publicOrigin;
}
