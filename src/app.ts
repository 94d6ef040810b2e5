import express, { type Express } from 'express';
import type { Config } from './config/load.js';
import { createCore, type AppDeps } from './core.js';
import { errorHandler, notFound } from './http/error-handler.js';
import { securityHeaders } from './http/security-headers.js';
import { healthRouter } from './routes/health.js';
import { loginRouter } from './routes/login.js';
import { logoutRouter } from './routes/logout.js';
import { refreshRouter } from './routes/refresh.js';
import { verifyRouter } from './routes/verify.js';

export type { AppDeps };

/** The signer: wiring only. Never reads `process.env`. */
export function createApp(config: Config, deps: AppDeps): Express {
  const core = createCore(config, deps);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(securityHeaders);
  app.use(healthRouter());
  app.use(verifyRouter(core));
  app.use(loginRouter(core));
  app.use(refreshRouter(core));
  app.use(logoutRouter(core));
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
