import { Router } from 'express';
import { ROUTING } from './routing.js';
import { requestCredentials } from '../auth/check-request.js';
import type { Core } from '../core.js';

/** `/verify`, any method: the `auth_request` target. No body on any answer. */
export function verifyRouter(core: Core): Router {
  const router = Router(ROUTING);
  router.all('/verify', async (req, res) => {
    const decision = await core.check(requestCredentials(req.rawHeaders, req.get('x-original-uri')));
    res.set('Cache-Control', 'no-store');
    if (decision.status === 204) {
      res.set(decision.headers).status(204).end();
      return;
    }
    core.logger.debug({ reason: decision.reason, requestId: req.get('x-request-id') }, 'verify refused');
    res.set('WWW-Authenticate', decision.challenge).status(401).end();
  });
  return router;
}
