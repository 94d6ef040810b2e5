import { Router, type Request, type Response } from 'express';
import type { Core } from '../core.js';
import { ROUTING } from './routing.js';
import { allowOnly, smallBody } from './body.js';
import { GatewayError } from '../errors.js';
import { acceptsHtml } from '../http/accepts-html.js';
import { renderLoginPage } from '../browser/login-page.js';
import { safeReturnTo } from '../browser/return-to.js';
import { sendPage } from '../browser/send-page.js';
import type { AuthenticateOutcome } from '../app-check/authenticate.js';
import { authenticateThrottled, credentials, startSession, tokenResponse } from './session-start.js';
import { handleFormLogin } from './login-form.js';

/**
 * `GET /login`: the sign-in page. `POST /login`: credentials → upstream authenticate → a session.
 * A browser's form post gets cookies and a redirect; any other client gets the tokens as JSON,
 * or the upstream's refusal as is (the OpenResty contract).
 */
export function loginRouter(core: Core): Router {
  const router = Router(ROUTING);
  router
    .route('/login')
    .get((req, res) => showLoginPage(core, req, res))
    .post(...smallBody, async (req: Request, res: Response) => {
      if (acceptsHtml(req.get('accept')) && req.is('application/x-www-form-urlencoded')) return handleFormLogin(core, req, res);
      const parsed = credentials.safeParse(req.body);
      if (!parsed.success) throw new GatewayError('invalid_request', 'Send a non-empty "username" and "password".');
      const outcome = await authenticateThrottled(core, parsed.data, req);
      if (outcome.kind === 'throttled') {
        res.set('Retry-After', String(outcome.retryAfterS));
        throw new GatewayError('too_many_attempts');
      }
      if (outcome.kind === 'refused') return sendRefusal(res, outcome);
      const tokens = await startSession(core, outcome.claims, req);
      res.set('Cache-Control', 'no-store').json(tokenResponse(tokens));
    })
    .all(allowOnly('GET, HEAD, POST'));
  return router;
}

/** The sign-in form, with a fresh CSRF token in both the form and its cookie. */
export function showLoginPage(core: Core, req: Request, res: Response): void {
  const csrfToken = core.csrf.issue();
  const returnTo = safeReturnTo(typeof req.query.return_to === 'string' ? req.query.return_to : undefined, core.config.PUBLIC_ORIGIN);
  res.append('Set-Cookie', core.cookies.csrf(csrfToken));
  sendPage(res, 200, renderLoginPage({ returnTo, csrfToken }));
}

/** The OpenResty behaviour: the upstream's status and body go back unchanged, with `Retry-After`. */
function sendRefusal(res: Response, outcome: Extract<AuthenticateOutcome, { kind: 'refused' }>): void {
  res.status(outcome.status).set('Cache-Control', 'no-store');
  // setHeader, not res.type(): the app's Content-Type goes back exactly as it was sent.
  if (outcome.contentType) res.setHeader('Content-Type', outcome.contentType);
  if (outcome.retryAfter) res.set('Retry-After', outcome.retryAfter);
  res.send(outcome.body);
}
