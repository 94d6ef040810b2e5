import type { CompactJWSHeaderParameters } from 'jose';
import { KEY_ALGS, type KeyAlg } from './algorithms.js';
import type { CryptoKey } from './import-key.js';
import type { KeyRing } from './keyring.js';

/** Why no key was chosen for a token; stable codes for logs and metrics. */
export type KeyRejection = 'untrusted_header' | 'missing_kid' | 'bad_kid' | 'unknown_kid' | 'alg_mismatch';

/** Thrown from the key function, so `jwtVerify` rejects with it; `code` says why. */
export class KeySelectionError extends Error {
  override name = 'KeySelectionError';
  constructor(readonly code: KeyRejection) {
    super(`no verification key for this token: ${code}`);
  }
}

/** Header members that would let the token name its own key; none is ever trusted (RFC 8725 §3.10). */
const KEY_CARRYING_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'] as const;

/** Whether a token header carries (or points at) a key of its own; such a token is refused. */
export const carriesOwnKey = (header: object): boolean => KEY_CARRYING_HEADERS.some((name) => Object.hasOwn(header, name));

/** Every algorithm a ring may hold, for jose's `algorithms` option beside the key function. */
export const RING_ALGORITHMS: readonly KeyAlg[] = KEY_ALGS;

export interface KeySelectorOptions {
  /** The HS256 key of tokens from before key rings, which carry no `kid`; without it such tokens are refused. */
  legacyKey?: CryptoKey | undefined;
}

export type KeySelection = { ok: true; key: CryptoKey; alg: KeyAlg; kid: string | undefined } | { ok: false; reason: KeyRejection };

/** Chooses the key for a token header from the ring in memory: by kid only, with the alg pinned to the key's. */
export function selectVerifyKey(ring: Pick<KeyRing, 'byKid'>, header: CompactJWSHeaderParameters, opts: KeySelectorOptions = {}): KeySelection {
  if (carriesOwnKey(header)) return { ok: false, reason: 'untrusted_header' };
  if (!Object.hasOwn(header, 'kid') || header.kid === undefined) {
    if (!opts.legacyKey) return { ok: false, reason: 'missing_kid' };
    return header.alg === 'HS256' ? { ok: true, key: opts.legacyKey, alg: 'HS256', kid: undefined } : { ok: false, reason: 'alg_mismatch' };
  }
  if (typeof header.kid !== 'string') return { ok: false, reason: 'bad_kid' };
  const entry = ring.byKid.get(header.kid);
  if (!entry) return { ok: false, reason: 'unknown_kid' };
  if (header.alg !== entry.alg) return { ok: false, reason: 'alg_mismatch' };
  return { ok: true, key: entry.verifyKey, alg: entry.alg, kid: header.kid };
}

/** Turns a key choice into jose's key function: a refusal throws KeySelectionError, so `jwtVerify` rejects with it. */
export function keyFunction(select: (header: CompactJWSHeaderParameters) => KeySelection): (header: CompactJWSHeaderParameters) => CryptoKey {
  return (header) => {
    const selected = select(header);
    if (!selected.ok) throw new KeySelectionError(selected.reason);
    return selected.key;
  };
}

/**
 * A key function for `jwtVerify(token, keyRingVerifier(ring), { algorithms: [...RING_ALGORITHMS] })`.
 * Pass a getter to follow a ring that is reloaded; it throws KeySelectionError when no key fits.
 */
export function keyRingVerifier(ring: KeyRing | (() => KeyRing), opts: KeySelectorOptions = {}): (header: CompactJWSHeaderParameters) => CryptoKey {
  const current = typeof ring === 'function' ? ring : () => ring;
  return keyFunction((header) => selectVerifyKey(current(), header, opts));
}
