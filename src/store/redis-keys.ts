import type { Revocation } from './store.js';

/**
 * Every name the Redis store uses, without KEY_PREFIX (the script runner adds it to keys; the
 * channel and the session-key prefix that scripts build keys from get it here).
 *
 * - `session:<sid>`: hash of one login session (claims JSON, end, a MAC over both and the sid,
 *   current and previous refresh `jti`, rotation time), expiring when nothing could use it any
 *   more.
 * - `user:<hmac(sub)>`: sorted set of the session ids of one user (score: session end), for
 *   the per-user session cap; expires with that user's last session.
 * - `revoked`: sorted set of revocations, members `t:<jti>`, `s:<sid>` and `u:<notBeforeS>:<sub>`
 *   (a whole user: their tokens issued up to that second), score `untilS`; pruned on every write
 *   and expiring REVOCATION_MARGIN_S after its last deadline.
 * - channel `revocations`: `"<untilS> <member>"` for every revocation, to every instance's mirror.
 * - `nonce:<client>:<nonce>`: `1`, set once (NX) when a client's token is accepted, expiring after
 *   twice CLIENT_TOKEN_WINDOW_S; its mere presence refuses the same nonce again. (A client name
 *   holds no `:`, so no two pairs share a key.)
 *
 * Redis must be private to the signers (see `SessionIntegrity`). It holds no token, password or
 * key, but the identity claims of every live session are readable there. Tampering with a
 * session is detected (its MAC fails: the refresh is refused), but someone who can write can
 * still delete revocations, or sessions (logging people out), and can fill memory.
 */
export const KEYS = {
  session: (sid: string) => `session:${sid}`,
  /** `digest` is `SessionIntegrity.userIndex(sub)`: keyed, so the name gives no identity back. */
  user: (digest: string) => `user:${digest}`,
  revoked: 'revoked',
  sessionPrefix: 'session:',
  channel: 'revocations',
  nonce: (client: string, nonce: string) => `nonce:${client}:${nonce}`,
} as const;

/** A revocation's member in the `revoked` set: token ids and session ids never collide. */
export type RevokedKind = Revocation['kind'];

/** A token's or a session's member; a user's is `subjectMember`. */
export const member = (kind: 't' | 's', id: string) => `${kind}:${id}`;

/**
 * A user's member: `u:<notBeforeS>:<sub>`. One per revocation of that user (the not-before
 * second is part of it, the later one wins in every mirror); each goes with its own score.
 */
export const subjectMember = (sub: string, notBeforeS: number) => `u:${notBeforeS}:${sub}`;

/** Reads a `revoked` member and its score; undefined for anything this version did not write. */
export function parseRevocation(entry: string, untilS: number): Revocation | undefined {
  const kind = entry.slice(0, 2);
  if (!Number.isFinite(untilS)) return undefined;
  if (kind === 't:' || kind === 's:') return { kind: kind[0] as 't' | 's', id: entry.slice(2), untilS };
  if (kind !== 'u:') return undefined;
  const colon = entry.indexOf(':', 2);
  const notBeforeS = Number(entry.slice(2, colon));
  if (colon < 3 || !Number.isSafeInteger(notBeforeS) || colon + 1 >= entry.length) return undefined;
  return { kind: 'u', id: entry.slice(colon + 1), untilS, notBeforeS };
}

/** Reads a channel message: `"<untilS> <member>"`. */
export function parseMessage(message: string): Revocation | undefined {
  const space = message.indexOf(' ');
  if (space <= 0) return undefined;
  return parseRevocation(message.slice(space + 1), Number(message.slice(0, space)));
}
