import type { CompactJWSHeaderParameters, JWK } from 'jose';
import type { KeyAlg } from './algorithms.js';
import type { CryptoKey } from './import-key.js';
import type { KeyRing, VerifyRing } from './keyring.js';
import { KeyRingError } from './errors.js';
import { selectVerifyKey, type KeySelection } from './keyring-verifier.js';

/** The key new tokens are signed with; `kid` goes into their header when the key has one. */
export interface TokenSigner {
  readonly alg: KeyAlg;
  readonly kid: string | undefined;
  readonly key: CryptoKey;
}

/**
 * What signs and verifies tokens at one moment: a key ring's keys, or, before any ring exists,
 * the HS256 secret alone (tokens without `kid`, as before key rings).
 */
export interface TokenKeys {
  readonly source: 'secret' | 'ring';
  readonly signer: TokenSigner;
  /** Picks the key for a token header: by kid only, the algorithm pinned to the key's. */
  select(header: CompactJWSHeaderParameters): KeySelection;
  /** Public keys for `/.well-known/jwks.json`; never a private member, never a shared secret. */
  publicJwks(): JWK[];
  /** Every kid that verifies, sorted; empty for the secret alone. */
  readonly kids: readonly string[];
}

/** A getter, so the signer follows a key ring that is reloaded while it runs. */
export type KeysSource = () => TokenKeys;

/** No kid'ed keys: with it, selectVerifyKey only ever answers the legacy key or a refusal. */
const NO_KEYS: Pick<KeyRing, 'byKid'> = { byKid: new Map() };

/** The HS256 secret alone: it signs without `kid` and verifies only tokens without one. */
export function secretKeys(secretKey: CryptoKey): TokenKeys {
  return Object.freeze({
    source: 'secret' as const,
    signer: Object.freeze({ alg: 'HS256' as const, kid: undefined, key: secretKey }),
    select: (header: CompactJWSHeaderParameters) => selectVerifyKey(NO_KEYS, header, { legacyKey: secretKey }),
    publicJwks: () => [],
    kids: Object.freeze([]),
  });
}

/**
 * A key ring: its active key signs with `kid`; each of its keys verifies. With `legacyKey` (the
 * HS256 secret), tokens without `kid` from before the ring still verify, and while the ring has
 * no active key yet, the secret signs them as before.
 */
export function ringKeys(ring: VerifyRing, legacyKey?: CryptoKey): TokenKeys {
  const signer = ring.active
    ? { alg: ring.active.alg, kid: ring.active.kid, key: ring.active.signingKey }
    : legacyKey
      ? { alg: 'HS256' as const, kid: undefined, key: legacyKey }
      : undefined;
  if (!signer)
    throw new KeyRingError('invalid_key_ring', [
      { file: 'active', reason: 'is missing: it must name the kid used for signing (tokengate rotate --kid <kid>)' },
    ]);
  return Object.freeze({
    source: 'ring' as const,
    signer: Object.freeze(signer),
    select: (header: CompactJWSHeaderParameters) => selectVerifyKey(ring, header, { legacyKey }),
    publicJwks: () => ring.publicJwks(),
    kids: Object.freeze([...ring.byKid.keys()].sort()),
  });
}
