import type { Response } from 'express';
import { page } from '../browser/html.js';
import { sendPage } from '../browser/send-page.js';
import { GatewayError, toHttp } from '../errors.js';

/** The page a browser gets for a 403 of the policy; `npm run docs` writes it into nginx's server snippet too (scripts/nginx-pages.ts). */
export function renderForbiddenPage(): string {
  const body = [
    '<h1>Not allowed</h1>',
    '<p>You are signed in, but your account may not open this page.</p>',
    '<p><a href="/">Home</a> &middot; <a href="/logout">Sign in as someone else</a></p>',
  ].join('\n');
  return page({ title: 'Not allowed', body });
}

/** The embedded front's 403: a page for a browser, else `{"error":"forbidden"}`; never a login redirect. */
export function sendForbidden(res: Response, asPage: boolean): void {
  if (asPage) return sendPage(res, 403, renderForbiddenPage());
  const { status, body } = toHttp(new GatewayError('forbidden'));
  res.set('Cache-Control', 'no-store').status(status).json(body);
}
