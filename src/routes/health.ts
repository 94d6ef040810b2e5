import { Router } from 'express';
import { ROUTING } from './routing.js';

/** `GET /healthz`: the process is up and serving. */
export function healthRouter(): Router {
  const router = Router(ROUTING);
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  return router;
}
