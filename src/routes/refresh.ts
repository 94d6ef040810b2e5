import { Router } from 'express';
import type { Core } from '../core.js';
import { ROUTING } from './routing.js';
import { allowOnly, field, smallBody } from './body.js';
import { GatewayError } from '../errors.js';
import { tokenResponse } from './session-start.js';
import { sessionClient } from '../session/session-client.js';

/**
 * `POST /refresh` for API clients: a refresh token in the body (`refresh_token`) buys a new
 * pair, once. Browsers never need it: `/verify` rotates their cookies on the way.
 */
export function refreshRouter(core: Core): Router {
  const router = Router(ROUTING);
  router
    .route('/refresh')
    .post(...smallBody, async (req, res) => {
      const token = field(req.body, 'refresh_token');
      if (token === undefined || token === '') throw new GatewayError('invalid_request', 'Send the "refresh_token".');
      const outcome = await core.sessions.refresh(token, sessionClient(req, core.config.TRUSTED_PROXIES));
      res.set('Cache-Control', 'no-store');
      if (outcome.kind !== 'rotated') {
        core.logger.info({ reason: outcome.kind === 'grace' ? 'used_within_grace' : outcome.reason, requestId: req.get('x-request-id') }, 'refresh refused');
        throw new GatewayError('invalid_refresh_token');
      }
      res.json(tokenResponse(outcome.tokens));
    })
    .all(allowOnly('POST'));
  return router;
}
