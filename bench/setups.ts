import { join } from 'node:path';
import { freePort } from '../scripts/stack/ports.js';
import { findNginx } from '../scripts/stack/nginx.js';
import { startStack, type Stack } from '../scripts/stack/stack.js';
import type { ManagedProcess } from '../scripts/stack/managed-process.js';
import { startPlainNginx, type StaticIdentity } from './plain-nginx.js';

/** One compared setup: where to send load, and how to get a valid credential for it. */
export interface Setup {
  key: string;
  label: string;
  url: string;
  /** Fresh request headers (a new login for the protected setups), asked for before each round. */
  headers(): Promise<Record<string, string>>;
}

/** Everything the bench started, and one stop for all of it. */
export interface Started {
  setups: Setup[];
  nginxVersion: string;
  /** The shipped setup's signer, for its /metrics. */
  signerUrl: string;
  notMeasured: string[];
  stop(): Promise<void>;
}

const DEMO = { username: 'alice', password: 'wonderland' };

/** POST /login as the demo user through `url` and return the token. */
export async function login(url: string): Promise<string> {
  const res = await fetch(`${url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(DEMO), signal: AbortSignal.timeout(10_000) });
  const body = (await res.json().catch(() => ({}))) as { token?: unknown };
  if (res.status !== 200 || typeof body.token !== 'string') throw new Error(`login through ${url} answered ${res.status}`);
  return body.token;
}

/** What the signer would put in X-Auth-*, read from the token's payload (no verification needed here). */
function identityOf(token: string): StaticIdentity {
  const payload = token.split('.')[1] ?? '';
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown; roles?: unknown };
  return {
    sub: typeof claims.sub === 'string' ? claims.sub : 'alice',
    roles: Array.isArray(claims.roles) ? claims.roles.join(',') : '',
    claims: payload,
  };
}

const bearer = (url: string) => async () => ({ authorization: `Bearer ${await login(url)}` });

/**
 * Starts (b) the shipped nginx stack, (a) a plain nginx in front of (b)'s app, and (d) the
 * embedded front with its own app. Whatever started is stopped again if a later start fails
 * or `signal` aborts.
 */
export async function startSetups(workDir: string, signal: AbortSignal): Promise<Started> {
  const stacks: Stack[] = [];
  const plain: ManagedProcess[] = [];
  const stop = async () => {
    for (const p of plain) await p.stop();
    for (const s of stacks) await s.stop();
  };
  try {
    if (!findNginx()) throw new Error('nginx is not installed; install it with `npm run install-deps` (or `sudo apt-get install nginx`)');
    const appPort = await freePort();
    const shipped = await startStack({
      front: 'nginx',
      workDir: join(workDir, 'shipped'),
      gateway: { host: '127.0.0.1', port: await freePort() },
      signer: { host: '127.0.0.1', port: await freePort() },
      upstream: { host: '127.0.0.1', port: appPort },
      signal,
    });
    stacks.push(shipped);
    const token = await login(shipped.url);
    const plainPort = await freePort();
    // (a) proxies to (b)'s own app process: the same app, so only the auth differs.
    const upstreamAddr = `127.0.0.1:${appPort}`;
    plain.push(await startPlainNginx({ nginxBin: findNginx()!, version: shipped.nginxVersion!, workDir: join(workDir, 'plain'), port: plainPort, upstreamAddr, identity: identityOf(token) }));
    signal.throwIfAborted();
    const embedded = await startStack({
      front: 'embedded',
      workDir: join(workDir, 'embedded'),
      gateway: { host: '127.0.0.1', port: await freePort() },
      signer: { host: '127.0.0.1', port: await freePort() },
      upstream: { host: '127.0.0.1', port: await freePort() },
      signal,
    });
    stacks.push(embedded);
    const plainUrl = `http://127.0.0.1:${plainPort}`;
    return {
      setups: [
        // The same header as (b), so nginx and the app see the same request; nginx strips it.
        { key: 'a', label: '(a) nginx -> app, no auth (limit)', url: plainUrl, headers: async () => ({ authorization: `Bearer ${token}` }) },
        { key: 'b', label: '(b) tokengate as shipped (auth_request)', url: shipped.url, headers: bearer(shipped.url) },
        { key: 'd', label: '(d) embedded Node front', url: embedded.url, headers: bearer(embedded.url) },
      ],
      nginxVersion: shipped.nginxVersion!,
      signerUrl: shipped.signerUrls[0]!,
      notMeasured: [
        '(c) nginx auth cache: the template has no cache yet (AUTH_CACHE_TTL_S is issue 7 work)',
        '(e) in-process Lua HS256 check: not written yet (needs libnginx-mod-http-lua)',
        'logins/s, a realistic token mix (many users, expired and invalid tokens), signer RSS over time',
      ],
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
