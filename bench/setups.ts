import { join } from 'node:path';
import { freePort } from '../scripts/stack/ports.js';
import { checkNginx, findNginx } from '../scripts/stack/nginx.js';
import { startStack, type Stack, type StackOptions } from '../scripts/stack/stack.js';
import type { ManagedProcess } from '../scripts/stack/managed-process.js';
import { startFastApp } from './nginx/fast-app.js';
import { startPlainNginx, type StaticIdentity } from './nginx/plain-nginx.js';
import { startLuaNginx } from './nginx/lua-nginx.js';
import { LUA_INSTALL_HINT, luaSupport } from '../scripts/stack/lua-module.js';
import type { Table } from './tables.js';
import type { TokenSettings } from './tokens/mint.js';

export type SetupKey = 'a' | 'b' | 'c' | 'd' | 'e' | 'f';

/** What a compared setup is, whatever the app behind it. */
export interface SetupDef {
  key: SetupKey;
  label: string;
  /** It checks tokens, so the token mix means something through it ((a) lets anything through). */
  checksTokens: boolean;
  /** It remembers the tokens it verified (a cache), so a token's first sight costs it more than the next ones. */
  remembersTokens: boolean;
  /** Why it cannot run here (not installed, not built yet), or undefined when it can. */
  unavailable?: () => string | undefined;
}

/** Why (e) cannot run here: nginx's Lua module or lua-cjson missing. */
function luaMissing(): string | undefined {
  const lua = luaSupport();
  return lua.ok ? undefined : `(e) in-process Lua HS256 check: ${lua.missing.join(' and ')} not installed; ${LUA_INSTALL_HINT}`;
}

/**
 * Every compared setup, in table order. The phases, tables and targets handle a row by its key
 * alone: a setup that did not start (not installed, not built yet) shows as "not run".
 */
export const SETUP_DEFS: readonly SetupDef[] = [
  { key: 'a', label: '(a) nginx -> app, no auth (bare)', checksTokens: false, remembersTokens: false },
  { key: 'b', label: '(b) tokengate as shipped (auth_request)', checksTokens: true, remembersTokens: true },
  { key: 'c', label: '(c) tokengate, nginx auth cache 60 s', checksTokens: true, remembersTokens: true },
  { key: 'd', label: '(d) embedded Node front', checksTokens: true, remembersTokens: true },
  { key: 'e', label: '(e) nginx + Lua HS256 check (reference)', checksTokens: true, remembersTokens: false, unavailable: luaMissing },
  // The OpenResty front: first sight through /_auth, then its lua_shared_dict of identities.
  {
    key: 'f',
    label: '(f) OpenResty front (identity cache)',
    checksTokens: true,
    remembersTokens: true,
    unavailable: () => {
      const lua = luaSupport();
      return lua.ok ? undefined : `(f) OpenResty front: ${lua.missing.join(' and ')} not installed; ${LUA_INSTALL_HINT}`;
    },
  },
];

/** The setups that can start on this machine: what a run's time budget counts. */
export const availableSetups = (): SetupDef[] => SETUP_DEFS.filter((d) => d.unavailable?.() === undefined);

