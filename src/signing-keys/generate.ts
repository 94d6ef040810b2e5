import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, generateSecret, type JWK } from 'jose';
import type { KeyAlg } from './algorithms.js';

/** RSA keys we create; the loader accepts 2048 bits and more. */
export const RSA_BITS = 3072;

/** A fresh kid: the UTC date and 32 random bits, e.g. `20300101-9f86d081`. */
export function newKid(now: Date = new Date()): string {
  return `${now.toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(4).toString('hex')}`;
}

/** Generates a key for `alg` as a private JWK with `kid`, `alg` and `use` set, ready for a key file. */
export async function generateKeyJwk(alg: KeyAlg, kid: string): Promise<JWK> {
  const key =
    alg === 'HS256'
      ? await generateSecret('HS256', { extractable: true })
      : (
          await generateKeyPair(alg, {
            extractable: true,
            ...(alg === 'RS256' ? { modulusLength: RSA_BITS } : {}),
            ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
          })
        ).privateKey;
  const jwk = await exportJWK(key);
  return { ...jwk, kid, alg, use: 'sig' };
}
