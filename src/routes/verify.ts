import type { IncomingMessage, ServerResponse } from 'node:http';
import { setCookieValues } from '../session/cookies.js';
import { requestCredentials, type Decision } from '../auth/check-request.js';
import type { RefusalReason } from '../auth/refusal-reason.js';
import type { Core } from '../core.js';
import { sendError } from '../http/error-handler.js';
import { SECURITY_HEADERS, setSecurityHeaders } from '../http/security-headers.js';
import { toHttp } from '../errors.js';
import { verifyFailure, verifyOutcome } from '../metrics/verify-outcome.js';
import type { VerifyOutcome } from '../metrics/metrics.js';
import { requestFields } from '../log/request-log.js';
import { loggedPath } from '../log/logged-path.js';
import { adoptRequestId } from '../log/request-id.js';
import { authCacheHeaders } from './auth-cache.js';
import { identityCacheMark } from '../openresty/cache-mark.js';
import { sessionClient } from '../session/session-client.js';

/**
 * Headers nginx copies with `auth_request_set`. nginx keeps only the first `Set-Cookie` of a
 * subrequest's answer, so each cookie also travels in a header of its own.
 */
export const VERIFY_HEADERS = {
  accessCookie: 'X-Tokengate-Access-Cookie',
  refreshCookie: 'X-Tokengate-Refresh-Cookie',
  location: 'X-Tokengate-Location',
  /** On a 403 to a browser: `forbidden`, so nginx answers with a page instead of JSON. */
  page: 'X-Tokengate-Page',
  /** On a pass the OpenResty front may cache: `<ttl> <jti> <sid>` (see `identityCacheMark`). */
  cacheable: 'X-Tokengate-Cacheable',
} as const;

/** The route's path as express would match it (case-sensitive, strict): `/verify`, with or without a query. */
export const isVerifyUrl = (url: string | undefined): boolean => url === '/verify' || url?.startsWith('/verify?') === true;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * `/verify`, any method: the `auth_request` target, the hot path. A plain `node:http` handler in
 * front of express (its router and middleware cost more than the check itself); no body on any
 * answer but an error's.
 */
export function verifyHandler(core: Core): Handler {
  const cacheFor = authCacheHeaders(core.config.AUTH_CACHE_TTL_S, core.now);
  const markFor = identityCacheMark(core.config.IDENTITY_CACHE_TTL_S, core.now);
  return (req, res) => {
    const started = performance.now();
    const originalUri = header(req, 'x-original-uri');
    core
      .check(requestCredentials(req.rawHeaders, originalUri, header(req, 'x-original-method'), () => sessionClient(req, core.config.TRUSTED_PROXIES)))
      .then((decision) => {
        res.writeHead(decision.status, answerHeaders(decision, cacheFor(decision, req), markFor(decision))).end();
        observe(core, req, decision.status, verifyOutcome(decision), started, decision.status === 204 ? undefined : decision.reason);
      })
      // Whatever failed, the check or the answer: an error answer (or a cut connection once the
      // headers are out), never an unhandled rejection.
      .catch((err: unknown) => {
        observe(core, req, toHttp(err).status, verifyFailure(err), started);
        adoptRequestId(req);
        if (!res.headersSent) setSecurityHeaders(res);
        sendError(core.logger, err, req, res, '/verify');
      });
  };
}

/** The answer's headers as one flat list (name, value, name, value...), which Node writes as is. */
function answerHeaders(decision: Decision, caching: readonly string[], mark: string | undefined): string[] {
  const out: string[] = [...SECURITY_HEADERS, ...caching];
  if (mark !== undefined) out.push(VERIFY_HEADERS.cacheable, mark);
  if (decision.cookies !== undefined) {
    for (const value of setCookieValues(decision.cookies)) out.push('Set-Cookie', value);
    out.push(VERIFY_HEADERS.accessCookie, decision.cookies.access, VERIFY_HEADERS.refreshCookie, decision.cookies.refresh);
  }
  if (decision.status === 204) {
    for (const name in decision.headers) out.push(name, decision.headers[name]!);
  } else if (decision.status === 403) {
    if (decision.page) out.push(VERIFY_HEADERS.page, 'forbidden');
    out.push('Content-Length', '0');
  } else {
    if (decision.location !== undefined) out.push(VERIFY_HEADERS.location, decision.location);
    out.push('WWW-Authenticate', decision.challenge, 'Content-Length', '0');
  }
  return out;
}

/** A request header as one string: the first when it was sent several times. */
function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Counts and times the decision and, at `debug` only, writes the request's one line. Above
 * `debug` nothing is built for the log at all.
 */
function observe(core: Core, req: IncomingMessage, status: number, outcome: VerifyOutcome, started: number, reason?: RefusalReason | 'forbidden'): void {
  core.metrics.verify.inc({ outcome });
  core.metrics.verifyDuration.observe((performance.now() - started) / 1000);
  if (!core.logger.isLevelEnabled('debug')) return;
  adoptRequestId(req);
  const original = header(req, 'x-original-uri');
  core.logger.debug(
    {
      ...requestFields(req, '/verify', status, started),
      originalMethod: header(req, 'x-original-method')?.slice(0, 16),
      // Only the path: the query may hold `?jwt=<token>`.
      originalPath: original === undefined ? undefined : pathOnly(original),
      outcome,
      reason,
    },
    status < 300 ? 'verify allowed' : status === 401 || status === 403 ? 'verify refused' : 'verify failed',
  );
}

/** The path of a request URI, bounded; never its query string or fragment. */
function pathOnly(uri: string): string {
  const end = uri.search(/[?#]/);
  return loggedPath(end === -1 ? uri : uri.slice(0, end));
}
