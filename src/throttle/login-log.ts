import type { Logger } from '../log/logger.js';

/** The two events fail2ban counts (`deploy/fail2ban/filter.d/tokengate.conf`). */
export type LoginEvent = 'login_failed' | 'login_throttled';

/** The longest username written to the log, in characters. */
export const MAX_LOGGED_USERNAME = 64;

export interface LoginEventFields {
  /** The client address, canonical (`clientAddress`). */
  client: string;
  /** The username as sent; it is sanitised here. Never the password. */
  user: string;
  requestId?: string | undefined;
  /** For `login_throttled`: what the client was told to wait. */
  retryAfterS?: number | undefined;
}

/**
 * Writes one `warn` line per failed or refused login, in a format fail2ban's filter relies on:
 * `"event"`, then `"client"`, then `"user"`, in that order, right after the logger's own
 * fields. pino escapes every value as JSON, so no username can close its string and forge a
 * `"client"`; the username is also cut to printable ASCII and `MAX_LOGGED_USERNAME` characters.
 */
export function logLoginEvent(logger: Logger, event: LoginEvent, fields: LoginEventFields): void {
  const line: Record<string, unknown> = { event, client: fields.client, user: sanitizeUsername(fields.user) };
  if (fields.requestId !== undefined) line.requestId = fields.requestId;
  if (fields.retryAfterS !== undefined) line.retryAfterS = fields.retryAfterS;
  logger.warn(line, event === 'login_failed' ? 'login failed' : 'login throttled');
}

/** Printable ASCII only (anything else becomes `?`, one per character), at most 64 characters then `...`. */
export function sanitizeUsername(username: string): string {
  const chars = Array.from(username, (c) => (c >= ' ' && c <= '~' ? c : '?'));
  return chars.length > MAX_LOGGED_USERNAME ? `${chars.slice(0, MAX_LOGGED_USERNAME).join('')}...` : chars.join('');
}
