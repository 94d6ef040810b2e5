import type { Request } from 'express';
import { createRequestChecker, isBrowserNavigation, requestCredentials } from '../auth/check-request.js';
import { loginLocation } from '../browser/return-to.js';
import type { Core } from '../core.js';
import type { SessionCookies } from '../session/cookies.js';
import { sessionClient } from '../session/session-client.js';
import { sendRefusal, type Refusal } from '../http/send-refusal.js';

export { sendRefusal, type Refusal };

/** Who opened the admin page: an admin (with the cookies a refresh on the way rotated), or the answer anyone else gets. */
export type PageCaller = { ok: true; sub: string; csrfBinding: string; cookies?: SessionCookies | undefined } | { ok: false; refusal: Refusal };

/**
 * The admin page's own check of its caller, made by the signer whatever front is in front of it:
 * the request's credentials (the session cookies, or `Authorization: Bearer`) go through the very
 * decision `/verify` makes (signature, expiry, revocation of the token, its session and its user,
 * the policy; an expired access cookie is refreshed with the refresh cookie, or let through within
 * REFRESH_GRACE_S when nginx's check has just rotated it), then the identity must be a user whose
 * `roles` hold ADMIN_ROLE. Identity headers are never read: nothing a client sends but its
 * credentials decides.
 */
export function createPageCaller(core: Core): (req: Request) => Promise<PageCaller> {
  // A policy that made this path public (a misconfiguration) must not make the page anonymous:
  // the same check without the policy then gives the identity.
  const identityOnly = createRequestChecker({
    verify: core.verifyAccess,
    sessions: core.sessions,
    cookies: core.cookies,
    loginLocation: (uri) => loginLocation(core.config.PUBLIC_ORIGIN, uri),
  });
  return async (req) => {
    const creds = requestCredentials(req.rawHeaders, req.originalUrl, req.method, () => sessionClient(req, core.config.TRUSTED_PROXIES));
    let decision = await core.check(creds);
    if (decision.status === 204 && 'public' in decision) decision = await identityOnly(creds);
    if (decision.status !== 204) return { ok: false, refusal: decision };
    if (!('kind' in decision)) throw new Error('a pass without identity from the identity-only check');
    const role = core.config.ADMIN_ROLE;
    if (decision.kind !== 'user' || role === '' || !(decision.claims.roles ?? []).includes(role)) {
      core.logger.info({ sub: decision.sub, kind: decision.kind, requestId: req.get('x-request-id') }, 'admin page refused: not an admin');
      return { ok: false, refusal: { status: 403, reason: 'forbidden', page: isBrowserNavigation(creds), cookies: decision.cookies } };
    }
    return { ok: true, sub: decision.sub, csrfBinding: await csrfBinding(core, decision.sub, decision.claims.sid, req), cookies: decision.cookies };
  };
}

/**
 * What the page's form tokens are bound to: the admin and their session. A pass through the
 * refresh cookie carries the session's claims without `sid`, so the refresh cookie names it then.
 * The newline keeps these apart from the sign-out form's tokens, which are bound to a bare sid.
 */
async function csrfBinding(core: Core, sub: string, sidClaim: unknown, req: Request): Promise<string> {
  let sid = typeof sidClaim === 'string' ? sidClaim : undefined;
  const refresh = core.cookies.read(req.get('cookie')).refresh;
  if (sid === undefined && refresh !== undefined) sid = await core.sessions.inspectRefresh(refresh);
  return `admin-page\n${sub}\n${sid ?? ''}`;
}
