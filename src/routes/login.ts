import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Core } from '../core.js';
import { ROUTING } from './routing.js';
import { GatewayError } from '../errors.js';
import { TokenTooLargeError } from '../tokens/sign.js';
import { UpstreamAnswerError, type AuthenticateOutcome } from '../upstream/authenticate.js';

const MAX_LOGIN_BODY = '16kb';

const NO_CONTROL_CHARS = /^[^\x00-\x1f\x7f]+$/;

/** Two non-empty strings of sane length; anything else is refused before the upstream is called. */
const credentials = z.object({
  username: z.string().min(1).max(256).regex(NO_CONTROL_CHARS),
  password: z.string().min(1).max(1024),
});

const LOGIN_TYPES = ['application/json', 'application/x-www-form-urlencoded'];

/** `POST /login`: credentials → upstream authenticate → a signed token, or the upstream's refusal as is. */
export function loginRouter(core: Core): Router {
  const router = Router(ROUTING);
  router
    .route('/login')
    .post(
      requireLoginContentType,
      // inflate: false: a compressed login body is refused (415), never inflated past the cap.
      express.json({ limit: MAX_LOGIN_BODY, type: 'application/json', inflate: false }),
      express.urlencoded({ extended: false, limit: MAX_LOGIN_BODY, parameterLimit: 16, type: 'application/x-www-form-urlencoded', inflate: false }),
      async (req: Request, res: Response) => {
        const parsed = credentials.safeParse(req.body);
        if (!parsed.success) throw new GatewayError('invalid_request', 'Send a non-empty "username" and "password".');
        const outcome = await core.authenticate(parsed.data, req.get('x-request-id'));
        if (outcome.kind === 'refused') return sendRefusal(res, outcome);
        const issued = await core.issue(outcome.claims).catch((err: unknown) => {
          if (err instanceof TokenTooLargeError) throw new UpstreamAnswerError(err.message);
          throw err;
        });
        res.set('Cache-Control', 'no-store').json({ token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn });
      },
    )
    .all((_req, res) => {
      res.set('Allow', 'POST');
      throw new GatewayError('method_not_allowed');
    });
  return router;
}

function requireLoginContentType(req: Request, _res: Response, next: (err?: unknown) => void): void {
  if (!req.is(LOGIN_TYPES)) throw new GatewayError('unsupported_media_type');
  next();
}

/** The OpenResty behaviour: the upstream's status and body go back unchanged, with `Retry-After`. */
function sendRefusal(res: Response, outcome: Extract<AuthenticateOutcome, { kind: 'refused' }>): void {
  res.status(outcome.status).set('Cache-Control', 'no-store');
  // setHeader, not res.type(): the app's Content-Type goes back exactly as it was sent.
  if (outcome.contentType) res.setHeader('Content-Type', outcome.contentType);
  if (outcome.retryAfter) res.set('Retry-After', outcome.retryAfter);
  res.send(outcome.body);
}
