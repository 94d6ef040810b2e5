import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { GatewayError, toHttp } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { AppAnswerError } from '../app-check/authenticate.js';

/** The one place errors become responses: public codes go out, internals become `server_error`. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => sendError(logger, err, req, res, req.path);
}

/**
 * Logs `err` as it deserves and answers it as JSON; for express and for the raw `/verify` handler
 * alike. `path` is the request's path without its query.
 */
export function sendError(logger: Logger, err: unknown, req: IncomingMessage, res: ServerResponse, path: string): void {
  const http = toHttp(err);
  const requestId = req.headers['x-request-id'];
  // A store outage is logged once by the store itself, not once per request it fails.
  if (http.body.error === 'store_unavailable') logger.debug({ method: req.method, path, requestId }, 'store unavailable');
  else if (http.status >= 500) {
    const detail =
      err instanceof GatewayError
        ? { code: http.body.error, cause: describe(err.cause), ...(err instanceof AppAnswerError ? { detail: err.detail } : {}) }
        : { code: http.body.error, err: describe(err) };
    logger.error({ ...detail, method: req.method, path, requestId }, 'request failed');
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(http.body);
  // Redis outages are usually short, and a retry may reach an instance that is in sync.
  if (http.body.error === 'store_unavailable') res.setHeader('Retry-After', '1');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.statusCode = http.status;
  res.end(body);
}

/** JSON 404 for every path no route claimed. */
export const notFound: RequestHandler = (_req, _res, next) => next(new GatewayError('not_found'));

/** A short, log-safe description: the error class and code or message, no stack or request data. */
function describe(err: unknown): string | undefined {
  if (err === undefined) return undefined;
  if (!(err instanceof Error)) return typeof err;
  const code = (err as { code?: unknown }).code;
  const cause = describe(err.cause);
  return `${err.name}${typeof code === 'string' ? ` ${code}` : `: ${err.message}`}${cause ? ` <- ${cause}` : ''}`;
}
