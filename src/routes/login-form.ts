import { setCookieValues } from '../session/cookies.js';
import type { Request, Response } from 'express';
import type { Core } from '../core.js';
import { field } from './body.js';
import { authenticateThrottled, credentials, startSession, type LoginOutcome } from './session-start.js';
import { GatewayError, toHttp } from '../errors.js';
import { StoreUnavailableError } from '../store/store.js';
import { isCrossSite } from '../browser/csrf.js';
import { renderErrorPage } from '../browser/logout-page.js';
import { renderLoginPage, type LoginError } from '../browser/login-page.js';
import { absoluteLocation, safeReturnTo } from '../browser/return-to.js';
import { sendPage } from '../browser/send-page.js';

/**
 * A browser's sign-in form post: same-origin and CSRF token checked, then the upstream asked;
 * success sets both session cookies and 303s to the checked `return_to`.
 */
export async function handleFormLogin(core: Core, req: Request, res: Response): Promise<void> {
  const origin = core.config.PUBLIC_ORIGIN;
  if (isCrossSite({ origin: req.get('origin'), secFetchSite: req.get('sec-fetch-site') }, origin)) {
    return sendPage(res, 403, renderErrorPage(403, new GatewayError('cross_site_request').message));
  }
  const returnTo = safeReturnTo(field(req.body, 'return_to'), origin);
  const username = field(req.body, 'username');
  const again = (status: number, error: LoginError) => {
    const csrfToken = core.csrf.issue();
    res.append('Set-Cookie', core.cookies.csrf(csrfToken));
    sendPage(res, status, renderLoginPage({ returnTo, csrfToken, error, username }));
  };
  // What the JSON error handler would answer and log, as a page. A store outage may be over soon.
  const unavailable = (err: GatewayError | StoreUnavailableError) => {
    const { status, body } = toHttp(err);
    core.logger.warn({ code: body.error, requestId: req.get('x-request-id') }, 'form login failed');
    if (body.error === 'store_unavailable') res.set('Retry-After', '1');
    again(status, 'unavailable');
  };

  const cookieToken = core.cookies.read(req.get('cookie')).csrf;
  if (!core.csrf.verify(field(req.body, 'csrf'), cookieToken)) return again(403, 'csrf');
  const parsed = credentials.safeParse(req.body);
  if (!parsed.success) return again(401, 'invalid_credentials');

  let outcome: LoginOutcome;
  try {
    outcome = await authenticateThrottled(core, parsed.data, req);
  } catch (err) {
    if (!(err instanceof GatewayError || err instanceof StoreUnavailableError)) throw err;
    return unavailable(err);
  }
  if (outcome.kind === 'throttled') {
    res.set('Retry-After', String(outcome.retryAfterS));
    return again(429, 'rate_limited');
  }
  if (outcome.kind === 'refused') {
    if (outcome.status === 429) {
      if (outcome.retryAfter) res.set('Retry-After', outcome.retryAfter);
      return again(429, 'rate_limited');
    }
    // Any refusal reads the same, so the page never tells whether the user exists.
    return outcome.status >= 500 ? again(502, 'unavailable') : again(401, 'invalid_credentials');
  }
  let tokens;
  try {
    tokens = await startSession(core, outcome.claims, req);
  } catch (err) {
    // The store failed after the app said yes: a page, and no cookie set.
    if (!(err instanceof StoreUnavailableError)) throw err;
    return unavailable(err);
  }
  res.append('Set-Cookie', setCookieValues(core.cookies.session(tokens)));
  res.set('Cache-Control', 'no-store').redirect(303, absoluteLocation(origin, returnTo));
}
