import type { Decision } from './check-request.js';

/**
 * How many whole seconds a cache in front of the signer may reuse this decision: only a pass
 * decided by an access token alone (no cookies set, no refresh, no server's one-time token), one
 * second less than both `limitS` and the token's time left, since a cache counting whole seconds
 * keeps an entry to the end of its last one. Undefined when it may not be reused at all. Both
 * caches (nginx's auth cache, the OpenResty front's identity cache) ask this one question.
 */
export function reusableForS(decision: Decision, limitS: number, nowMs: number): number | undefined {
  if (limitS <= 0 || decision.status !== 204 || decision.cookies !== undefined) return undefined;
  if (!('reusableUntilS' in decision) || decision.reusableUntilS === undefined) return undefined;
  const ttl = Math.min(limitS, Math.floor(decision.reusableUntilS - nowMs / 1000)) - 1;
  return ttl >= 1 ? ttl : undefined;
}
