import { z } from 'zod';
import { CLIENT_NAME_PATTERN } from './names.js';

/** A nonce as text: short and token-safe (random base64url, hex, a uuid, the digits of a number). */
export const NONCE_PATTERN = /^[A-Za-z0-9._~+/=:-]{1,128}$/;

/** What a client token says, read before its signature is checked (the name chooses the key). */
export interface ClientClaims {
  /** The client's name (`username`). */
  username: string;
  /** When it was signed, unix seconds, maybe with a fraction (`time`, or `iat`). */
  time: number;
  /** Used once per client within the window (`nonce`, or `jti`); a number is taken as its JSON text. */
  nonce: string;
}

/** Why the claims are refused; stable codes for logs, metrics and tests. */
export type ClaimsRefusal = 'bad_username' | 'bad_time' | 'bad_nonce' | 'conflicting_claims';

const username = z.string().regex(CLIENT_NAME_PATTERN);
const time = z.number().min(0).max(Number.MAX_SAFE_INTEGER);
// seeds/004's library sends `time.time()` and `random.random()` as JSON numbers: a number nonce is its text.
const nonce = z.union([z.string(), z.number().transform(String)]).pipe(z.string().regex(NONCE_PATTERN));

/**
 * Reads the three claims. seeds/004's names (`time`, `nonce`) and the standard ones (`iat`, `jti`)
 * are both accepted; a token with both of a pair must give the same value in each, so no check
 * can read one while another part of the system reads the other. seeds/004's own library sends
 * `time` with a fraction and a number as `nonce`; both are accepted.
 */
export function readClientClaims(payload: Record<string, unknown>): { ok: true; claims: ClientClaims } | { ok: false; reason: ClaimsRefusal } {
  const name = username.safeParse(payload.username);
  if (!name.success) return { ok: false, reason: 'bad_username' };
  const at = either(payload, 'time', 'iat');
  if (at === 'conflict') return { ok: false, reason: 'conflicting_claims' };
  const once = either(payload, 'nonce', 'jti');
  if (once === 'conflict') return { ok: false, reason: 'conflicting_claims' };
  const t = time.safeParse(at);
  if (!t.success) return { ok: false, reason: 'bad_time' };
  const n = nonce.safeParse(once);
  if (!n.success) return { ok: false, reason: 'bad_nonce' };
  return { ok: true, claims: { username: name.data, time: t.data, nonce: n.data } };
}

/** The value under `primary` or `standard`; both present must be the same (same type too). */
function either(payload: Record<string, unknown>, primary: string, standard: string): unknown {
  const a = Object.hasOwn(payload, primary) ? payload[primary] : undefined;
  const b = Object.hasOwn(payload, standard) ? payload[standard] : undefined;
  if (a !== undefined && b !== undefined && a !== b) return 'conflict';
  return a ?? b;
}
