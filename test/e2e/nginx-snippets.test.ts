import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPort } from '../fixtures/ports.js';
import { nginxClaimLines, parseClaimHeaders } from '../../src/auth/claim-headers.js';
import { CLEARED_HEADERS } from '../../src/front/forwarded-headers.js';
import { ACCESS, BROWSER_ACCEPT, parseSetCookie, REFRESH } from '../fixtures/browser-session.js';
import { startCustomNginx, type CustomNginx } from '../fixtures/custom-nginx.js';
import { formSession } from '../fixtures/form-session.js';
import { ADMIN_ANSWER, TRICKS, type Who } from '../fixtures/path-tricks.js';
import { frontAvailable, http, launch, login, loginPacer, rawHttp, type TestStack } from './harness.js';

// An nginx that already serves a site, with tokengate dropped in the documented way
// (docs/nginx-integration.md): the http snippet, the server snippet, and protected locations that
// include the protect snippet, one of them with proxy_set_header, add_header and websocket lines of
// its own. The same signers and demo app as the template's stack; an echo app records what arrives.

/** What the echo app received, as it answers it. */
interface Received {
  method: string;
  url: string;
  /** Lower-cased names, every line kept (a header sent twice is two entries). */
  headers: [string, string][];
}

const values = (r: Received, name: string) => r.headers.filter(([n]) => n === name).map(([, v]) => v);

/** A node:http app that answers every request with what it received; a websocket upgrade gets a 101. */
async function startEcho(): Promise<{ server: Server; port: number; upgrades: Received[] }> {
  const record = (req: IncomingMessage): Received => {
    const headers: [string, string][] = [];
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i]!.toLowerCase(), req.rawHeaders[i + 1]!]);
    return { method: req.method ?? '', url: req.url ?? '', headers };
  };
  const upgrades: Received[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify(record(req));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    upgrades.push(record(req));
    socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, upgrades };
}

/** The operator's nginx: a site with locations of its own, and tokengate dropped into it. */
function siteConf(port: number, demo: string, echoPort: number): string {
  return `
    include snippets/tokengate-http.conf;
    upstream demo_app { server ${demo}; keepalive 8; }
    upstream echo_app { server 127.0.0.1:${echoPort}; keepalive 8; }

    server {
        listen 127.0.0.1:${port};
        server_tokens off;
        # The site as it was: settings and locations tokengate must leave alone.
        proxy_set_header X-Site-Server-Level "set";
        add_header X-Site "existing" always;
        location = /healthz { default_type text/plain; return 200 "site ok\\n"; }
        location /static/ { default_type text/plain; return 200 "static $uri\\n"; }
        location /files/ { return 404; }

        include snippets/tokengate-server.conf;

        location ~ "\\.txt$" { default_type text/plain; return 200 "site txt\\n"; }

        location / {
            include snippets/tokengate-protect.conf;
            proxy_pass http://demo_app;
        }

        location /api/echo/ {
            include snippets/tokengate-protect.conf;
            proxy_set_header X-Site-Header "from the location";
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            add_header X-Frame-Options DENY always;
            proxy_pass http://echo_app;
        }
    }
`;
}

