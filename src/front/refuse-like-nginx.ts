import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { GatewayError, toHttp, type ErrorCode } from '../errors.js';
import { appHost } from './app-host.js';

/** Every value of one header, from the raw list (Node's `req.headers` keeps one Host only). */
export function headerValues(rawHeaders: readonly string[], lowerName: string): string[] {
  const values: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === lowerName) values.push(rawHeaders[i + 1]!);
  return values;
}

/**
 * What nginx answers a request before it chooses a location, in nginx's order (the request line,
 * then Host, then `ngx_http_process_request_header`), or undefined when it lets the request on.
 * Node's parser already refuses what nginx's refuses (a method in lower case, a bad
 * Content-Length), and Node hands CONNECT to the server's `connect` event, never here.
 */
export function nginxRefusal(req: Pick<IncomingMessage, 'method' | 'httpVersionMajor' | 'httpVersionMinor' | 'rawHeaders'>): ErrorCode | undefined {
  if (req.httpVersionMajor > 1) return 'http_version_not_supported';
  // nginx answers 400 to `HTTP/0.9` on the request line (Node cannot tell it from a bare line).
  if (req.httpVersionMajor < 1) return 'invalid_request';
  const hosts = headerValues(req.rawHeaders, 'host');
  if (!appHost(hosts).ok) return 'invalid_request';
  const http10 = req.httpVersionMinor === 0;
  if (hosts.length === 0 && !http10) return 'invalid_request';
  const te = headerValues(req.rawHeaders, 'transfer-encoding');
  if (te.length > 0) {
    if (http10) return 'invalid_request';
    // nginx takes `chunked` alone, in any case: `gzip, chunked` is 501 there, however Node reads it.
    if (!/^chunked$/i.test(te[0]!)) return 'not_implemented';
  }
  if (req.method === 'TRACE') return 'method_not_allowed';
  return undefined;
}

/**
 * Answers with nginx's JSON error what nginx would refuse before routing (see `nginxRefusal`).
 * Answered here rather than by the error handler, which logs a 5xx as the gateway's failure; and
 * as nginx, the connection closes after it, except after a 405 (the request itself was read whole).
 */
export const refuseLikeNginx: RequestHandler = (req, res, next) => {
  const code = nginxRefusal(req);
  if (code === undefined) return next();
  const { status, body } = toHttp(new GatewayError(code));
  if (status !== 405) res.set('Connection', 'close');
  res.status(status).set('Cache-Control', 'no-store').json(body);
};
