import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { toHttp, type ErrorCode } from '../errors.js';
import { acceptsHtml } from '../http/accepts-html.js';
import { loginOutcome } from './login-outcome.js';
import type { Metrics } from './metrics.js';

const ERROR_CODE = 'tokengateErrorCode';

/** Placed just before the error handler: remembers which code the request is answered with. */
export const noteErrorCode: ErrorRequestHandler = (err, _req, res, next) => {
  res.locals[ERROR_CODE] = toHttp(err).body.error;
  next(err);
};

function errorCodeOf(res: Response): ErrorCode | undefined {
  return res.locals[ERROR_CODE] as ErrorCode | undefined;
}

/** Counts each `POST /login` by outcome and times it, once its answer is sent. */
export function countLogins(metrics: Pick<Metrics, 'login' | 'loginDuration'>): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'POST' || req.path !== '/login') return next();
    const started = performance.now();
    // The same test the login route makes to hand a post to the form login.
    const form = acceptsHtml(req.get('accept')) && Boolean(req.is('application/x-www-form-urlencoded'));
    res.once('finish', () => {
      metrics.login.inc({ outcome: loginOutcome({ status: res.statusCode, errorCode: errorCodeOf(res), form }) });
      metrics.loginDuration.observe((performance.now() - started) / 1000);
    });
    next();
  };
}
