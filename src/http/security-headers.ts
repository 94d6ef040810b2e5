import type { ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';

/** Headers every signer answer carries, as a flat list (name, value...); none of its answers are meant to be cached or framed. */
export const SECURITY_HEADERS: readonly string[] = Object.freeze([
  'X-Content-Type-Options',
  'nosniff',
  'X-Frame-Options',
  'DENY',
  'Referrer-Policy',
  'no-referrer',
]);

/** Sets `SECURITY_HEADERS` on an answer whose headers are not written yet. */
export function setSecurityHeaders(res: ServerResponse): void {
  for (let i = 0; i < SECURITY_HEADERS.length; i += 2) res.setHeader(SECURITY_HEADERS[i]!, SECURITY_HEADERS[i + 1]!);
}

export const securityHeaders: RequestHandler = (_req, res, next) => {
  setSecurityHeaders(res);
  next();
};
