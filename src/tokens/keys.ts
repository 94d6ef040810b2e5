import { webcrypto } from 'node:crypto';

/** A Web Crypto key as Node and jose both take it. */
export type SigningKey = webcrypto.CryptoKey;

/** Imports the HS256 secret once as a non-extractable key, so jose does not re-import it per token. */
export function importHmacKey(secret: Uint8Array): Promise<SigningKey> {
  return webcrypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
}
