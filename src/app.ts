import type { RequestListener } from 'node:http';
import express from 'express';
import type { Config } from './config/load.js';
import { createCore, type AppDeps } from './core.js';
import { errorHandler, notFound } from './http/error-handler.js';
import { securityHeaders } from './http/security-headers.js';
import { requestId } from './log/request-id.js';
import { requestLog } from './log/request-log.js';
import { countLogins, noteErrorCode } from './metrics/count-logins.js';
import { metricsRouter } from './routes/metrics.js';
import { adminPageRouter } from './routes/admin-page.js';
import { adminApiRouter } from './routes/admin-api.js';
import { discoveryRouter } from './routes/discovery.js';
import { healthRouter } from './routes/health.js';
import { introspectRouter } from './routes/introspect.js';
import { jwksRouter } from './routes/jwks.js';
import { loginRouter } from './routes/login.js';
import { logoutRouter } from './routes/logout.js';
import { refreshRouter } from './routes/refresh.js';
import { revocationsRouter } from './routes/revocations.js';
import { isVerifyUrl, verifyHandler } from './routes/verify.js';

export type { AppDeps };

/** `/readyz` answers within this, however long the store's own timeout (REDIS_TIMEOUT_MS) is. */
const READY_TIMEOUT_CAP_MS = 2_000;

/** The signer: wiring only. Never reads `process.env`. */
export function createApp(config: Config, deps: AppDeps): RequestListener {
  const core = createCore(config, deps);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(securityHeaders);
  app.use(requestId);
  app.use(requestLog(deps.logger));
  app.use(countLogins(core.metrics));
  // The signer's own port only: nginx routes none of these three, the embedded front mounts none.
  app.use(
    healthRouter({
      store: core.store,
      secretLoaded: deps.key !== undefined,
      // A little past the store's own timeout, so a slow store reports its own reason first.
      timeoutMs: Math.min(config.REDIS_TIMEOUT_MS + 250, READY_TIMEOUT_CAP_MS),
      logger: deps.logger,
    }),
  );
  app.use(metricsRouter(core.metrics));
  app.use(revocationsRouter(core));
  // Signer port only too, and behind its own credential: /admin/v1/ (`tokengate sessions`).
  app.use(adminApiRouter(core));
  app.use(jwksRouter({ keys: core.keys, maxAgeS: config.JWKS_MAX_AGE_S }));
  app.use(discoveryRouter({ keys: core.keys, issuer: config.ISSUER, origin: config.PUBLIC_ORIGIN, maxAgeS: config.JWKS_MAX_AGE_S }));
  app.use(introspectRouter(core));
  app.use(loginRouter(core));
  app.use(refreshRouter(core));
  app.use(logoutRouter(core));
  // The admin page (/tokengate/admin), proxied by nginx after its own check; checks its caller itself.
  app.use(adminPageRouter(core));
  app.use(notFound);
  app.use(noteErrorCode);
  app.use(errorHandler(deps.logger));
  // The hot path never enters express: /verify sets its own headers, counts, times and logs itself.
  const verify = verifyHandler(core);
  return (req, res) => (isVerifyUrl(req.url) ? verify(req, res) : app(req, res));
}
