import { LRUCache } from 'lru-cache';
import type { KeysSource, TokenKeys } from '../signing-keys/token-keys.js';
import { MAX_TOKEN_LENGTH } from './limits.js';
import { checkTokenShape } from './token-shape.js';
import type { Verification, VerifiedClaims } from './verify.js';

/** Longer tokens are verified every time: they would make the cache's memory bound meaningless. */
export const MAX_CACHED_TOKEN_LENGTH = 2048;

export interface VerifiedCacheOptions {
  /** How many tokens to remember (VERIFY_CACHE_SIZE); 0 turns the cache off. */
  max: number;
  /** The keys of the moment: a token verified under other keys (a reload, a retired key) is verified again. */
  keys: KeysSource;
  /** Milliseconds since the epoch; tests freeze it. */
  now?: () => number;
  /** Told of every lookup, for the hit-rate metric. */
  onLookup?: (hit: boolean) => void;
}

interface Entry {
  claims: VerifiedClaims;
  /** The keys it was verified with; compared by identity, as a reload builds new ones. */
  keys: TokenKeys;
  /** The token's `exp`, in milliseconds: the entry is never used at or past it. */
  untilMs: number;
}

/**
 * Remembers tokens that verified, by their exact string, so a token costs one signature check
 * rather than one per request. Only a success is kept, never past the token's `exp` nor across a
 * change of keys; the caller still checks revocation on every use, so a logout bites at once.
 * A token of the wrong shape or spelt non-canonically is refused before the lookup, so one token
 * has one entry at most.
 */
export function cachedVerifier(verify: (token: string) => Promise<Verification>, opts: VerifiedCacheOptions): (token: string) => Promise<Verification> {
  if (opts.max <= 0) return verify;
  const now = opts.now ?? Date.now;
  const cache = new LRUCache<string, Entry>({ max: opts.max });
  return async (token) => {
    // Before the lookup, not only inside `verify`: the cache is keyed on the token's text, so it
    // must never look up a spelling the verifier would refuse, whatever `verify` is and however
    // the key is ever derived. It costs a regular expression and three character codes.
    const misshapen = checkTokenShape(token, MAX_TOKEN_LENGTH);
    if (misshapen !== undefined) return { ok: false, reason: misshapen };
    const entry = cache.get(token);
    if (entry !== undefined) {
      if (entry.keys === opts.keys() && now() < entry.untilMs) {
        opts.onLookup?.(true);
        return { ok: true, claims: entry.claims };
      }
      cache.delete(token);
    }
    opts.onLookup?.(false);
    // Read before verifying: a reload during the check must not label the result with the new keys.
    const keys = opts.keys();
    const result = await verify(token);
    if (result.ok && token.length <= MAX_CACHED_TOKEN_LENGTH) {
      const untilMs = result.claims.exp * 1000;
      if (now() < untilMs) cache.set(token, { claims: freeze(result.claims), keys, untilMs });
    }
    return result;
  };
}

/** Claims handed out from the cache are shared between requests: none may change them. */
function freeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) freeze(inner);
    Object.freeze(value);
  }
  return value;
}
