import type { Response } from 'express';
import type { Decision } from '../auth/check-request.js';
import { GatewayError, toHttp } from '../errors.js';
import { sendForbidden } from '../policy/forbidden-answer.js';
import { setCookieValues } from '../session/cookies.js';

/** Anything but a pass: what `/verify` would answer (401 or 403), with the cookies it clears. */
export type Refusal = Exclude<Decision, { status: 204 }>;

/**
 * Answers a refused check as nginx answers `/verify`'s refusal: the cookies it clears, then the
 * 403 page (or JSON), or the login redirect for a browser, or a 401 JSON with the challenge.
 * The embedded front and the admin page answer their refusals with it.
 */
export function sendRefusal(res: Response, refusal: Refusal): void {
  if (refusal.cookies !== undefined) res.append('Set-Cookie', setCookieValues(refusal.cookies));
  if (refusal.status === 403) return sendForbidden(res, refusal.page);
  res.set({ 'WWW-Authenticate': refusal.challenge, 'Cache-Control': 'no-store' });
  if (refusal.location !== undefined) return res.redirect(302, refusal.location);
  const { status, body } = toHttp(new GatewayError('unauthorized'));
  res.status(status).json(body);
}
