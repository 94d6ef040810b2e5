import { z } from 'zod';
import type { Core } from '../core.js';
import { TokenTooLargeError } from '../tokens/sign.js';
import type { SessionTokens } from '../session/sessions.js';
import { UpstreamAnswerError } from '../upstream/authenticate.js';

const NO_CONTROL_CHARS = /^[^\x00-\x1f\x7f]+$/;

/** Two non-empty strings of sane length; anything else is refused before the upstream is called. */
export const credentials = z.object({
  username: z.string().min(1).max(256).regex(NO_CONTROL_CHARS),
  password: z.string().min(1).max(1024),
});

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
