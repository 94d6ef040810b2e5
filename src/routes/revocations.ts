import { Router } from 'express';
import { z } from 'zod';
import type { Core } from '../core.js';
import { GatewayError } from '../errors.js';
import { ROUTING } from './routing.js';

export const REVOCATIONS_PATH = '/revocations';

const query = z.object({
  instance: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
  since: z.string().regex(/^\d{1,15}$/).transform(Number).optional(),
});

/**
 * `GET /revocations?instance=&since=`, on the signer's own port only (nginx routes no client
 * there): the revocation feed the OpenResty front's workers poll, with what they need to keep
 * their identity cache honest: the revocations since their position (or a reset), the generation
 * of the keys and policy, whether entries are per path, and the longest an entry may live.
 * 503 while this signer may not know every revocation (its Redis mirror is out of sync): the
 * pollers then stop answering from their caches.
 */
export function revocationsRouter(core: Core): Router {
  const router = Router(ROUTING);
  router.get(REVOCATIONS_PATH, (req, res, next) => {
    const parsed = query.safeParse(req.query);
    if (!parsed.success) return next(new GatewayError('invalid_request', 'instance and since must be an id and a number.'));
    if (!core.store.revocationsCurrent()) return next(new GatewayError('store_unavailable'));
    const page = core.edge.feed.since(parsed.data.instance, parsed.data.since);
    res.set('Cache-Control', 'no-store').json({
      ...page,
      generation: core.edge.generation(),
      scope: core.edge.pathScoped ? 'path' : 'any',
      maxTtl: core.config.IDENTITY_CACHE_TTL_S,
    });
  });
  return router;
}
