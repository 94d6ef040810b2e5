import type { Decision } from '../auth/check-request.js';
import { reusableForS } from '../auth/reusable-for.js';

/**
 * The `/verify` answer's mark for the OpenResty front (IDENTITY_CACHE_TTL_S): on a pass decided by
 * an access token alone, `"<ttl> <jti> <sid>"` (`-` for an absent id), so nginx may answer the
 * same credential from its cache for `ttl` seconds and drop it when the feed names the token or
 * its session. Nothing else is ever marked: refusals, public paths, answers that set cookies (a
 * refresh), servers' one-time tokens, and a token from the URL (`?jwt=`), which a key of the
 * headers alone (no policy) would not hold. The ttl is one second less than the token's time left and
 * than the setting, so an entry never outlives either.
 */
export function identityCacheMark(ttlS: number, now: () => number): (decision: Decision) => string | undefined {
  if (ttlS <= 0) return () => undefined;
  return (decision) => {
    const ttl = reusableForS(decision, ttlS, now());
    // (`kind` only narrows the type: reusableForS passed an identity's pass alone.)
    if (ttl === undefined || decision.status !== 204 || !('kind' in decision) || decision.fromQuery === true) return undefined;
    const jti = idOf(decision.claims.jti);
    // An identity the feed could never name (no jti) is never cached.
    if (jti === '-') return undefined;
    return `${ttl} ${jti} ${idOf(decision.claims.sid)}`;
  };
}

/** An id as the mark carries it: the signer's own ids are base64url; anything else is never cached by. */
function idOf(value: unknown): string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{1,128}$/.test(value) ? value : '-';
}
