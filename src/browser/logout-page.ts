import { escapeHtml, page } from './html.js';

/** Renders the sign-out confirmation, or a pointer to sign in when there is no session. */
export function renderLogoutPage(opts: { csrfToken: string; signedIn: boolean }): string {
  if (!opts.signedIn) {
    return page({ title: 'Not signed in', body: ['<h1>You are not signed in.</h1>', '<p><a href="/login">Sign in</a></p>'].join('\n') });
  }
  // Sign-out is a POST behind a confirmation so a link or an image on another site cannot do it.
  const body = [
    '<h1>Sign out?</h1>',
    '<form method="post" action="/logout">',
    `<input type="hidden" name="csrf" value="${escapeHtml(opts.csrfToken)}">`,
    '<button type="submit">Sign out</button>',
    '</form>',
  ].join('\n');
  return page({ title: 'Sign out', body });
}

/** Renders the page shown once the session has been ended. */
export function renderSignedOutPage(): string {
  return page({ title: 'Signed out', body: ['<h1>You have signed out.</h1>', '<p><a href="/login">Sign in again</a></p>'].join('\n') });
}

/** Renders a plain error page for browsers; the message is shown as text, never as HTML. */
export function renderErrorPage(status: number, message: string): string {
  const body = [`<h1>${escapeHtml(message)}</h1>`, `<p>Error ${escapeHtml(String(status))}.</p>`, '<p><a href="/login">Go to sign in</a></p>'].join('\n');
  return page({ title: `Error ${status}`, body });
}
