import { escapeHtml, page } from './html.js';

/** Why the previous sign-in attempt failed, as the route knows it. */
export type LoginError = 'invalid_credentials' | 'csrf' | 'rate_limited' | 'unavailable';

export interface LoginPageOptions {
  /** Where to go after signing in; the route has already checked it is a local path. */
  returnTo: string;
  csrfToken: string;
  error?: LoginError | undefined;
  /** What the user typed last time, so a failed attempt does not make them type it again. */
  username?: string | undefined;
}

// One message for every credential failure, so the page never tells whether the user exists.
const MESSAGES: Record<LoginError, string> = {
  invalid_credentials: 'Incorrect username or password.',
  csrf: 'Your sign-in form expired. Please try again.',
  rate_limited: 'Too many attempts. Wait a moment and try again.',
  unavailable: 'Sign-in is unavailable right now. Please try again later.',
};

const ERROR_ID = 'login-error';
const MAX_USERNAME = 256;

/** Renders the sign-in form, with a generic error message when the last attempt failed. */
export function renderLoginPage(opts: LoginPageOptions): string {
  const error = opts.error !== undefined ? MESSAGES[opts.error] : undefined;
  const described = error !== undefined ? ` aria-describedby="${ERROR_ID}"` : '';
  const invalid = opts.error === 'invalid_credentials' ? ' aria-invalid="true"' : '';
  // The input's maxlength would cut a longer value anyway; reflecting it in full only helps abuse.
  const username = opts.username !== undefined ? Array.from(opts.username).slice(0, MAX_USERNAME).join('') : '';
  const body = [
    '<h1>Sign in</h1>',
    ...(error !== undefined ? [`<p class="error" id="${ERROR_ID}" role="alert">${escapeHtml(error)}</p>`] : []),
    '<form method="post" action="/login">',
    `<input type="hidden" name="return_to" value="${escapeHtml(opts.returnTo)}">`,
    `<input type="hidden" name="csrf" value="${escapeHtml(opts.csrfToken)}">`,
    '<label for="username">Username</label>',
    `<input id="username" name="username" type="text" value="${escapeHtml(username)}" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus maxlength="${MAX_USERNAME}"${described}${invalid}>`,
    '<label for="password">Password</label>',
    `<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"${described}${invalid}>`,
    '<button type="submit">Sign in</button>',
    '</form>',
  ].join('\n');
  return page({ title: 'Sign in', body });
}
