import { randomBytes } from 'node:crypto';
import { Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import express, { type Express, type RequestHandler } from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';
import { requestCredentials } from '../auth/check-request.js';
import type { IdentityHeaders } from '../auth/identity-headers.js';
import type { Config } from '../config/load.js';
import { createCore, type AppDeps, type Core } from '../core.js';
import { GatewayError, toHttp } from '../errors.js';
import { errorHandler } from '../http/error-handler.js';
import { jwksRouter } from '../routes/jwks.js';
import { loginRouter } from '../routes/login.js';
import { logoutRouter } from '../routes/logout.js';
import { refreshRouter } from '../routes/refresh.js';
import { withoutGatewayCookies } from './strip-cookies.js';
import { withSessionCookies } from './session-cookies.js';
import { setCookieValues, type SessionCookies } from '../session/cookies.js';
import { splitJwtParams } from '../tokens/query-token.js';
import { isForbiddenClientHeader } from './client-headers.js';
import { encodePath, isAuthenticatePath, normalizePath } from './normalize-path.js';
import { sendForbidden } from '../policy/forbidden-answer.js';

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
  app.use(assignRealIp);
  app.use(dropUnderscoreHeaders);
  app.use(normalizeUrl);
  app.use(jwksRouter({ keys: core.keys, maxAgeS: config.JWKS_MAX_AGE_S }));
  app.use(loginRouter(core));
  app.use(refreshRouter(core));
  app.use(logoutRouter(core));
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

/**
 * Like nginx's `proxy_set_header X-Real-IP $remote_addr`: this front is the front door, so
 * the client address is the socket's, whatever the client wrote in the header.
 */
const assignRealIp: RequestHandler = (req, _res, next) => {
  req.headers['x-real-ip'] = req.socket.remoteAddress ?? '';
  next();
};

/** nginx's `underscores_in_headers off`: such headers are ignored, as if never sent. */
const dropUnderscoreHeaders: RequestHandler = (req, _res, next) => {
  if (!req.rawHeaders.some((h, i) => i % 2 === 0 && h.includes('_'))) return next();
  const kept: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    if (name.includes('_')) delete req.headers[name.toLowerCase()];
    else kept.push(name, req.rawHeaders[i + 1]!);
  }
  req.rawHeaders = kept;
  next();
};

/**
 * Routes and forwards the normalized path, as nginx does: `/x/../login` is the login, and the
 * app receives `/check` for `//check`. `req.originalUrl` keeps what the client sent.
 */
const normalizeUrl: RequestHandler = (req, _res, next) => {
  // A raw `#` ends the path and is dropped, as nginx does (Node keeps it): the app must get the
  // path the policy judged, `/public` for `/public#/../admin`, never `/admin`.
  const hash = req.url.indexOf('#');
  const url = hash === -1 ? req.url : req.url.slice(0, hash);
  const q = url.indexOf('?');
  const path = normalizePath(q === -1 ? url : url.slice(0, q));
  if (path === undefined) return next(new GatewayError('invalid_request', 'The request path is not valid.'));
  req.url = `${encodePath(path)}${q === -1 ? '' : url.slice(q)}`;
  next();
};

function requireIdentity(core: Core): RequestHandler {
  return async (req, res, next) => {
    const decision = await core.check(requestCredentials(req.rawHeaders, req.originalUrl, req.method));
    if (decision.status === 204) {
      res.locals.identity = decision.headers;
      // A silent refresh's cookies ride on the app's answer (see proxyToApp), as nginx's add_header.
      res.locals.cookies = decision.cookies;
      return next();
    }
    if (decision.cookies !== undefined) res.append('Set-Cookie', setCookieValues(decision.cookies));
    if (decision.status === 403) return sendForbidden(res, decision.page);
    res.set({ 'WWW-Authenticate': decision.challenge, 'Cache-Control': 'no-store' });
    if (decision.location !== undefined) return res.redirect(302, decision.location);
    const { status, body } = toHttp(new GatewayError('unauthorized'));
    res.status(status).json(body);
  };
}

function proxyToApp(target: string, core: Core): RequestHandler {
  const timedOut = new WeakSet<IncomingMessage>();
  return createProxyMiddleware<IncomingMessage, ServerResponse>({
    target,
    // Without an agent, http-proxy sends `Connection: close` to the app and hands the app's
    // `Connection: close` back to the client: no connection, on either side, would be reused.
    agent: new Agent({ keepAlive: true }),
    xfwd: true,
    proxyTimeout: APP_TIMEOUT_MS,
    timeout: APP_TIMEOUT_MS,
    pathRewrite: (path) => splitJwtParams(path).rest,
    on: {
      proxyReq: (proxyReq, req, res) => {
        for (const name of proxyReq.getHeaderNames()) if (isForbiddenClientHeader(name)) proxyReq.removeHeader(name);
        const { identity } = localsOf(res);
        for (const [name, value] of Object.entries(identity)) if (value !== '') proxyReq.setHeader(name, value);
        // The app never sees a token: not in Authorization, not in the query, not in a cookie.
        const cookie = withoutGatewayCookies(proxyReq.getHeader('cookie'));
        if (cookie === undefined) proxyReq.removeHeader('cookie');
        else proxyReq.setHeader('cookie', cookie);
        proxyReq.setHeader('X-Real-IP', req.socket.remoteAddress ?? '');
        proxyReq.once('timeout', () => timedOut.add(req));
      },
      proxyRes: (proxyRes, _req, res) => {
        const { cookies } = localsOf(res);
        if (cookies !== undefined) withSessionCookies(proxyRes, cookies);
      },
      error: (err, req, res) => {
        const timeout = timedOut.has(req);
        core.logger.warn({ err: (err as NodeJS.ErrnoException).code ?? err.name, requestId: req.headers['x-request-id'] }, 'app request failed');
        if (!('writeHead' in res) || res.headersSent) return void res.destroy();
        const code = timeout ? 'app_timeout' : 'app_unavailable';
        const http = toHttp(new GatewayError(code));
        // The check passed and may have rotated the cookies: they must still reach the browser.
        const { cookies } = localsOf(res);
        const setCookie = cookies === undefined ? {} : { 'set-cookie': setCookieValues(cookies) };
        res.writeHead(http.status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...setCookie }).end(JSON.stringify(http.body));
      },
    },
  });
}

/** What requireIdentity left for the proxy: http-proxy-middleware types the response as Node's. */
function localsOf(res: ServerResponse | Socket): { identity: IdentityHeaders; cookies?: SessionCookies | undefined } {
  return (res as unknown as { locals: { identity: IdentityHeaders; cookies?: SessionCookies } }).locals;
}
