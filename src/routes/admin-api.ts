import { Router, type NextFunction, type Request, type Response } from 'express';
import { ADMIN_NONCE_CLIENT, adminNonceTtlS, verifyAdminToken } from '../admin/admin-credential.js';
import type { AdminActor } from '../admin/session-admin.js';
import type { Core } from '../core.js';
import { GatewayError } from '../errors.js';
import { loggedPath } from '../log/logged-path.js';
import type { SessionInfo } from '../store/store.js';
import { allowOnly } from './body.js';
import { ROUTING } from './routing.js';

/** Version 1 of the admin API: everything under it needs an admin credential. */
export const ADMIN_API_V1 = '/admin/v1/';

/** The challenge of a 401: the admin API's own realm, never the gateway's `tokengate`. */
export const ADMIN_REALM = 'Bearer realm="tokengate-admin"';

/**
 * A user is at most 256 characters, each at most 3 percent-encoded, and a session id 128: a
 * longer URL (a query included) is no request of this API.
 */
const MAX_URL_LENGTH = 2048;

/** `<user>/sessions` or `<user>/sessions/<sid>`, both still percent-encoded. */
const SESSIONS_PATH = /^users\/([^/]*)\/sessions(?:\/([^/]+))?$/;

/**
 * The admin API, on the signer's own port only (and the embedded front's private one): nginx and
 * the embedded front route nothing under `/admin/` to it. JSON, `Cache-Control: no-store`:
 *  - `GET    /admin/v1/users/<user>/sessions`        the user's live sessions (times in unix seconds);
 *  - `DELETE /admin/v1/users/<user>/sessions`        ends all of them and refuses every token of theirs issued until now;
 *  - `DELETE /admin/v1/users/<user>/sessions/<sid>`  ends one; 404 `session_not_found` when it is not a live one of theirs.
 * Every request needs `Authorization: Bearer <admin token>` (`signAdminToken`, under the key derived
 * from the secret): anything else is 401 before the path is even looked at. The checks on the
 * user and session id, and the audit lines, are `core.admin`'s.
 */
export function adminApiRouter(core: Core): Router {
  const router = Router(ROUTING);
  router.use(async (req, res, next) => {
    if (!req.path.startsWith(ADMIN_API_V1) || hasDotSegment(req.path)) return next();
    res.set('Cache-Control', 'no-store');
    if (req.originalUrl.length > MAX_URL_LENGTH) throw new GatewayError('uri_too_long');
    const actor = await authenticate(core, req.rawHeaders, { method: req.method, path: req.originalUrl });
    if (typeof actor === 'string') {
      // Not an admin action, but worth an operator's eye: something on the signer's network tried.
      core.logger.warn(
        { method: req.method, path: loggedPath(req.path), requestId: req.get('x-request-id'), challenge: actor },
        'admin API: request without a valid admin credential refused',
      );
      res.set('WWW-Authenticate', actor);
      throw new GatewayError('unauthorized', 'A valid admin API token is required (Authorization: Bearer, as tokengate sessions signs it).');
    }
    const match = SESSIONS_PATH.exec(req.path.slice(ADMIN_API_V1.length));
    if (!match) throw new GatewayError('not_found');
    const sub = decodeSegment(match[1]!, 'user');
    if (match[2] === undefined) return sessionsOfUser(core, req, res, next, sub, actor);
    const sid = decodeSegment(match[2], 'session id');
    if (req.method !== 'DELETE') return allowOnly('DELETE')(req, res, next);
    await core.admin.endSession(sub, sid, actor);
    res.json({ user: sub, sid, ended: 1 });
  });
  return router;
}

/** `/users/<user>/sessions`: list (GET) or end every one (DELETE). */
async function sessionsOfUser(core: Core, req: Request, res: Response, next: NextFunction, sub: string, actor: AdminActor): Promise<void> {
  if (req.method === 'GET') {
    const sessions = await core.admin.list(sub, actor);
    res.json({ user: sub, sessions: sessions.map(sessionJson) });
  } else if (req.method === 'DELETE') {
    const outcome = await core.admin.revokeUser(sub, actor);
    res.json({ user: sub, ended: outcome.sessions, notBefore: outcome.notBeforeS });
  } else {
    allowOnly('GET, DELETE')(req, res, next);
  }
}

/**
 * Whether the path, percent-decoded, has a `.` or `..` segment. Such a path is never this API's:
 * nginx resolves them, then forwards the path as the client wrote it to the signer for the
 * location it chose, so `/admin/v1/users/x/sessions/..%2F..%2F..%2F..%2F..%2Flogin` reaches the
 * signer through nginx's `/login` location. Not routed here, it gets the signer's 404.
 */
function hasDotSegment(path: string): boolean {
  const decoded = path.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  return /(?:^|[/\\])\.{1,2}(?:[/\\]|$)/.test(decoded);
}

/** One session as the API shows it: every field present, `null` for what the signer did not see. */
function sessionJson(s: SessionInfo) {
  return {
    sid: s.sid,
    startedAt: s.startedAt,
    lastRefreshAt: s.lastRefreshAt,
    expiresAt: s.expiresAt,
    address: s.address ?? null,
    userAgent: s.userAgent ?? null,
  };
}

/** A path segment, percent-decoded (a user may hold `/` or `%`); a 400 when it is not valid percent-encoding. */
function decodeSegment(raw: string, what: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new GatewayError('invalid_request', `The ${what} in the path is not valid percent-encoding.`);
  }
}

/**
 * The caller named by the one `Authorization: Bearer <token>` header, when the token is an admin
 * credential; otherwise the challenge to answer with. A user's access token, a refresh token or a
 * client's own token is never one (another key, another audience).
 */
async function authenticate(core: Core, rawHeaders: readonly string[], request: { method: string; path: string }): Promise<AdminActor | string> {
  const values: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === 'authorization') values.push(rawHeaders[i + 1]!);
  if (values.length === 0) return ADMIN_REALM;
  const token = values.length === 1 ? /^bearer +([\x21-\x7e]+) *$/i.exec(values[0]!)?.[1] : undefined;
  if (token === undefined) return `${ADMIN_REALM}, error="invalid_request"`;
  const caller = await verifyAdminToken(core.adminKey, token, core.config.CLOCK_SKEW_S, request, core.now());
  if (caller === undefined) return `${ADMIN_REALM}, error="invalid_token"`;
  // Once, on every signer sharing the store: a credential seen on the wire cannot be sent again.
  if (!(await core.store.claimNonce(ADMIN_NONCE_CLIENT, caller.jti, adminNonceTtlS(core.config.CLOCK_SKEW_S)))) return `${ADMIN_REALM}, error="invalid_token"`;
  return { via: 'api', name: caller.actor };
}
