import { setCookieValues } from '../session/cookies.js';
import { Router, type Request, type Response } from 'express';
import type { Core } from '../core.js';
import { ROUTING } from './routing.js';
import { allowOnly, field, optionalSmallBody } from './body.js';
import { GatewayError } from '../errors.js';
import { acceptsHtml } from '../http/accepts-html.js';
import { isCrossSite } from '../browser/csrf.js';
import { renderErrorPage, renderLogoutPage, renderSignedOutPage } from '../browser/logout-page.js';
import { sendPage } from '../browser/send-page.js';
import { extractToken } from '../tokens/extract.js';
import { requestCredentials, type RequestCredentials } from '../auth/check-request.js';
import type { VerifiedClaims } from '../tokens/verify.js';

/**
 * `GET /logout` asks (it never signs out: a link or an image must not end a session);
 * `POST /logout` revokes the access token until its `exp` and its whole session, and a
 * browser's cookies are cleared with `Clear-Site-Data` too.
 */
export function logoutRouter(core: Core): Router {
  const router = Router(ROUTING);
  router
    .route('/logout')
    .get(async (req, res) => {
      const session = await currentSession(core, req);
      const csrfToken = session.sid !== undefined ? core.csrf.issue(session.sid) : '';
      sendPage(res, 200, renderLogoutPage({ csrfToken, signedIn: session.sid !== undefined }));
    })
    .post(...optionalSmallBody, async (req, res) => {
      const creds = requestCredentials(req.rawHeaders, undefined);
      if (creds.authorization.length > 0) return apiLogout(core, creds, req, res);
      // Cookies ride along on any request, so a cookie sign-out must prove it came from our
      // page: first by origin, before anything is cleared (a cross-site post carries no session
      // cookie at all, yet must not wipe the site's cookies), then by the form's token.
      if (isCrossSite({ origin: req.get('origin'), secFetchSite: req.get('sec-fetch-site') }, core.config.PUBLIC_ORIGIN)) {
        return refuseCrossSite(req, res);
      }
      const session = await currentSession(core, req);
      if (session.sid !== undefined) {
        const token = field(req.body, 'csrf');
        if (!core.csrf.verify(token, token, session.sid)) return refuseCrossSite(req, res);
        await core.sessions.end(session.access, session.sid);
        core.logger.info({ sub: session.access?.sub, requestId: req.get('x-request-id') }, 'signed out');
        // Only a real sign-out wipes the rest of the site's cookies in the browser.
        res.set('Clear-Site-Data', '"cookies"');
      }
      res.append('Set-Cookie', setCookieValues(core.cookies.cleared())).set('Cache-Control', 'no-store');
      if (acceptsHtml(req.get('accept'))) return sendPage(res, 200, renderSignedOutPage());
      res.status(204).end();
    })
    .all(allowOnly('GET, HEAD, POST'));
  return router;
}

/** An API client signs out with its bearer token; there is no ambient credential to forge. */
async function apiLogout(core: Core, creds: RequestCredentials, req: Request, res: Response): Promise<void> {
  const found = extractToken(creds);
  const verified = found.kind === 'token' ? await core.verifyAccess(found.token) : undefined;
  if (!verified?.ok) throw new GatewayError('unauthorized');
  // A token from elsewhere (the OpenResty era) may carry neither: saying 204 would be a lie.
  if (verified.claims.jti === undefined && verified.claims.sid === undefined) {
    throw new GatewayError('invalid_request', 'This token has no "jti" and cannot be revoked; it stays valid until it expires.');
  }
  await core.sessions.end(verified.claims, verified.claims.sid);
  core.logger.info({ sub: verified.claims.sub, requestId: req.get('x-request-id') }, 'signed out');
  res.set('Cache-Control', 'no-store').status(204).end();
}

function refuseCrossSite(req: Request, res: Response): void {
  const error = new GatewayError('cross_site_request');
  if (acceptsHtml(req.get('accept'))) return sendPage(res, 403, renderErrorPage(403, error.message));
  throw error;
}

/** The session the browser's cookies name: from a valid access cookie, else from the refresh cookie (read, not used). */
async function currentSession(core: Core, req: Request): Promise<{ sid?: string | undefined; access?: VerifiedClaims | undefined }> {
  const jar = core.cookies.read(req.get('cookie'));
  if (jar.access !== undefined) {
    const result = await core.verifyAccess(jar.access);
    if (result.ok && result.claims.sid !== undefined) return { sid: result.claims.sid, access: result.claims };
  }
  if (jar.refresh !== undefined) {
    const result = await core.sessions.inspectRefresh(jar.refresh);
    if (result !== undefined) return { sid: result };
  }
  return {};
}
