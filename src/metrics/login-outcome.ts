import type { ErrorCode } from '../errors.js';
import type { LoginOutcome } from './metrics.js';

/** How a `POST /login` ended, as the response shows it. */
export interface LoginEnd {
  status: number;
  /** The error code the error handler answered with, if the request ended there. */
  errorCode?: ErrorCode | undefined;
  /** A browser's form post: it answers with pages, never with an error code. */
  form: boolean;
}

/**
 * Reads the outcome from the answer, so the login routes need no metrics code.
 *
 * The JSON login is exact: the gateway's own refusals carry an error code, and the app's
 * refusals come back with the app's status (its 5xx are `upstream_error`, the rest `failed`).
 * The form login answers pages by status: 401 is `failed` (a malformed form reads the same on
 * the page, on purpose), 403 a CSRF or cross-site refusal, and 429 is counted `throttled`
 * whether the gateway's throttle or the app's own 429 sent it.
 */
export function loginOutcome(end: LoginEnd): LoginOutcome {
  if (end.errorCode !== undefined) return fromErrorCode(end.errorCode);
  if (end.status < 400) return 'success';
  if (!end.form) return end.status >= 500 ? 'upstream_error' : 'failed';
  switch (end.status) {
    case 401:
      return 'failed';
    case 429:
      return 'throttled';
    case 503:
      return 'store_unavailable';
    case 502:
    case 504:
      return 'upstream_error';
    case 500:
      return 'error';
    default:
      return 'bad_request';
  }
}

function fromErrorCode(code: ErrorCode): LoginOutcome {
  switch (code) {
    case 'too_many_attempts':
      return 'throttled';
    case 'store_unavailable':
      return 'store_unavailable';
    case 'upstream_unavailable':
    case 'upstream_timeout':
    case 'bad_upstream_response':
      return 'upstream_error';
    case 'server_error':
    case 'signer_unavailable':
      return 'error';
    default:
      return 'bad_request';
  }
}
