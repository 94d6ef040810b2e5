import type { Router } from 'express';
import type { KeysSource } from '../signing-keys/token-keys.js';
import { publicDocumentRouter } from './public-document.js';

export const JWKS_PATH = '/.well-known/jwks.json';

export interface JwksOptions {
  keys: KeysSource;
  /** JWKS_MAX_AGE_S. */
  maxAgeS: number;
}

/**
 * `GET /.well-known/jwks.json`: the public keys of the key ring, so other services verify tokens
 * without the secret. Never a private member, never an HS256 secret (a ring of those publishes
 * `{"keys":[]}`). Cacheable, with an ETag for cheap revalidation.
 */
export function jwksRouter(opts: JwksOptions): Router {
  return publicDocumentRouter(JWKS_PATH, { ...opts, build: (keys) => ({ keys: keys.publicJwks() }) });
}
