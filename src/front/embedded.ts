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
import { adminPageRouter } from '../routes/admin-page.js';
import { discoveryRouter } from '../routes/discovery.js';
import { introspectRouter } from '../routes/introspect.js';
import { jwksRouter } from '../routes/jwks.js';
import { loginRouter } from '../routes/login.js';
import { logoutRouter } from '../routes/logout.js';
import { refreshRouter } from '../routes/refresh.js';
import { withSessionCookies } from './session-cookies.js';
import { setCookieValues, type SessionCookies } from '../session/cookies.js';
import { encodePath, isAuthenticatePath, normalizePath } from '../http/normalize-path.js';
import { appHeaders, type HeaderLines } from './app-headers.js';
import { appHost } from './app-host.js';
import { dropInvalidHeaders } from './drop-invalid-headers.js';
import { headerValues, refuseLikeNginx } from './refuse-like-nginx.js';
import { withoutJwtParam } from './without-jwt-param.js';
import { canonicalIp } from '../http/ip-address.js';
import { sessionClient } from '../session/session-client.js';
import { sendRefusal } from '../http/send-refusal.js';

const APP_TIMEOUT_MS = 60_000;

/**
 * The front door without nginx: the same routes as the nginx template, with `/verify`'s
 * decision made in-process and the app reached through http-proxy-middleware. `core` is given
 * when another listener shares it (the private admin API, see front/main.ts).
 */
export function createEmbeddedFront(config: Config, deps: AppDeps, core: Core = createCore(config, deps)): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(refuseLikeNginx);
  app.use(assignRequestId);
  app.use(assignRealIp);
  app.use(dropInvalidHeaders);
  app.use(normalizeUrl);
  app.use(jwksRouter({ keys: core.keys, maxAgeS: config.JWKS_MAX_AGE_S }));
  app.use(discoveryRouter({ keys: core.keys, issuer: config.ISSUER, origin: config.PUBLIC_ORIGIN, maxAgeS: config.JWKS_MAX_AGE_S }));
  app.use(introspectRouter(core));
  app.use(loginRouter(core));
  app.use(refreshRouter(core));
  app.use(logoutRouter(core));
  // The admin page checks its caller itself (and the policy with it), as the signer does behind nginx.
  app.use(adminPageRouter(core));
  app.use((req, _res, next) => next(isAuthenticatePath(req.path) ? new GatewayError('not_found') : undefined));
  app.use(requireIdentity(core));
  app.use(prepareAppHeaders(new URL(config.UPSTREAM_URL).host));
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
 * Like nginx's `proxy_set_header X-Real-IP $remote_addr` on the way to the signer, for the
 * decision made in-process (the login throttle believes X-Real-IP from a loopback peer): this
 * front is the front door, so the client address is the socket's, whatever the client wrote.
 * What the app receives is appHeaders' own.
 */
const assignRealIp: RequestHandler = (req, _res, next) => {
  req.headers['x-real-ip'] = req.socket.remoteAddress ?? '';
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
    const decision = await core.check(requestCredentials(req.rawHeaders, req.originalUrl, req.method, () => sessionClient(req, core.config.TRUSTED_PROXIES)));
    if (decision.status === 204) {
      res.locals.identity = decision.headers;
      // A silent refresh's cookies ride on the app's answer (see proxyToApp), as nginx's add_header.
      res.locals.cookies = decision.cookies;
      return next();
    }
    sendRefusal(res, decision);
  };
}

/**
 * Works out every header the app will receive (see `appHeaders`), while an error can still become
 * an answer; the proxy writes them as they are. `appAddress` is the Host for a request without
 * one (HTTP/1.0), where nginx would name its upstream block.
 */
function prepareAppHeaders(appAddress: string): RequestHandler {
  return (req, res, next) => {
    const host = appHost(headerValues(req.rawHeaders, 'host'));
    // refuseLikeNginx has answered an invalid Host already.
    if (!host.ok) return next(new GatewayError('invalid_request'));
    const peer = req.socket.remoteAddress ?? '';
    res.locals.appHeaders = appHeaders({
      rawHeaders: req.rawHeaders,
      host: host.host ?? appAddress,
      forwardedHost: host.host,
      // As nginx's $remote_addr: the plain IPv4 address of a client on a dual-stack socket, no zone.
      clientAddress: canonicalIp(peer.replace(/%.*$/, '')) ?? peer,
      scheme: 'encrypted' in req.socket && req.socket.encrypted === true ? 'https' : 'http',
      requestId: String(req.headers['x-request-id']),
      identity: localsOf(res).identity,
    });
    // http-proxy emits proxyReq, where these headers are written, only for a request without
    // Expect: a client's `Expect: 100-continue` would send the app the client's own headers,
    // Authorization included. Node has answered the 100 Continue already; nginx clears Expect too.
    delete req.headers.expect;
    next();
  };
}

function proxyToApp(target: string, core: Core): RequestHandler {
  const timedOut = new WeakSet<IncomingMessage>();
  return createProxyMiddleware<IncomingMessage, ServerResponse>({
    target,
    // Without an agent, http-proxy sends `Connection: close` to the app and hands the app's
    // `Connection: close` back to the client: no connection, on either side, would be reused.
    agent: new Agent({ keepAlive: true }),
    proxyTimeout: APP_TIMEOUT_MS,
    timeout: APP_TIMEOUT_MS,
    // The query without `jwt=`, cut as nginx's map cuts it; the path is normalizeUrl's.
    pathRewrite: (path) => withoutJwtParam(path),
    on: {
      proxyReq: (proxyReq, req, res) => {
        // Everything http-proxy copied from the client goes; prepareAppHeaders' list is what is
        // sent. Connection, Content-Length and Transfer-Encoding are removed even when absent, so
        // Node adds none of its own (keep-alive is HTTP/1.1's default, as nginx relies on), and
        // sets them back only as the list says.
        for (const name of [...proxyReq.getHeaderNames(), 'connection', 'content-length', 'transfer-encoding']) proxyReq.removeHeader(name);
        for (const [name, values] of localsOf(res).appHeaders) proxyReq.setHeader(name, values.length === 1 ? values[0]! : values);
        proxyReq.once('timeout', () => timedOut.add(req));
      },
      proxyRes: (proxyRes, _req, res) => {
        // The app's Connection and Keep-Alive are about the front's connection to it, which the
        // agent keeps: the client's connection follows the client's own Connection (http-proxy
        // fills it in), as nginx's does, not an app's `keep-alive` against a client's `close`.
        delete proxyRes.headers.connection;
        delete proxyRes.headers['keep-alive'];
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

interface ProxyLocals {
  identity: IdentityHeaders & Readonly<Record<string, string>>;
  cookies?: SessionCookies | undefined;
  appHeaders: HeaderLines;
}

/** What requireIdentity and prepareAppHeaders left for the proxy: http-proxy-middleware types the response as Node's. */
function localsOf(res: ServerResponse | Socket): ProxyLocals {
  return (res as unknown as { locals: ProxyLocals }).locals;
}
