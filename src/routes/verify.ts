import { setCookieValues } from '../session/cookies.js';
import { Router, type Request, type Response } from 'express';
import { ROUTING } from './routing.js';
import { requestCredentials, type Decision } from '../auth/check-request.js';
import type { Core } from '../core.js';
import { toHttp } from '../errors.js';
import { verifyFailure, verifyOutcome } from '../metrics/verify-outcome.js';
import type { VerifyOutcome } from '../metrics/metrics.js';
import { requestFields } from '../log/request-log.js';
import { loggedPath } from '../log/logged-path.js';

/**
 * Headers nginx copies with `auth_request_set`. nginx keeps only the first `Set-Cookie` of a
 * subrequest's answer, so each cookie also travels in a header of its own.
 */
export const VERIFY_HEADERS = {
  accessCookie: 'X-Tokengate-Access-Cookie',
  refreshCookie: 'X-Tokengate-Refresh-Cookie',
  location: 'X-Tokengate-Location',
  /** On a 403 to a browser: `forbidden`, so nginx answers with a page instead of JSON. */
  page: 'X-Tokengate-Page',
} as const;

/** `/verify`, any method: the `auth_request` target. No body on any answer. */
export function verifyRouter(core: Core): Router {
  const router = Router(ROUTING);
  router.all('/verify', async (req, res) => {
    const started = performance.now();
    let decision: Decision;
    try {
      decision = await core.check(requestCredentials(req.rawHeaders, req.get('x-original-uri'), req.get('x-original-method')));
    } catch (err) {
      observe(core, req, toHttp(err).status, verifyFailure(err), started);
      throw err;
    }
    res.set('Cache-Control', 'no-store');
    setCookies(res, decision);
    if (decision.status === 204) {
      res.set(decision.headers).status(204).end();
    } else if (decision.status === 403) {
      if (decision.page) res.set(VERIFY_HEADERS.page, 'forbidden');
      res.status(403).end();
    } else {
      if (decision.location !== undefined) res.set(VERIFY_HEADERS.location, decision.location);
      res.set('WWW-Authenticate', decision.challenge).status(401).end();
    }
    observe(core, req, decision.status, verifyOutcome(decision), started, decision.status === 204 ? undefined : decision.reason);
  });
  return router;
}

/**
 * Counts and times the decision and, at `debug` only, writes the request's one line. This is
 * the hot path: above `debug` nothing is built for the log at all.
 */
function observe(core: Core, req: Request, status: number, outcome: VerifyOutcome, started: number, reason?: string): void {
  core.metrics.verify.inc({ outcome });
  core.metrics.verifyDuration.observe((performance.now() - started) / 1000);
  if (!core.logger.isLevelEnabled('debug')) return;
  const original = req.get('x-original-uri');
  core.logger.debug(
    {
      ...requestFields(req, '/verify', status, started),
      originalMethod: req.get('x-original-method')?.slice(0, 16),
      // Only the path: the query may hold `?jwt=<token>`.
      originalPath: original === undefined ? undefined : pathOnly(original),
      outcome,
      reason,
    },
    status < 300 ? 'verify allowed' : status === 401 || status === 403 ? 'verify refused' : 'verify failed',
  );
}

/** The path of a request URI, bounded; never its query string or fragment. */
function pathOnly(uri: string): string {
  const end = uri.search(/[?#]/);
  return loggedPath(end === -1 ? uri : uri.slice(0, end));
}

function setCookies(res: Response, decision: Decision): void {
  if (decision.cookies === undefined) return;
  res.append('Set-Cookie', setCookieValues(decision.cookies));
  res.set(VERIFY_HEADERS.accessCookie, decision.cookies.access);
  res.set(VERIFY_HEADERS.refreshCookie, decision.cookies.refresh);
}
