import { z } from 'zod';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { RevokeUserOutcome, Sessions } from '../session/sessions.js';
import type { SessionInfo } from '../store/store.js';
import { MAX_SUB_LENGTH } from '../tokens/claims.js';

/** Who asked: the admin API's caller (the CLI's signed name) or a signed-in admin on the admin page (their `sub`). */
export interface AdminActor {
  via: 'api' | 'page';
  name: string;
}

/** A user as the gateway's tokens name them: a `sub` as the claims schema allows it (printable ASCII, no surrounding space). */
export const subjectParam = z
  .string()
  .min(1)
  .max(MAX_SUB_LENGTH)
  .regex(/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/);

/** A session id as the signer makes them (`newJti`): base64url, and never longer than the store accepts. */
export const sessionIdParam = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/);

/** What the admin can see and do with sessions; every action is checked, then written to the audit log. */
export interface SessionAdmin {
  /** A user's live sessions, oldest first. */
  list(sub: string, actor: AdminActor): Promise<SessionInfo[]>;
  /** Ends every session of a user and refuses every token of theirs issued until now. */
  revokeUser(sub: string, actor: AdminActor): Promise<RevokeUserOutcome>;
  /** Ends one session of a user; `session_not_found` (404) when it is not a live session of theirs. */
  endSession(sub: string, sid: string, actor: AdminActor): Promise<void>;
}

/**
 * The one place admin actions happen, for both the admin API and the admin page: inputs are
 * checked here (400 `invalid_request` for a malformed user or session id), and each action
 * leaves one audit line (`audit: true`): who, what, which user and session, and what came of it.
 * Never a token, a cookie or a claim other than the user's `sub`.
 */
export function createSessionAdmin(sessions: Pick<Sessions, 'list' | 'revokeUser' | 'endSessionOf'>, logger: Logger): SessionAdmin {
  const audit = (actor: AdminActor, action: string, fields: Record<string, unknown>, msg: string) =>
    logger.info({ audit: true, actor: actor.name, via: actor.via, action, ...fields }, msg);
  const subject = (sub: string) => {
    if (!subjectParam.safeParse(sub).success) throw new GatewayError('invalid_request', `The user must be 1 to ${MAX_SUB_LENGTH} printable ASCII characters.`);
    return sub;
  };
  return {
    async list(sub, actor) {
      const found = await sessions.list(subject(sub));
      audit(actor, 'sessions.list', { sub, sessions: found.length }, 'admin listed sessions');
      return found;
    },
    async revokeUser(sub, actor) {
      const outcome = await sessions.revokeUser(subject(sub));
      audit(actor, 'sessions.revoke_user', { sub, sessions: outcome.sessions, notBefore: outcome.notBeforeS }, 'admin ended every session of a user');
      return outcome;
    },
    async endSession(sub, sid, actor) {
      subject(sub);
      if (!sessionIdParam.safeParse(sid).success) throw new GatewayError('invalid_request', 'The session id is not valid.');
      const ended = await sessions.endSessionOf(sub, sid);
      audit(actor, 'sessions.end', { sub, sid, ended }, ended ? 'admin ended a session' : 'admin asked to end a session that is not live');
      if (!ended) throw new GatewayError('session_not_found');
    },
  };
}
