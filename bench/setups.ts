import { join } from 'node:path';
import { freePort } from '../scripts/stack/ports.js';
import { findNginx } from '../scripts/stack/nginx.js';
import { startStack, type Stack } from '../scripts/stack/stack.js';
import type { ManagedProcess } from '../scripts/stack/managed-process.js';
import { startPlainNginx, type StaticIdentity } from './nginx/plain-nginx.js';
import { startLuaNginx } from './nginx/lua-nginx.js';
import { LUA_INSTALL_HINT, luaSupport } from './nginx/lua-module.js';
import type { TokenSettings } from './tokens/mint.js';

export type SetupKey = 'a' | 'b' | 'c' | 'd' | 'e';

/** One compared setup: where to send load, and how to get a valid credential for it. */
export interface Setup {
  key: SetupKey;
  label: string;
  url: string;
  /** Fresh request headers (a new login for the protected setups), asked for before each round. */
  headers(): Promise<Record<string, string>>;
  /** It checks tokens, so the token mix means something through it ((a) lets anything through). */
  checksTokens: boolean;
  /** Its signer's own address, for its /metrics ((b) and (c)). */
  signerUrl?: string;
}

/** The shipped stack (b), for the login and memory runs. */
export interface Shipped {
  url: string;
  signerUrl: string;
  /** The signer's process (with SIGNER_WORKERS, the primary of its group). */
  signerPid: number;
  /** The demo app's process: its CPU is the password hash of each login. */
  upstreamPid: number;
}

/** Everything the bench started, and one stop for all of it. */
export interface Started {
  setups: Setup[];
  nginxVersion: string;
  shipped: Shipped;
  /** The HS256 secret every protected setup verifies with (one file, shared). */
  secretFile: string;
  notMeasured: string[];
  /** Processes that ended on their own (not by `stop`): a run that lost one must say which. */
  ended(): string[];
  stop(): Promise<void>;
}

const DEMO = { username: 'alice', password: 'wonderland' };
/** The demo user's credentials as the login runs send them. */
export const DEMO_LOGIN_BODY = JSON.stringify(DEMO);

/** POST /login as the demo user through `url` and return the token. */
export async function login(url: string): Promise<string> {
  const res = await fetch(`${url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: DEMO_LOGIN_BODY, signal: AbortSignal.timeout(10_000) });
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
const local = async () => ({ host: '127.0.0.1', port: await freePort() });

/**
 * Starts (b) the shipped nginx stack, (a) a plain nginx in front of (b)'s app, (c) a second
 * shipped stack with nginx's auth cache on, (d) the embedded front, and (e) the Lua reference in
 * front of (b)'s app when nginx's Lua module is installed. Every protected setup verifies with
 * the same secret, (b)'s. Whatever started is stopped again if a later start fails or `signal` aborts.
 */
export async function startSetups(opts: { workDir: string; signal: AbortSignal; tokens: TokenSettings; signerEnv?: Record<string, string> }): Promise<Started> {
  const { workDir, signal } = opts;
  const stacks: Stack[] = [];
  const nginxes: ManagedProcess[] = [];
  const ended: string[] = [];
  let stopping = false;
  const watch = (setup: string, p: ManagedProcess) => void p.exited.then((code) => stopping || ended.push(`${setup} ${p.name} (exit ${code})`));
  const stop = async () => {
    stopping = true;
    for (const p of nginxes) await p.stop();
    for (const s of stacks) await s.stop();
  };
  try {
    const nginxBin = findNginx();
    if (!nginxBin) throw new Error('nginx is not installed; install it with `npm run install-deps` (or `sudo apt-get install nginx`)');
    const appPort = await freePort();
    const shipped = await startStack({ front: 'nginx', workDir: join(workDir, 'shipped'), gateway: await local(), signer: await local(), upstream: { host: '127.0.0.1', port: appPort }, signal, ...(opts.signerEnv ? { env: opts.signerEnv } : {}) });
    stacks.push(shipped);
    // (b) generated it on its first start; the others read the same file.
    const secretFile = join(workDir, 'shipped', 'secrets', 'jwt-secret');
    const token = await login(shipped.url);
    const version = shipped.nginxVersion!;
    // (a) and (e) proxy to (b)'s own app process: the same app, so only the auth differs.
    const upstreamAddr = `127.0.0.1:${appPort}`;
    const plainPort = await freePort();
    nginxes.push(await startPlainNginx({ nginxBin, version, workDir: join(workDir, 'plain'), port: plainPort, upstreamAddr, identity: identityOf(token) }));
    signal.throwIfAborted();
    const cached = await startStack({ front: 'nginx', workDir: join(workDir, 'cached'), gateway: await local(), signer: await local(), upstream: await local(), signal, env: { AUTH_CACHE_TTL_S: '60', JWT_SECRET_FILE: secretFile } });
    stacks.push(cached);
    const embedded = await startStack({ front: 'embedded', workDir: join(workDir, 'embedded'), gateway: await local(), signer: await local(), upstream: await local(), signal, env: { JWT_SECRET_FILE: secretFile } });
    stacks.push(embedded);
    const notMeasured: string[] = [];
    const lua = luaSupport();
    let luaUrl: string | undefined;
    if (lua.ok) {
      const port = await freePort();
      const verify = { secretFile, issuer: opts.tokens.issuer, audience: opts.tokens.audience, clockSkewS: opts.tokens.clockSkewS };
      nginxes.push(await startLuaNginx({ nginxBin, version, workDir: join(workDir, 'lua'), port, upstreamAddr, modules: lua.modules, verify }));
      luaUrl = `http://127.0.0.1:${port}`;
    } else {
      notMeasured.push(`(e) in-process Lua HS256 check: ${lua.missing.join(' and ')} not installed; ${LUA_INSTALL_HINT}`);
    }
    const setups: Setup[] = [
      // The same header as (b), so nginx and the app see the same request; nginx strips it.
      { key: 'a', label: '(a) nginx -> app, no auth (limit)', url: `http://127.0.0.1:${plainPort}`, headers: async () => ({ authorization: `Bearer ${token}` }), checksTokens: false },
      { key: 'b', label: '(b) tokengate as shipped (auth_request)', url: shipped.url, headers: bearer(shipped.url), checksTokens: true, signerUrl: shipped.signerUrls[0]! },
      { key: 'c', label: '(c) tokengate, nginx auth cache 60 s', url: cached.url, headers: bearer(cached.url), checksTokens: true, signerUrl: cached.signerUrls[0]! },
      { key: 'd', label: '(d) embedded Node front', url: embedded.url, headers: bearer(embedded.url), checksTokens: true },
      // A token from (b)'s login: the same secret signs it.
      ...(luaUrl ? [{ key: 'e' as const, label: '(e) nginx + Lua HS256 check (reference)', url: luaUrl, headers: bearer(shipped.url), checksTokens: true }] : []),
    ];
    for (const [stack, key] of [[shipped, 'b'], [cached, 'c'], [embedded, 'd']] as const) for (const p of stack.processes.values()) watch(`(${key})`, p);
    for (const p of nginxes) watch(p.name === 'nginx-lua' ? '(e)' : '(a)', p);
    return {
      setups,
      nginxVersion: version,
      ended: () => [...ended],
      shipped: { url: shipped.url, signerUrl: shipped.signerUrls[0]!, signerPid: shipped.processes.get('signer')!.pid, upstreamPid: shipped.processes.get('upstream')!.pid },
      secretFile,
      notMeasured,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
