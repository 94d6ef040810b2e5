import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';

/** What a request id may look like: nginx's `$request_id` (32 hex digits), a UUID, and the like. */
export const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** The id to log a request under: the one nginx sent when it looks like one, else a new one. */
export function requestIdOf(sent: string | string[] | undefined): string {
  return typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : randomUUID();
}

/**
 * Settles `X-Request-Id` once, first thing: every line of the request (the error handler's,
 * the login throttle's) reads it from the header, and the login passes it on to the app's
 * /authenticate, so a missing or odd one (several, too long, control characters) is replaced
 * in the header itself.
 */
export const requestId: RequestHandler = (req, _res, next) => {
  adoptRequestId(req);
  next();
};

/** Replaces the request's `X-Request-Id` with `requestIdOf` it, and returns it. */
export function adoptRequestId(req: IncomingMessage): string {
  const sent = req.headers['x-request-id'];
  const id = requestIdOf(sent);
  if (id !== sent) req.headers['x-request-id'] = id;
  return id;
}
