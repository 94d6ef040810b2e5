import type { RequestListener } from 'node:http';
import express from 'express';
import type { Core } from '../core.js';
import { errorHandler, notFound } from '../http/error-handler.js';
import { securityHeaders } from '../http/security-headers.js';
import { requestId } from '../log/request-id.js';
import { requestLog } from '../log/request-log.js';
import { adminApiRouter } from '../routes/admin-api.js';

/**
 * The embedded front's private listener (SIGNER_HOST:SIGNER_PORT, where a signer would listen):
 * the admin API over the front's own parts (the same store, so the same sessions), and nothing of
 * the public surface. What `tokengate sessions` talks to when there is no signer process.
 */
export function createAdminApp(core: Core): RequestListener {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(securityHeaders);
  app.use(requestId);
  app.use(requestLog(core.logger));
  app.use(adminApiRouter(core));
  app.use(notFound);
  app.use(errorHandler(core.logger));
  return app;
}
