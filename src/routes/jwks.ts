import { createHash } from 'node:crypto';
import { Router } from 'express';
import type { KeysSource } from '../keys/token-keys.js';
import { ROUTING } from './routing.js';

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
  const router = Router(ROUTING);
  let cached: { keys: ReturnType<KeysSource>; body: string; etag: string } | undefined;
  router.get(JWKS_PATH, (req, res) => {
    const keys = opts.keys();
    if (cached?.keys !== keys) {
      const body = JSON.stringify({ keys: keys.publicJwks() });
      cached = { keys, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
    }
    res.set({ 'Cache-Control': `public, max-age=${opts.maxAgeS}`, ETag: cached.etag });
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    res.type('application/json').send(cached.body);
  });
  return router;
}
