import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express, type RequestHandler } from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';
import { authorizationHeaders } from '../auth/check-request.js';
import type { IdentityHeaders } from '../auth/identity-headers.js';
import type { Config } from '../config/load.js';
import { createCore, type AppDeps, type Core } from '../core.js';
import { GatewayError, toHttp } from '../errors.js';
import { errorHandler } from '../http/error-handler.js';
import { loginRouter } from '../routes/login.js';
import { isAuthenticatePath, isForbiddenClientHeader, stripJwtParam } from './strip.js';

const APP_TIMEOUT_MS = 60_000;

/**
 * The front door without nginx: the same routes as the nginx template, with `/verify`'s
 * decision made in-process and the app reached through http-proxy-middleware.
 */
export function createEmbeddedFront(config: Config, deps: AppDeps): Express {
  const core = createCore(config, deps);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(assignRequestId);
  app.use(loginRouter(core));
  app.use((req, _res, next) => next(isAuthenticatePath(req.path) ? new GatewayError('not_found') : undefined));
  app.use(requireIdentity(core));
  app.use(proxyToApp(config.UPSTREAM_URL, core));
  app.use(errorHandler(deps.logger));
  return app;
}

/** Like nginx's `$request_id`: always the front's own, never the client's. */
const assignRequestId: RequestHandler = (req, _res, next) => {
  req.headers['x-request-id'] = randomBytes(16).toString('hex');
  next();
};

function requireIdentity(core: Core): RequestHandler {
  return async (req, res, next) => {
    const decision = await core.check({ authorization: authorizationHeaders(req.rawHeaders), originalUri: req.originalUrl });
    if (decision.status === 204) {
      res.locals.identity = decision.headers;
      return next();
    }
    const { status, body } = toHttp(new GatewayError('unauthorized'));
    res.status(status).set({ 'WWW-Authenticate': decision.challenge, 'Cache-Control': 'no-store' }).json(body);
  };
}

function proxyToApp(target: string, core: Core): RequestHandler {
  const timedOut = new WeakSet<IncomingMessage>();
  return createProxyMiddleware<IncomingMessage, ServerResponse>({
    target,
    xfwd: true,
    proxyTimeout: APP_TIMEOUT_MS,
    timeout: APP_TIMEOUT_MS,
    pathRewrite: (path) => stripJwtParam(path),
    on: {
      proxyReq: (proxyReq, req, res) => {
        for (const name of proxyReq.getHeaderNames()) if (isForbiddenClientHeader(name)) proxyReq.removeHeader(name);
        const identity = (res as unknown as { locals: { identity: IdentityHeaders } }).locals.identity;
        for (const [name, value] of Object.entries(identity)) if (value !== '') proxyReq.setHeader(name, value);
        proxyReq.setHeader('X-Real-IP', req.socket.remoteAddress ?? '');
        proxyReq.once('timeout', () => timedOut.add(req));
      },
      error: (err, req, res) => {
        const timeout = timedOut.has(req);
        core.logger.warn({ err: (err as NodeJS.ErrnoException).code ?? err.name, requestId: req.headers['x-request-id'] }, 'app request failed');
        if (!('writeHead' in res) || res.headersSent) return void res.destroy();
        const code = timeout ? 'app_timeout' : 'app_unavailable';
        const http = toHttp(new GatewayError(code));
        res.writeHead(http.status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(http.body));
      },
    },
  });
}
