import express, { type Express, type Request, type Response } from 'express';
import { z } from 'zod';
import { PAGE_HEADERS } from '../src/browser/csp.js';
import { renderHomePage } from './home-page.js';
import { identityFrom, receivedAuthHeaders } from './identity.js';
import { createPasswordChecker, type UsersFile } from './users.js';

const loginBody = z.object({ username: z.string().min(1).max(256), password: z.string().min(1).max(1024) });

/** The demo application tokengate protects: it owns the users and trusts only nginx's identity headers. */
export function createUpstreamApp(users: UsersFile): Express {
  const check = createPasswordChecker(users);
  const app = express();
  app.disable('x-powered-by');
  app.set('case sensitive routing', true);
  app.set('strict routing', true);

  app.post('/authenticate', logRequestId, express.json({ limit: '4kb' }), async (req, res) => {
    const body = loginBody.safeParse(req.body);
    if (!body.success) {
      res.status(400).json({ error: 'invalid_request' });
      return;
    }
    const user = await check(body.data.username, body.data.password);
    if (!user) {
      res.status(401).json({ error: 'invalid_credentials' });
      return;
    }
    res.json({ sub: body.data.username, name: user.name, roles: user.roles });
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get(['/check', '/api/whoami'], (req, res) => echoIdentity(req, res));

  // Reads the whole body, to show that uploads pass through the gateway untouched.
  app.post('/api/upload', express.raw({ type: () => true, limit: '8mb' }), (req, res) => {
    const who = identityFrom(req);
    if (!who) return noIdentity(res);
    res.json({ sub: who.sub, bytes: Buffer.isBuffer(req.body) ? req.body.length : 0 });
  });

  // An app that sets its own cookie and allows caching: the gateway's rotated cookies must
  // still reach the browser next to the app's, and such an answer must not be cached.
  app.get('/api/prefs', (req, res) => {
    const who = identityFrom(req);
    if (!who) return noIdentity(res);
    res
      .set('Cache-Control', 'public, max-age=60')
      .cookie('app_pref', 'dark', { httpOnly: true, sameSite: 'lax', path: '/' })
      .json({ sub: who.sub, theme: 'dark' });
  });

  // The demo policy (policy.yaml) gives /admin and below to the role admin: the app trusts that
  // and does no role check of its own, so whatever reaches it here got through the gateway.
  app.get(/^\/admin(?:\/.*)?$/, (req, res) => echoIdentity(req, res, 'admin'));

  // Public under the demo policy: served to anyone, and the gateway sends no identity.
  app.get(/^\/public(?:\/.*)?$/, (req, res) => {
    res.json({ area: 'public', path: req.path, sub: identityFrom(req)?.sub ?? null });
  });

  app.get('/', (req, res) => {
    const who = identityFrom(req);
    if (!who) return noIdentity(res);
    res.set(PAGE_HEADERS).type('html').send(renderHomePage(who.sub, who.roles));
  });

  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found' });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: unknown) => {
    const status = (err as { status?: unknown }).status;
    res.status(typeof status === 'number' && status >= 400 && status < 500 ? status : 500).json({ error: 'invalid_request' });
  });
  return app;
}

/**
 * One line per credential check that carries a request id (nginx's, passed on by the signer),
 * so a login can be followed through the three logs. Never the username or the password.
 */
function logRequestId(req: Request, res: Response, next: () => void): void {
  const requestId = req.get('x-request-id');
  if (requestId !== undefined && /^[A-Za-z0-9._-]{1,128}$/.test(requestId)) {
    res.once('finish', () => process.stdout.write(`${JSON.stringify({ msg: 'authenticate', requestId, status: res.statusCode })}\n`));
  }
  next();
}

function echoIdentity(req: Request, res: Response, area?: string): void {
  const who = identityFrom(req);
  if (!who) return noIdentity(res);
  res.json({
    ...(area === undefined ? {} : { area }),
    ...who,
    request: {
      url: req.originalUrl,
      authorization: req.get('authorization') !== undefined,
      // Names only: shows that tokengate's session cookies never reach the app.
      cookies: cookieNames(req.get('cookie')),
      auth_headers: receivedAuthHeaders(req),
    },
  });
}

function cookieNames(header: string | undefined): string[] {
  return (header ?? '')
    .split(';')
    .map((pair) => pair.split('=', 1)[0]!.trim())
    .filter((name) => name !== '');
}

/** Reached without identity headers: the gateway in front is missing or misconfigured. */
function noIdentity(res: Response): void {
  res.status(401).json({ error: 'no_identity', message: 'No X-Auth-Sub header: is this app behind tokengate?' });
}
