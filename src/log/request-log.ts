import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from './logger.js';

/** The signer's own endpoints that operators follow: one `info` line per request. */
const INFO_PATHS = new Set(['/login', '/refresh', '/logout']);

/** Paths are client input on a 404: bounded in the log. */
const MAX_PATH = 256;

/** The fields every request line has, in this order; never a header, a query string or a body. */
export function requestFields(req: Pick<IncomingMessage, 'method' | 'headers'>, path: string, status: number, started: number) {
  return {
    method: req.method,
    path: path.length > MAX_PATH ? `${path.slice(0, MAX_PATH)}...` : path,
    status,
    durationMs: Math.round((performance.now() - started) * 100) / 100,
    requestId: req.headers['x-request-id'],
  };
}

/**
 * One line per request once its answer is done: `info` for /login, /refresh and /logout,
 * `debug` for the rest (/healthz, /readyz, /metrics, 404s). /verify writes its own line (see
 * `routes/verify.ts`) and is mounted before this.
 *
 * Not pino-http: it makes a child logger and serialises the request and the response (headers,
 * query and cookies included unless every serialiser is replaced) for every request, before
 * the level is known. This needs five fields, and nothing at all when the level is off.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const path = req.path;
    const level = INFO_PATHS.has(path) ? 'info' : 'debug';
    if (!logger.isLevelEnabled(level)) return next();
    const started = performance.now();
    res.once('close', () => {
      const fields = requestFields(req, path, res.statusCode, started);
      logger[level](res.writableFinished ? fields : { ...fields, aborted: true }, 'request');
    });
    next();
  };
}
