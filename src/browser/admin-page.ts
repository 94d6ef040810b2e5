import type { SessionInfo } from '../store/store.js';
import { escapeHtml, page } from './html.js';

/** Where the admin page lives, through every front. */
export const ADMIN_PAGE_PATH = '/tokengate/admin';

/** What the last action did, as the redirect after it says (`?done=`): never free text. */
export type AdminDone = { kind: 'ended' } | { kind: 'ended_all'; sessions: number };

export interface AdminPageOptions {
  /** The signed-in admin's `sub`. */
  admin: string;
  /** The form token every action posts, bound to the admin's session. */
  csrfToken: string;
  /** The user searched for (already checked), with their live sessions. */
  found?: { user: string; sessions: readonly SessionInfo[] } | undefined;
  done?: AdminDone | undefined;
}

/** `2030-01-01 00:00:00 UTC`: unambiguous, whatever the admin's locale. */
function when(unixS: number): string {
  const iso = new Date(unixS * 1000).toISOString();
  return `<time datetime="${iso}">${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC</time>`;
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** A POST form of the page: the CSRF token, the user, the action and its fields, one button. */
function actionForm(csrfToken: string, fields: Record<string, string>, button: string): string {
  return [
    `<form method="post" action="${ADMIN_PAGE_PATH}">`,
    `<input type="hidden" name="csrf" value="${escapeHtml(csrfToken)}">`,
    ...Object.entries(fields).map(([name, value]) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`),
    button,
    '</form>',
  ].join('\n');
}

function sessionRow(csrfToken: string, user: string, s: SessionInfo): string {
  const end = actionForm(
    csrfToken,
    { user, action: 'end', session: s.sid },
    `<button type="submit" aria-label="End session ${escapeHtml(s.sid)}">End</button>`,
  );
  // The address and user agent are what the client sent: escaped like everything else.
  const cells = [
    `<code>${escapeHtml(s.sid)}</code>`,
    when(s.startedAt),
    when(s.lastRefreshAt),
    escapeHtml(s.address ?? ''),
    `<span class="agent">${escapeHtml(s.userAgent ?? '')}</span>`,
    when(s.expiresAt),
    end,
  ];
  return `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
}

function results(csrfToken: string, user: string, sessions: readonly SessionInfo[]): string[] {
  const u = escapeHtml(user);
  if (sessions.length === 0) return [`<h2>${u}</h2>`, `<p>No live sessions for <strong>${u}</strong>.</p>`];
  const head = ['Session', 'Started', 'Last refresh', 'Address', 'User agent', 'Ends', 'Action'].map((h) => `<th scope="col">${h}</th>`).join('');
  return [
    `<h2>${u}: ${plural(sessions.length, 'live session')}</h2>`,
    '<table>',
    `<thead><tr>${head}</tr></thead>`,
    '<tbody>',
    ...sessions.map((s) => sessionRow(csrfToken, user, s)),
    '</tbody>',
    '</table>',
    actionForm(csrfToken, { user, action: 'end_all' }, `<button type="submit" class="danger">End all sessions of ${u}</button>`),
  ];
}

function status(done: AdminDone): string {
  const text =
    done.kind === 'ended' ? 'The session was ended.' : `Ended ${plural(done.sessions, 'session')}; every token issued to this user until now is refused.`;
  return `<p class="status" role="status">${escapeHtml(text)}</p>`;
}

/** Renders the admin page: the search form, and a user's live sessions with their actions when one was searched. */
export function renderAdminPage(opts: AdminPageOptions): string {
  const user = opts.found?.user ?? '';
  const body = [
    '<h1>Sessions</h1>',
    `<p>Signed in as <strong>${escapeHtml(opts.admin)}</strong>. <a href="/logout">Sign out</a></p>`,
    ...(opts.done !== undefined ? [status(opts.done)] : []),
    `<form method="get" action="${ADMIN_PAGE_PATH}" role="search">`,
    '<label for="user">User</label>',
    '<div class="row">',
    `<input id="user" name="user" type="text" value="${escapeHtml(user)}" required maxlength="256" autocomplete="off" autocapitalize="none" spellcheck="false">`,
    '<button type="submit">Search</button>',
    '</div>',
    '</form>',
    ...(opts.found !== undefined ? results(opts.csrfToken, opts.found.user, opts.found.sessions) : []),
  ].join('\n');
  return page({ title: 'Sessions: tokengate admin', body, wide: true });
}

/** The admin page's own error page: the message as text, and the way back. */
export function renderAdminErrorPage(status: number, message: string): string {
  const body = [
    `<h1>${escapeHtml(message)}</h1>`,
    `<p>Error ${escapeHtml(String(status))}.</p>`,
    `<p><a href="${ADMIN_PAGE_PATH}">Back to the admin page</a></p>`,
  ].join('\n');
  return page({ title: `Error ${status}`, body });
}
