import type { RequestHandler } from 'express';
import { VALID_HEADER_NAME } from './forwarded-headers.js';

/**
 * nginx's `ignore_invalid_headers on` (with `underscores_in_headers off`): a header whose name has
 * anything but letters, digits and `-` (`X_Auth_Sub`, `X.Auth.Sub`) is dropped on arrival, as if
 * never sent, so neither the decision nor the app can read it as its `-` twin.
 */
export const dropInvalidHeaders: RequestHandler = (req, _res, next) => {
  if (!req.rawHeaders.some((h, i) => i % 2 === 0 && !VALID_HEADER_NAME.test(h))) return next();
  const kept: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    if (VALID_HEADER_NAME.test(name)) kept.push(name, req.rawHeaders[i + 1]!);
    else delete req.headers[name.toLowerCase()];
  }
  req.rawHeaders = kept;
  next();
};