describe.each([0, 30])('tokengate snippets dropped into an nginx that already serves a site (AUTH_CACHE_TTL_S=%i)', (ttl) => {
  const available = frontAvailable('nginx');
  let stack: TestStack;
  let site: CustomNginx;
  let echo: Awaited<ReturnType<typeof startEcho>>;
  const tokens: Record<Who, string | undefined> = { alice: undefined, bob: undefined, nobody: undefined };
  const paced = loginPacer();

  beforeAll(async () => {
    if (!available) return;
    echo = await startEcho();
    stack = await launch('nginx', { AUTH_CACHE_TTL_S: String(ttl), CLAIM_HEADERS: 'name:X-Auth-Name', REFRESH_GRACE_S: '0' });
    const claims = parseClaimHeaders('name:X-Auth-Name');
    if (!claims.ok) throw new Error(claims.problems.join('; '));
    const port = await testPort();
    site = await startCustomNginx({
      workDir: stack.workDir,
      port,
      signerAddrs: stack.signerUrls.map((u) => new URL(u).host),
      httpBody: siteConf(port, new URL(stack.appUrl).host, echo.port),
      extraFiles: { 'tokengate-claims.conf': nginxClaimLines(claims.headers) },
      readyPath: '/healthz',
    });
    // Logins through the site's own server: the server snippet's /login.
    await paced('/login');
    tokens.alice = await login(site.url, 'alice', 'wonderland');
    await paced('/login');
    tokens.bob = await login(site.url, 'bob', 'builder');
  });
  afterAll(async () => {
    await site?.stop();
    await stack?.cleanup();
    await new Promise((resolve) => echo?.server.close(resolve));
    echo?.server.closeAllConnections();
  });

  const bearer = (who: Who): Record<string, string> => (tokens[who] === undefined ? {} : { Authorization: `Bearer ${tokens[who]}` });
  const echoed = async (path: string, headers: Record<string, string>) => {
    const res = await http(`${site.url}${path}`, { headers });
    expect(res.status, res.text).toBe(200);
    return { res, got: res.json() as Received };
  };

  describe.skipIf(!available)('the site around it', () => {
    it("keeps the site's own locations as they were: no check, its headers, its own error pages", async () => {
      const health = await http(`${site.url}/healthz`);
      expect([health.status, health.text, health.headers.get('x-site')]).toEqual([200, 'site ok\n', 'existing']);
      expect((await http(`${site.url}/static/a/b`)).text).toBe('static /static/a/b\n');
      // A \ in a path the site serves itself is the site's business.
      expect((await rawHttp(site.url, 'GET /static/..%5Cx HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n')).status).toBe(200);
      const missing = await http(`${site.url}/files/nothing.html`);
      expect(missing.status).toBe(404);
      expect(missing.headers.get('content-type')).toMatch(/^text\/html/);
    });

    it('lets a regex location of the site that follows the server snippet keep its paths, but never /authenticate', async () => {
      expect((await http(`${site.url}/notes.txt`)).text).toBe('site txt\n');
      const res = await http(`${site.url}/authenticate.txt`, { method: 'POST' });
      expect(res.status).toBe(404);
      expect(res.json()).toEqual({ error: 'not_found', message: 'Not found.' });
    });

    it('serves the public keys through the server snippet', async () => {
      const res = await http(`${site.url}/.well-known/jwks.json`);
      expect(res.status).toBe(200);
      expect(res.json()).toHaveProperty('keys');
    });

    it('serves the discovery document and the introspection endpoint through the server snippet', async () => {
      const doc = await http(`${site.url}/.well-known/openid-configuration`);
      expect(doc.status).toBe(200);
      expect(doc.json()).toHaveProperty('issuer', 'tokengate');
      const res = await http(`${site.url}/introspect`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=x' });
      expect(res.status).toBe(401);
      expect(res.json()).toMatchObject({ error: 'invalid_client' });
    });
  });

  describe.skipIf(!available)('a protected location of the site', () => {
    it.each(TRICKS)('judges %s as the template does, and never lets it reach the app as an admin path', async (target, expected) => {
      for (const who of ['bob', 'nobody', 'alice'] as const) {
        const auth = tokens[who] === undefined ? '' : `Authorization: Bearer ${tokens[who]}\r\n`;
        const res = await rawHttp(site.url, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Connection: close\r\n\r\n`);
        expect(res.status, `${who}: ${res.head}`).toBe(expected[who]);
        if (who !== 'alice') expect(res.body, who).not.toContain(ADMIN_ANSWER);
        // The snippet's refusals are JSON; a URI nginx cannot parse (400) is refused before any
        // location, by the site's own error pages.
        if (res.status === 401 || res.status === 403) expect(res.head, who).toMatch(/content-type: application\/json/i);
      }
    });

    it('forwards the path the signer judged, never the raw one: /admin/..%2Fapi/whoami is /api/whoami to both', async () => {
      const res = await rawHttp(
        site.url,
        `GET /admin/..%2Fapi/whoami HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${tokens.bob}\r\nConnection: close\r\n\r\n`,
      );
      expect(res.status).toBe(200);
      expect(res.body).not.toContain(ADMIN_ANSWER);
      expect(JSON.parse(res.body)).toMatchObject({ sub: 'bob', request: { url: '/api/whoami' } });
    });

    it('forwards the normalised path and the query without jwt= from a location with lines of its own', async () => {
      const { got } = await echoed(`/api/echo/a/..%2Fb?x=1&jwt=${tokens.bob}&y=2`, {});
      expect(got.url).toBe('/api/echo/b?x=1&y=2');
      expect(values(got, 'x-auth-sub')).toEqual(['bob']);
    });

    it("hands the app the signer's identity and nginx's own forwarding headers, never the client's", async () => {
      const hostile: Record<string, string> = Object.fromEntries(CLEARED_HEADERS.filter((h) => h !== 'Proxy-Connection').map((h) => [h, 'evil']));
      const { res, got } = await echoed('/api/echo/h', {
        ...bearer('bob'),
        ...hostile,
        'X-Forwarded-For': '6.6.6.6',
        'X-Forwarded-Proto': 'https',
        'X-Forwarded-Host': 'evil.example',
        'X-Real-IP': '6.6.6.6',
        'X-Request-Id': 'chosen-by-client',
        'X-HTTP-Method-Override': 'DELETE',
        Cookie: 'theme=dark',
      });
      expect(got.method).toBe('GET');
      expect(values(got, 'x-auth-sub')).toEqual(['bob']);
      expect(values(got, 'x-auth-roles')).toEqual(['user']);
      expect(values(got, 'x-auth-kind')).toEqual(['user']);
      expect(values(got, 'x-auth-name')).toEqual(['Bob the Builder']);
      expect(values(got, 'x-site-header')).toEqual(['from the location']);
      expect(values(got, 'authorization')).toEqual([]);
      expect(values(got, 'cookie')).toEqual(['theme=dark']);
      expect(values(got, 'x-forwarded-for')).toEqual(['127.0.0.1']);
      expect(values(got, 'x-real-ip')).toEqual(['127.0.0.1']);
      expect(values(got, 'x-forwarded-proto')).toEqual(['http']);
      expect(values(got, 'x-forwarded-host')).toEqual([new URL(site.url).host]);
      expect(values(got, 'host')).toEqual([new URL(site.url).host]);
      expect(values(got, 'x-request-id')).toHaveLength(1);
      expect(values(got, 'x-request-id')[0]).toMatch(/^[0-9a-f]{32}$/);
      for (const name of CLEARED_HEADERS) expect(values(got, name.toLowerCase()), name).toEqual([]);
      // The location's own add_header and the snippet's come out together.
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    });

    it("refuses a client's own identity headers, and on a cache hit hands the app the signer's values only", async () => {
      await echoed('/api/echo/spoof', bearer('bob'));
      const forged = await http(`${site.url}/api/echo/spoof`, { headers: { ...bearer('bob'), 'X-Auth-Sub': 'alice' } });
      expect(forged.status).toBe(401);
      const claim = await http(`${site.url}/api/echo/spoof`, { headers: { ...bearer('bob'), 'X-Auth-Name': 'Alice' } });
      if (ttl === 0) {
        expect(claim.status).toBe(401);
      } else {
        // The cached pass answers without asking the signer; the snippet overwrites the header.
        expect(claim.status).toBe(200);
        expect(values(claim.json() as Received, 'x-auth-name')).toEqual(['Bob the Builder']);
      }
      const underscore = await rawHttp(
        site.url,
        `GET /api/echo/spoof HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${tokens.bob}\r\nX_Auth_Sub: alice\r\nX.Auth.Sub: alice\r\nConnection: close\r\n\r\n`,
      );
      expect(underscore.status).toBe(200);
      const got = JSON.parse(underscore.body) as Received;
      expect(values(got, 'x-auth-sub')).toEqual(['bob']);
      expect(got.headers.map(([n]) => n).filter((n) => /^x[_.]auth/.test(n))).toEqual([]);
    });

    it('carries a websocket upgrade with the identity, through the location that adds Upgrade and Connection', async () => {
      const before = echo.upgrades.length;
      const res = await rawHttp(
        site.url,
        `GET /api/echo/live HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${tokens.bob}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
      );
      expect(res.status).toBe(101);
      const got = echo.upgrades[before]!;
      expect(values(got, 'upgrade')).toEqual(['websocket']);
      expect(values(got, 'connection')).toEqual(['upgrade']);
      expect(values(got, 'x-auth-sub')).toEqual(['bob']);
      expect(values(got, 'authorization')).toEqual([]);
    });

    it("rotates a browser's session cookies onto the app's answer in a location with add_header of its own", async () => {
      // The sign-in form checks the origin against PUBLIC_ORIGIN: sign in at the template's server,
      // which shares the signers, then use the session at the site.
      const session = await formSession(
        stack.url,
        async (url, init) => {
          await paced(new URL(url).pathname);
          return http(url, init);
        },
        'bob',
        'builder',
      );
      const refresh = session.split('; ').find((pair) => pair.startsWith(`${REFRESH}=`))!;
      const res = await http(`${site.url}/api/echo/cookies`, { headers: { Accept: 'application/json', Cookie: `theme=dark; ${refresh}` } });
      expect(res.status, res.text).toBe(200);
      expect(
        res.headers
          .getSetCookie()
          .map((c) => parseSetCookie(c).name)
          .sort(),
      ).toEqual([ACCESS, REFRESH].sort());
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      const got = res.json() as Received;
      expect(values(got, 'cookie')).toEqual(['theme=dark']);
      expect(values(got, 'x-auth-sub')).toEqual(['bob']);
    });

    it('answers without a token with the JSON 401, or the login redirect for a browser', async () => {
      const api = await http(`${site.url}/api/echo/x`);
      expect(api.status).toBe(401);
      expect(api.json()).toEqual({ error: 'unauthorized', message: 'A valid token is required.' });
      expect(api.headers.get('www-authenticate')).toContain('Bearer');
      const browser = await http(`${site.url}/api/echo/x`, { headers: { Accept: BROWSER_ACCEPT } });
      expect(browser.status).toBe(302);
      expect(browser.headers.get('location')).toContain('/login?return_to=');
    });

    it.each(['/api/echo/..%5Cadmin', '/api/echo/a\\..\\..\\admin', '/api/echo/%5c'])('refuses %s with the JSON 400 before the check', async (target) => {
      const res = await rawHttp(site.url, `GET ${target} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${tokens.bob}\r\nConnection: close\r\n\r\n`);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toEqual({ error: 'invalid_request', message: 'The request is not valid.' });
    });
  });
});
