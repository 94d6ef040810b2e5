import { Router, type ErrorRequestHandler, type Request, type Response } from 'express';
import type { AdminActor } from '../admin/session-admin.js';
import { createPageCaller, sendRefusal } from '../admin/page-caller.js';
import { ADMIN_PAGE_PATH, renderAdminErrorPage, renderAdminPage, type AdminDone } from '../browser/admin-page.js';
import { isCrossSite } from '../browser/csrf.js';
import { sendPage } from '../browser/send-page.js';
import type { Core } from '../core.js';
import { GatewayError, toHttp } from '../errors.js';
import { acceptsHtml } from '../http/accepts-html.js';
import { setCookieValues, type SessionCookies } from '../session/cookies.js';
import { allowOnly, singleField, smallForm } from './body.js';
import { ROUTING } from './routing.js';

/** Longer than any URL the page makes (a user is at most 256 characters, 768 encoded); longer ones are refused. */
const MAX_URL_LENGTH = 2048;

/**
 * `GET /tokengate/admin` (`?user=<sub>`): the admin page, a user's live sessions. `POST`: end one
 * session (`action=end&session=<sid>`) or every session of the user (`action=end_all`), then 303
 * back to the search. Only for a user whose token carries ADMIN_ROLE (see `createPageCaller`);
 * every POST must come from this origin and carry the page's form token. Mounted by the signer
 * (nginx proxies the page to it) and by the embedded front, before its own check.
 */
export function adminPageRouter(core: Core): Router {
  const router = Router(ROUTING);
  const caller = createPageCaller(core);
  const actor = (sub: string): AdminActor => ({ via: 'page', name: sub });
  const withCookies = (res: Response, cookies: SessionCookies | undefined) => {
    if (cookies !== undefined) res.append('Set-Cookie', setCookieValues(cookies));
  };

  router
    .route(ADMIN_PAGE_PATH)
    .get(async (req, res) => {
      if (req.originalUrl.length > MAX_URL_LENGTH) throw new GatewayError('uri_too_long');
      const who = await caller(req);
      if (!who.ok) return sendRefusal(res, who.refusal);
      withCookies(res, who.cookies);
      const query = readQuery(req.url);
      const found = query.user === undefined ? undefined : { user: query.user, sessions: await core.admin.list(query.user, actor(who.sub)) };
      const csrfToken = core.csrf.issue(who.csrfBinding);
      sendPage(res, 200, renderAdminPage({ admin: who.sub, csrfToken, found, done: found === undefined ? undefined : query.done }));
    })
    .post(...smallForm, async (req, res) => {
      if (req.originalUrl.length > MAX_URL_LENGTH) throw new GatewayError('uri_too_long');
      // Cookies ride along on any request: a post must come from our page, by origin first.
      if (isCrossSite({ origin: req.get('origin'), secFetchSite: req.get('sec-fetch-site') }, core.config.PUBLIC_ORIGIN))
        throw new GatewayError('cross_site_request');
      const who = await caller(req);
      if (!who.ok) return sendRefusal(res, who.refusal);
      withCookies(res, who.cookies);
      const token = singleField(req.body, 'csrf');
      if (!core.csrf.verify(token, token, who.csrfBinding)) throw new GatewayError('cross_site_request');
      const user = singleField(req.body, 'user');
      if (user === undefined) throw new GatewayError('invalid_request', 'Name the user.');
      const action = singleField(req.body, 'action');
      let done: URLSearchParams;
      if (action === 'end') {
        await core.admin.endSession(user, singleField(req.body, 'session') ?? '', actor(who.sub));
        done = new URLSearchParams({ user, done: 'ended' });
      } else if (action === 'end_all') {
        const outcome = await core.admin.revokeUser(user, actor(who.sub));
        done = new URLSearchParams({ user, done: 'ended_all', sessions: String(outcome.sessions) });
      } else {
        throw new GatewayError('invalid_request', 'The action must be "end" or "end_all".');
      }
      // Built from the configured origin and the fixed path; the user is percent-encoded.
      res.set('Cache-Control', 'no-store').redirect(303, `${new URL(core.config.PUBLIC_ORIGIN).origin}${ADMIN_PAGE_PATH}?${done.toString()}`);
    })
    .all(allowOnly('GET, HEAD, POST'));
  router.use(pageErrors);
  return router;
}

/** The search (`user`, trimmed; absent or empty: none) and the last action's outcome (`done`; anything else is ignored). */
function readQuery(url: string): { user?: string | undefined; done?: AdminDone | undefined } {
  const q = url.indexOf('?');
  const params = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
  const users = params.getAll('user');
  if (users.length > 1) throw new GatewayError('invalid_request', 'Send "user" once.');
  const user = users[0]?.trim() || undefined;
  const count = params.get('sessions') ?? '';
  const done: AdminDone | undefined =
    params.get('done') === 'ended'
      ? { kind: 'ended' }
      : params.get('done') === 'ended_all' && /^[0-9]{1,6}$/.test(count)
        ? { kind: 'ended_all', sessions: Number(count) }
        : undefined;
  return { user, done };
}

/**
 * A browser gets the page's 4xx as a page (a bad user, an unknown session, a form that did not
 * come from the page: nothing was changed); anything else, and every 5xx, goes on to the JSON
 * error handler, which logs what must be logged.
 */
const pageErrors: ErrorRequestHandler = (err, req: Request, res: Response, next) => {
  const { status, body } = toHttp(err);
  if (status >= 500 || res.headersSent || !acceptsHtml(req.get('accept'))) return next(err);
  sendPage(res, status, renderAdminErrorPage(status, body.message));
};
