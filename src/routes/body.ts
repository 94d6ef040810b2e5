import express, { type Request, type RequestHandler, type Response } from 'express';
import { GatewayError } from '../errors.js';

const MAX_BODY = '16kb';
const FORM_TYPES = ['application/json', 'application/x-www-form-urlencoded'];

/** No body at all, or `Content-Length: 0` (what many clients send for a bodyless POST). */
const isEmpty = (req: Request) => req.get('transfer-encoding') === undefined && (req.get('content-length') ?? '0') === '0';

const requireFormContentType =
  (optional: boolean): RequestHandler =>
  (req: Request, _res: Response, next: (err?: unknown) => void) => {
    if (!(optional && isEmpty(req)) && !req.is(FORM_TYPES)) throw new GatewayError('unsupported_media_type');
    next();
  };

const parsers: RequestHandler[] = [
  express.json({ limit: MAX_BODY, type: 'application/json', inflate: false }),
  express.urlencoded({ extended: false, limit: MAX_BODY, parameterLimit: 16, type: 'application/x-www-form-urlencoded', inflate: false }),
];

/**
 * A small JSON or form body, parsed: 16 KiB at most, a few fields, and never inflated
 * (a compressed body is refused with 415, so nothing is decompressed past the cap).
 */
export const smallBody: RequestHandler[] = [requireFormContentType(false), ...parsers];

/** The same, where sending no body at all is fine (`curl -X POST` to sign out). */
export const optionalSmallBody: RequestHandler[] = [requireFormContentType(true), ...parsers];

/** A field of the parsed body when it is a string; anything else reads as absent. */
export function field(body: unknown, name: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/** `Allow` and 405 for every other method on a route. */
export function allowOnly(methods: string): RequestHandler {
  return (_req, res) => {
    res.set('Allow', methods);
    throw new GatewayError('method_not_allowed');
  };
}