/** One started setup: where to send load, and how to get a valid credential for it. */
export interface Setup extends SetupDef {
  url: string;
  /** Fresh request headers (a new login for the protected setups), asked for before each round. */
  headers(): Promise<Record<string, string>>;
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

/** Everything the bench started for one table, and one stop for all of it. */
export interface Started {
  table: Table;
  setups: Setup[];
  nginxVersion: string;
  shipped: Shipped;
  /** Setups that did not start, each with why. */
  notRun: string[];
  /** Processes that ended on their own (not by `stop`): a run that lost one must say which. */
  ended(): string[];
  stop(): Promise<void>;
}

const DEMO = { username: 'alice', password: 'wonderland' };
/** The demo user's credentials as the login runs send them. */
export const DEMO_LOGIN_BODY = JSON.stringify(DEMO);

/** POST /login as the demo user through `url` and return the token. */
export async function login(url: string): Promise<string> {
  const res = await fetch(`${url}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: DEMO_LOGIN_BODY,
    signal: AbortSignal.timeout(10_000),
  });
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

type Running = Pick<Setup, 'url' | 'headers' | 'signerUrl'>;

/** What a setup's start gets: where the app is, the shared secret, and (b) to log in through. */
interface StartEnv {
  workDir: string;
  nginxBin: string;
  version: string;
  /** The protected app's address, host:port. */
  appAddr: string;
  secretFile: string;
  tokens: TokenSettings;
  /** (b)'s gateway: a login there gives a token every setup accepts (one secret). */
  shippedUrl: string;
  /** Starts a stack of the table's kind (its app, no access log, the shared secret), stopped with the others. */
  stack(key: SetupKey, options: Pick<StackOptions, 'front'> & { env?: Record<string, string> }): Promise<Stack>;
  /** Keeps a bench-only nginx with the others, stopped with them. */
  nginx(key: SetupKey, p: ManagedProcess): void;
}

/** (f), the OpenResty front: the stack as `FRONT=openresty npm start` runs it, on the table's app. */
async function startOpenRestyFront(env: StartEnv): Promise<Running> {
  const s = await env.stack('f', { front: 'openresty' });
  return { url: s.url, headers: bearer(s.url), signerUrl: s.signerUrls[0]! };
}

/** (c), (d), (e) and (f); (a) and (b) start first, since the others need (b)'s login. */
const LATER_STARTS: Record<'c' | 'd' | 'e' | 'f', (env: StartEnv) => Promise<Running>> = {
  c: async (env) => {
    const s = await env.stack('c', { front: 'nginx', env: { AUTH_CACHE_TTL_S: '60' } });
    return { url: s.url, headers: bearer(s.url), signerUrl: s.signerUrls[0]! };
  },
  d: async (env) => {
    const s = await env.stack('d', { front: 'embedded' });
    return { url: s.url, headers: bearer(s.url) };
  },
  e: async (env) => {
    const lua = luaSupport();
    if (!lua.ok) throw new Error(luaMissing());
    const port = await freePort();
    const verify = { secretFile: env.secretFile, issuer: env.tokens.issuer, audience: env.tokens.audience, clockSkewS: env.tokens.clockSkewS };
    env.nginx(
      'e',
      await startLuaNginx({
        nginxBin: env.nginxBin,
        version: env.version,
        workDir: join(env.workDir, 'lua'),
        port,
        upstreamAddr: env.appAddr,
        modules: lua.modules,
        verify,
      }),
    );
    // A token from (b)'s login: the same secret signs it.
    return { url: `http://127.0.0.1:${port}`, headers: bearer(env.shippedUrl) };
  },
  f: startOpenRestyFront,
};

/**
 * Starts one table's setups. In the fast table, a bench-only nginx answering a fixed body is the
 * app of every setup, and each stack keeps its demo app only to answer /authenticate for logins;
 * in the demo table (a) and (e) proxy to (b)'s demo app. Every protected setup verifies with the
 * one secret in `secretFile` (made by the first (b) to start). Whatever started is stopped again
 * if a later start fails or `signal` aborts.
 */
export async function startSetups(opts: {
  table: Table;
  workDir: string;
  secretFile: string;
  signal: AbortSignal;
  tokens: TokenSettings;
  signerEnv?: Record<string, string>;
}): Promise<Started> {
  const { workDir, signal, table } = opts;
  const stops: (() => Promise<void>)[] = [];
  const ended: string[] = [];
  let stopping = false;
  const watch = (who: string, p: ManagedProcess) => void p.exited.then((code) => stopping || ended.push(`${who} ${p.name} (exit ${code})`));
  const stop = async () => {
    stopping = true;
    for (const s of stops) await s();
  };
  const keepNginx = (who: string, p: ManagedProcess) => {
    // Bench-only nginx first: they stand in front of the stacks' apps.
    stops.unshift(() => p.stop());
    watch(who, p);
  };
  try {
    const nginxBin = findNginx();
    if (!nginxBin) throw new Error('nginx is not installed; install it with `npm run install-deps` (or `sudo apt-get install nginx`)');
    let fastApp: { host: string; port: number } | undefined;
    if (table.key === 'fast') {
      fastApp = await local();
      keepNginx('(fast app)', await startFastApp({ nginxBin, version: checkNginx(nginxBin).version, workDir: join(workDir, 'fast-app'), port: fastApp.port }));
    }
    const demoAppPort = await freePort();
    const stack = async (key: SetupKey, o: Pick<StackOptions, 'front'> & { env?: Record<string, string> }) => {
      const s = await startStack({
        front: o.front,
        workDir: join(workDir, key),
        gateway: await local(),
        signer: await local(),
        // (b)'s demo app is the demo table's app; every other stack has one of its own for logins.
        upstream: key === 'b' ? { host: '127.0.0.1', port: demoAppPort } : await local(),
        ...(fastApp ? { app: fastApp } : {}),
        accessLog: false,
        signal,
        env: { JWT_SECRET_FILE: opts.secretFile, ...o.env },
      });
      stops.push(() => s.stop());
      for (const p of s.processes.values()) watch(`(${key})`, p);
      return s;
    };
    // (b) first: the first one makes the secret file the others read.
    const shipped = await stack('b', { front: 'nginx', ...(opts.signerEnv ? { env: opts.signerEnv } : {}) });
    const token = await login(shipped.url);
    const version = shipped.nginxVersion!;
    const appAddr = fastApp ? `${fastApp.host}:${fastApp.port}` : `127.0.0.1:${demoAppPort}`;
    const plainPort = await freePort();
    keepNginx(
      '(a)',
      await startPlainNginx({ nginxBin, version, workDir: join(workDir, 'plain'), port: plainPort, upstreamAddr: appAddr, identity: identityOf(token) }),
    );
    signal.throwIfAborted();
    const running = new Map<SetupKey, Running>([
      // The same header as (b), so nginx and the app see the same request; nginx strips it.
      ['a', { url: `http://127.0.0.1:${plainPort}`, headers: async () => ({ authorization: `Bearer ${token}` }) }],
      ['b', { url: shipped.url, headers: bearer(shipped.url), signerUrl: shipped.signerUrls[0]! }],
    ]);
    const env: StartEnv = {
      workDir,
      nginxBin,
      version,
      appAddr,
      secretFile: opts.secretFile,
      tokens: opts.tokens,
      shippedUrl: shipped.url,
      stack,
      nginx: (key, p) => keepNginx(`(${key})`, p),
    };
    const notRun: string[] = [];
    for (const [key, start] of Object.entries(LATER_STARTS) as [keyof typeof LATER_STARTS, (typeof LATER_STARTS)[keyof typeof LATER_STARTS]][]) {
      const why = SETUP_DEFS.find((d) => d.key === key)?.unavailable?.();
      if (why !== undefined) notRun.push(why);
      else running.set(key, await start(env));
      signal.throwIfAborted();
    }
    const setups = SETUP_DEFS.flatMap((def) => {
      const r = running.get(def.key);
      return r ? [{ ...def, ...r }] : [];
    });
    return {
      table,
      setups,
      nginxVersion: version,
      ended: () => [...ended],
      shipped: {
        url: shipped.url,
        signerUrl: shipped.signerUrls[0]!,
        signerPid: shipped.processes.get('signer')!.pid,
        upstreamPid: shipped.processes.get('upstream')!.pid,
      },
      notRun,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
