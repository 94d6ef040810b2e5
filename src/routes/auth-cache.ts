import type { IncomingMessage } from 'node:http';
import type { Decision } from '../auth/check-request.js';
import { reusableForS } from '../auth/reusable-for.js';

const NO_STORE = Object.freeze(['Cache-Control', 'no-store']);

/** The separator of the template's `proxy_cache_key`: a part holding one could pass for another's. */
const KEY_SEPARATOR = '|';

/**
 * The caching headers of a `/verify` answer (AUTH_CACHE_TTL_S). Every answer is `no-store`, and
 * when the cache is on, a pass decided by an access token alone also gets `X-Accel-Expires`:
 * nginx's proxy_cache honours it ahead of Cache-Control (it must come first) and hides it, and
 * nothing else reads it. Anything that sets cookies, a refresh, a server's one-time token, a
 * refusal, a public path: `no-store` alone, and nginx keeps nothing.
 *
 * nginx counts whole seconds and keeps an entry to the end of its last one, so an entry lives up
 * to a second longer than it is told: the TTL it is told is one less than the token's time left
 * and than AUTH_CACHE_TTL_S, so it never outlives either.
 */
export function authCacheHeaders(ttlS: number, now: () => number): (decision: Decision, req: IncomingMessage) => readonly string[] {
  if (ttlS <= 0) return () => NO_STORE;
  return (decision, req) => {
    const ttl = reusableForS(decision, ttlS, now());
    if (ttl === undefined || !keyIsUnambiguous(req)) return NO_STORE;
    return ['X-Accel-Expires', String(ttl), ...NO_STORE];
  };
}

/**
 * Whether nginx's cache key for this request (`method uri|authorization|cookie`) can stand for
 * this request only: none of its parts holds the separator. Otherwise text moved from one part
 * into the next (a URI ending in `|<token>|/../admin`) would make the same key for another request.
 */
function keyIsUnambiguous(req: IncomingMessage): boolean {
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if ((name === 'x-original-uri' || name === 'authorization' || name === 'cookie') && raw[i + 1]!.includes(KEY_SEPARATOR)) return false;
  }
  return true;
}
