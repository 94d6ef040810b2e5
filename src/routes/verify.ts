import { setCookieValues } from '../session/cookies.js';
import { Router, type Response } from 'express';
import { ROUTING } from './routing.js';
import { requestCredentials, type Decision } from '../auth/check-request.js';
import type { Core } from '../core.js';

/**
 * Headers nginx copies with `auth_request_set`. nginx keeps only the first `Set-Cookie` of a
 * subrequest's answer, so each cookie also travels in a header of its own.
 */
export const VERIFY_HEADERS = {
  accessCookie: 'X-Tokengate-Access-Cookie',
  refreshCookie: 'X-Tokengate-Refresh-Cookie',
  location: 'X-Tokengate-Location',
} as const;

/** `/verify`, any method: the `auth_request` target. No body on any answer. */
export function verifyRouter(core: Core): Router {
  const router = Router(ROUTING);
  router.all('/verify', async (req, res) => {
    const decision = await core.check(requestCredentials(req.rawHeaders, req.get('x-original-uri')));
    res.set('Cache-Control', 'no-store');
    setCookies(res, decision);
    if (decision.status === 204) {
      res.set(decision.headers).status(204).end();
      return;
    }
    core.logger.debug({ reason: decision.reason, requestId: req.get('x-request-id') }, 'verify refused');
    if (decision.location !== undefined) res.set(VERIFY_HEADERS.location, decision.location);
    res.set('WWW-Authenticate', decision.challenge).status(401).end();
  });
  return router;
}

function setCookies(res: Response, decision: Decision): void {
  if (decision.cookies === undefined) return;
  res.append('Set-Cookie', setCookieValues(decision.cookies));
  res.set(VERIFY_HEADERS.accessCookie, decision.cookies.access);
  res.set(VERIFY_HEADERS.refreshCookie, decision.cookies.refresh);
}
