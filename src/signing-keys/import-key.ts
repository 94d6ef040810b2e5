import { webcrypto } from 'node:crypto';
import { CompactSign, compactVerify, importJWK, type JWK } from 'jose';
import type { ValidKey } from './key-file.js';
import { publicJwk } from './key-file.js';

export type CryptoKey = webcrypto.CryptoKey;

export interface ImportedKey {
  signingKey: CryptoKey;
  verifyKey: CryptoKey;
}

const PROBE = new TextEncoder().encode('tokengate key ring self-test');

/**
 * Imports a checked key once, as non-extractable CryptoKeys, and signs and verifies a probe with
 * them: a file whose public half does not belong to its private half fails here, not on every token.
 */
export async function importKey(key: ValidKey): Promise<ImportedKey> {
  const pair = key.alg === 'HS256' ? await importSecret(key.jwk) : await importPair(key);
  const jws = await new CompactSign(PROBE).setProtectedHeader({ alg: key.alg }).sign(pair.signingKey);
  await compactVerify(jws, pair.verifyKey, { algorithms: [key.alg] });
  return pair;
}

async function importSecret(jwk: JWK): Promise<ImportedKey> {
  // jose hands an `oct` JWK back as bytes; a CryptoKey keeps the secret out of reach of our own code.
  const raw = Buffer.from(jwk.k ?? '', 'base64url');
  const key = await webcrypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  raw.fill(0);
  return { signingKey: key, verifyKey: key };
}

async function importPair(key: ValidKey): Promise<ImportedKey> {
  const pub = publicJwk(key);
  if (!pub) throw new Error(`no public part for ${key.alg}`);
  const signingKey = (await importJWK(key.jwk, key.alg, { extractable: false })) as CryptoKey;
  const verifyKey = (await importJWK(pub, key.alg)) as CryptoKey;
  return { signingKey, verifyKey };
}
