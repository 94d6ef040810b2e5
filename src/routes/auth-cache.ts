import type { Decision } from '../auth/check-request.js';

const NO_STORE = Object.freeze(['Cache-Control', 'no-store']);

/**
 * The caching headers of a `/verify` answer (AUTH_CACHE_TTL_S). Every answer is `no-store`, and
 * when the cache is on, a pass decided by an access token alone also gets `X-Accel-Expires`:
 * nginx's proxy_cache honours it ahead of Cache-Control (it must come first) and hides it, and
 * nothing else reads it. It never reaches past the token's `exp`: nginx counts whole seconds
 * from its own clock, so the TTL is rounded down. Anything that sets cookies, a refresh, a
 * server's one-time token, a refusal, a public path: `no-store` alone, and nginx keeps nothing.
 */
export function authCacheHeaders(ttlS: number, now: () => number): (decision: Decision) => readonly string[] {
  if (ttlS <= 0) return () => NO_STORE;
  return (decision) => {
    if (decision.status !== 204 || decision.cookies !== undefined || !('reusableUntilS' in decision) || decision.reusableUntilS === undefined) return NO_STORE;
    const ttl = Math.min(ttlS, Math.floor(decision.reusableUntilS - now() / 1000));
    return ttl >= 1 ? ['X-Accel-Expires', String(ttl), ...NO_STORE] : NO_STORE;
  };
}
