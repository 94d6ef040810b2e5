import { Router } from 'express';
import { z } from 'zod';
import type { Core } from '../core.js';
import { GatewayError } from '../errors.js';
import { ROUTING } from './routing.js';

export const REVOCATIONS_PATH = '/revocations';

/** `at=<instance>.<seq>,...`: the poller's position in each signer process it has heard (a few at most). */
const query = z.object({
  at: z
    .string()
    .regex(/^(?:[A-Za-z0-9_-]{1,64}\.\d{1,15}(?:,[A-Za-z0-9_-]{1,64}\.\d{1,15}){0,31})?$/)
    .optional(),
});

/**
 * `GET /revocations?at=`, on the signer's own port only (nginx routes no client there): the
 * revocation feed the OpenResty front's workers poll, with what they need to keep their identity
 * cache honest: the revocations after their position here (or this instance's window), the
 * generation of the keys and policy, whether entries are per path, and the longest an entry may
 * live. 503 while this signer may not know every revocation (its Redis mirror is out of sync):
 * the pollers then stop answering from their caches.
 */
export function revocationsRouter(core: Core): Router {
  const router = Router(ROUTING);
  router.get(REVOCATIONS_PATH, async (req, res, next) => {
    const parsed = query.safeParse(req.query);
    if (!parsed.success) return next(new GatewayError('invalid_request', 'at must list instance.seq positions.'));
    if (!core.store.revocationsCurrent()) return next(new GatewayError('store_unavailable'));
    const { feed } = core.edge;
    const mine = (parsed.data.at ?? '').split(',').find((p) => p.startsWith(`${feed.instance}.`));
    const page = feed.since(mine === undefined ? undefined : Number(mine.slice(feed.instance.length + 1)));
    const generation = await core.edge.generation().catch(() => undefined);
    if (generation === undefined) return next(new GatewayError('server_error'));
    res.set('Cache-Control', 'no-store').json({
      ...page,
      generation,
      scope: core.edge.pathScoped ? 'path' : 'any',
      maxTtl: core.config.IDENTITY_CACHE_TTL_S,
    });
  });
  return router;
}
