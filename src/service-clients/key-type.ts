import type { KeyObject } from 'node:crypto';
import { MIN_RSA_BITS } from '../signing-keys/key-file.js';

/** What a client may sign with: the key type fixes the algorithm, the token never chooses it. */
export const CLIENT_ALGS = ['RS256', 'ES256', 'EdDSA'] as const;

export type ClientAlg = (typeof CLIENT_ALGS)[number];

/** Whether a token header's `alg` is one a client key can have. */
export const isClientAlg = (value: unknown): value is ClientAlg => typeof value === 'string' && (CLIENT_ALGS as readonly string[]).includes(value);

/**
 * The one algorithm a key (public or private) signs with: RSA of at least 2048 bits → RS256,
 * P-256 → ES256, Ed25519 → EdDSA. Anything else is refused with a reason that holds no key material.
 */
export function clientAlgOf(key: KeyObject): { ok: true; alg: ClientAlg } | { ok: false; reason: string } {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa': {
      const bits = details.modulusLength ?? 0;
      return bits >= MIN_RSA_BITS ? { ok: true, alg: 'RS256' } : { ok: false, reason: `the RSA key has ${bits} bits; RS256 needs at least ${MIN_RSA_BITS}` };
    }
    case 'ec':
      return details.namedCurve === 'prime256v1'
        ? { ok: true, alg: 'ES256' }
        : { ok: false, reason: `the EC key is on curve ${details.namedCurve ?? 'unknown'}; only P-256 (ES256) is accepted` };
    case 'ed25519':
      return { ok: true, alg: 'EdDSA' };
    case 'rsa-pss':
      // RS256 is PKCS#1 v1.5: a key restricted to PSS must not be used for it.
      return { ok: false, reason: 'an RSA-PSS key cannot sign RS256; use a plain RSA key' };
    default:
      return { ok: false, reason: `a ${key.asymmetricKeyType ?? 'symmetric'} key cannot sign RS256, ES256 or EdDSA` };
  }
}
