import express, { type Request, type RequestHandler, type Response } from 'express';
import { GatewayError } from '../errors.js';

const MAX_BODY = '16kb';
const FORM_TYPES = ['application/json', 'application/x-www-form-urlencoded'];

/** No body at all, or `Content-Length: 0` (what many clients send for a bodyless POST). */
const isEmpty = (req: Request) => req.get('transfer-encoding') === undefined && (req.get('content-length') ?? '0') === '0';

const requireContentType =
  (types: string[], optional: boolean, message?: string): RequestHandler =>
  (req: Request, _res: Response, next: (err?: unknown) => void) => {
    if (!(optional && isEmpty(req)) && !req.is(types)) throw new GatewayError('unsupported_media_type', message);
    next();
  };
const requireFormContentType = (optional: boolean) => requireContentType(FORM_TYPES, optional);

const formParser = express.urlencoded({ extended: false, limit: MAX_BODY, parameterLimit: 16, type: 'application/x-www-form-urlencoded', inflate: false });
const parsers: RequestHandler[] = [express.json({ limit: MAX_BODY, type: 'application/json', inflate: false }), formParser];

/**
 * A small JSON or form body, parsed: 16 KiB at most, a few fields, and never inflated
 * (a compressed body is refused with 415, so nothing is decompressed past the cap).
 */
export const smallBody: RequestHandler[] = [requireFormContentType(false), ...parsers];

/** The same, where sending no body at all is fine (`curl -X POST` to sign out). */
export const optionalSmallBody: RequestHandler[] = [requireFormContentType(true), ...parsers];

/** A small form body only (`application/x-www-form-urlencoded`), as OAuth endpoints take (RFC 6749 §3.2). */
export const smallForm: RequestHandler[] = [
  requireContentType(['application/x-www-form-urlencoded'], false, 'Send application/x-www-form-urlencoded.'),
  formParser,
];

/** A field of the parsed body when it is a string; anything else reads as absent. */
export function field(body: unknown, name: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * A form field sent at most once (RFC 6749 §3.1: no parameter may be repeated): its value, or
 * undefined when absent; a 400 naming it when repeated.
 */
export function singleField(body: unknown, name: string): string | undefined {
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  if (Array.isArray(value)) throw new GatewayError('invalid_request', `Send "${name}" once.`);
  return typeof value === 'string' ? value : undefined;
}

/** `Allow` and 405 for every other method on a route. */
export function allowOnly(methods: string): RequestHandler {
  return (_req, res) => {
    res.set('Allow', methods);
    throw new GatewayError('method_not_allowed');
  };
}
