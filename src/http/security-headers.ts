import type { RequestHandler } from 'express';

/** Headers every signer answer carries; none of its answers are meant to be cached or framed. */
export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
  });
  next();
};
