import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Core } from '../core.js';
import { ROUTING } from './routing.js';
import { allowOnly, field, smallBody } from './body.js';
import { GatewayError } from '../errors.js';
import { acceptsHtml } from '../http/accepts-html.js';
import { renderLoginPage } from '../browser/login-page.js';
import { safeReturnTo } from '../browser/return-to.js';
import { sendPage } from '../browser/send-page.js';
import { TokenTooLargeError } from '../tokens/sign.js';
import type { SessionTokens } from '../session/sessions.js';
import { UpstreamAnswerError, type AuthenticateOutcome } from '../upstream/authenticate.js';
import { handleFormLogin } from './login-form.js';

const NO_CONTROL_CHARS = /^[^\x00-\x1f\x7f]+$/;

/** Two non-empty strings of sane length; anything else is refused before the upstream is called. */
export const credentials = z.object({
  username: z.string().min(1).max(256).regex(NO_CONTROL_CHARS),
  password: z.string().min(1).max(1024),
});

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
      const outcome = await core.authenticate(parsed.data, req.get('x-request-id'));
      if (outcome.kind === 'refused') return sendRefusal(res, outcome);
      const tokens = await startSession(core, outcome.claims);
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

/** Starts a session; claims too large for a token are the upstream's fault (502). */
export async function startSession(core: Core, claims: Record<string, unknown>): Promise<SessionTokens> {
  return core.sessions.start(claims).catch((err: unknown) => {
    if (err instanceof TokenTooLargeError) throw new UpstreamAnswerError(err.message);
    throw err;
  });
}

/** The JSON answer with both tokens: `token` first, as the OpenResty recipe's clients read it. */
export function tokenResponse(tokens: SessionTokens) {
  return {
    token: tokens.access.token,
    token_type: 'Bearer',
    expires_in: tokens.access.expiresIn,
    refresh_token: tokens.refresh.token,
    refresh_expires_in: tokens.refresh.expiresIn,
  };
}

/** The OpenResty behaviour: the upstream's status and body go back unchanged, with `Retry-After`. */
function sendRefusal(res: Response, outcome: Extract<AuthenticateOutcome, { kind: 'refused' }>): void {
  res.status(outcome.status).set('Cache-Control', 'no-store');
  // setHeader, not res.type(): the app's Content-Type goes back exactly as it was sent.
  if (outcome.contentType) res.setHeader('Content-Type', outcome.contentType);
  if (outcome.retryAfter) res.set('Retry-After', outcome.retryAfter);
  res.send(outcome.body);
}

export { field };
