import { createHash } from 'node:crypto';
import { Router } from 'express';
import type { KeysSource, TokenKeys } from '../signing-keys/token-keys.js';
import { ROUTING } from './routing.js';

export interface PublicDocumentOptions {
  /** The keys of the moment; the document is rebuilt only when they change (a reload). */
  keys: KeysSource;
  /** `Cache-Control: max-age` (JWKS_MAX_AGE_S). */
  maxAgeS: number;
  /** The document for these keys, as JSON. */
  build: (keys: TokenKeys) => unknown;
}

/**
 * `GET <path>`: a public JSON document that depends on the keys alone (the JWKS, the discovery
 * document). Cacheable, with an ETag for cheap revalidation (304 on `If-None-Match`).
 */
export function publicDocumentRouter(path: string, opts: PublicDocumentOptions): Router {
  const router = Router(ROUTING);
  let cached: { keys: TokenKeys; body: string; etag: string } | undefined;
  router.get(path, (req, res) => {
    const keys = opts.keys();
    if (cached?.keys !== keys) {
      const body = JSON.stringify(opts.build(keys));
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
