import { z } from 'zod';
import type { Core } from '../core.js';
import { TokenTooLargeError } from '../tokens/sign.js';
import type { SessionTokens } from '../session/sessions.js';
import { AppAnswerError, type AuthenticateOutcome, type Credentials } from '../app-check/authenticate.js';
import { clientAddress, type AddressSource } from '../http/client-address.js';
import type { LoginAttempt } from '../throttle/login-throttle.js';
import { sessionClient } from '../session/session-client.js';

const NO_CONTROL_CHARS = /^[^\x00-\x1f\x7f]+$/;

/** Two non-empty strings of sane length; anything else is refused before the upstream is called. */
export const credentials = z.object({
  username: z.string().min(1).max(256).regex(NO_CONTROL_CHARS),
  password: z.string().min(1).max(1024),
});

/** Starts a session for the client of `req`; claims too large for a token are the upstream's fault (502). */
export async function startSession(core: Core, claims: Record<string, unknown>, req: AddressSource): Promise<SessionTokens> {
  return core.sessions.start(claims, sessionClient(req, core.config.TRUSTED_PROXIES)).catch((err: unknown) => {
    if (err instanceof TokenTooLargeError) throw new AppAnswerError(err.message);
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

/** The upstream's answer, or the throttle's refusal before the upstream was asked. */
export type LoginOutcome = AuthenticateOutcome | { kind: 'throttled'; retryAfterS: number };

/**
 * Asks the upstream inside the failed-login throttle. Only its 401 and 403 count as failures;
 * its other refusals, a timeout or an unreachable upstream give the attempt back. A throttle
 * whose store is unavailable rejects with `StoreUnavailableError` before the upstream is asked:
 * the login fails closed (503, see `toHttp`).
 */
export async function authenticateThrottled(core: Core, creds: Credentials, req: AddressSource): Promise<LoginOutcome> {
  const requestId = req.headers['x-request-id'];
  const attempt: LoginAttempt = {
    user: creds.username,
    address: clientAddress(req, core.config.TRUSTED_PROXIES),
    requestId: typeof requestId === 'string' ? requestId : undefined,
  };
  const admission = await core.throttle.check(attempt);
  if (!admission.allowed) return { kind: 'throttled', retryAfterS: admission.retryAfterS };
  let outcome: AuthenticateOutcome;
  try {
    outcome = await core.authenticate(creds, attempt.requestId);
  } catch (err) {
    // The upstream's failure is the answer; a throttle store failing too would only hide it.
    await core.throttle.inconclusive(attempt).catch((cause: unknown) => {
      core.logger.warn({ err: cause instanceof Error ? cause.name : typeof cause, requestId: attempt.requestId }, 'could not release a login attempt');
    });
    throw err;
  }
  if (outcome.kind === 'accepted') await core.throttle.succeeded(attempt);
  else if (outcome.status === 401 || outcome.status === 403) await core.throttle.failed(attempt);
  else await core.throttle.inconclusive(attempt);
  return outcome;
}
