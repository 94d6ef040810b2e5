import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { answersHttp, startProcess, type ManagedProcess, type ProcessSpec } from './managed-process.js';
import { accessLogOff, checkNginx, createPrefix, findNginx, INSTALL_HINT, nginxAddr, nginxArgs, preparePrefix } from './nginx.js';
import { DEMO_POLICY, DEMO_USERS, ENTRY, ROOT } from './paths.js';
import { parseClaimHeaders, type ClaimHeader } from '../../src/auth/claim-headers.js';
import { findRedisServer, REDIS_INSTALL_HINT, startRedisServer } from './redis.js';
import { LUA_INSTALL_HINT, luaSupport } from './lua-module.js';
import { assertAddressesFree, bracketHost, type Bind } from './ports.js';

/** nginx with the stock template, nginx with the Lua module and the OpenResty template, or the embedded Node front. */
export type FrontKind = 'nginx' | 'openresty' | 'embedded';

export interface StackOptions {
  front: FrontKind;
  /** Logs, the nginx prefix (except as root, see createPrefix) and (unless JWT_SECRET_FILE / KEYS_DIR are given) the secret and key ring go here. */
  workDir: string;
  gateway: { host: string; port: number };
  signer: { host: string; port: number };
  /** Signer processes behind nginx, on signer.port, signer.port + 1, ... (default 1). They must share a store: REDIS_URL or REDIS_SENTINELS in `env`, or `redis`. */
  signerInstances?: number;
  /** Start a private, throw-away redis-server on this loopback port and point the signers at it. */
  redis?: { port: number };
  /** The demo app; its /authenticate is the signer's AUTHENTICATE_URL unless `env` says otherwise. */
  upstream: { host: string; port: number };
  /**
   * The protected app, already listening, when it is not the demo app (a test's own recorder):
   * protected traffic goes there, while logins still go to the demo app's /authenticate.
   */
  app?: { host: string; port: number };
  /** false: nginx writes no access log (the benchmark). Default: the main config's log to stdout. */
  accessLog?: boolean;
  /** Environment for the signer / embedded front (config variables). */
  env?: Record<string, string>;
  /** Start from the caller's environment (npm start) or from a clean one (tests). */
  inheritEnv?: boolean;
  nginxBin?: string | undefined;
  usersFile?: string;
  onLine?: (process: string, line: string) => void;
  /** Aborting it during start-up stops every process started so far; startStack then rejects with its reason. */
  signal?: AbortSignal;
}

/** A running stack: its URL, its processes, and a stop that ends all of them. */
export interface Stack {
  url: string;
  front: FrontKind;
  nginxVersion?: string;
  /** The signers' own addresses (base URLs), in instance order; empty for the embedded front. */
  signerUrls: string[];
  /**
   * The configuration variables the signers (or the embedded front) were started with, beside the
   * environment: what `tokengate` needs to run as they run (`sessions` finds the admin API by it).
   */
  config: Record<string, string>;
  /** The demo app's own address (base URL): it answers the logins, and is the protected app unless `app` names another. */
  appUrl: string;
  /** The private redis-server's address (without its password), when the stack started one. */
  redisUrl?: string;
  processes: Map<string, ManagedProcess>;
  stop(): Promise<void>;
}

/** Thrown when the nginx front is asked for and there is no usable nginx. */
export class NginxUnavailableError extends Error {
  override name = 'NginxUnavailableError';
}

/**
 * Starts the demo app, then the signer (or the embedded front), then nginx; on any failure, or
 * when `signal` aborts, stops what started. Nothing starts unless every address is free.
 */
export async function startStack(opts: StackOptions): Promise<Stack> {
  opts.signal?.throwIfAborted();
  mkdirSync(join(opts.workDir, 'logs'), { recursive: true });
  const logFile = (name: string) => join(opts.workDir, 'logs', `${name}.log`);
  const base: NodeJS.ProcessEnv = opts.inheritEnv ? { ...process.env } : { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'production' };
  const upstreamUrl = `http://${nginxAddr(opts.upstream.host, opts.upstream.port)}`;
  const app = opts.app ?? opts.upstream;
  const gatewayUrl = `http://${nginxAddr(opts.gateway.host, opts.gateway.port)}`;
  const config: Record<string, string> = {
    AUTHENTICATE_URL: `${upstreamUrl}/authenticate`,
    UPSTREAM_URL: `http://${nginxAddr(app.host, app.port)}`,
    SIGNER_HOST: opts.signer.host,
    SIGNER_PORT: String(opts.signer.port),
    GATEWAY_HOST: opts.gateway.host,
    GATEWAY_PORT: String(opts.gateway.port),
    JWT_SECRET_FILE: join(opts.workDir, 'secrets', 'jwt-secret'),
    KEYS_DIR: join(opts.workDir, 'secrets', 'keys'),
    // The demo policy unless `env` names another (an empty POLICY_FILE: none).
    POLICY_FILE: DEMO_POLICY,
    // Redirects and form checks need the address browsers use: the front door's own.
    PUBLIC_ORIGIN: gatewayUrl,
    ...opts.env,
  };

  const withNginx = opts.front !== 'embedded';
  const instances = withNginx ? (opts.signerInstances ?? 1) : 1;
  if (opts.front === 'embedded' && (opts.signerInstances ?? 1) > 1)
    throw new Error('several signer instances need the nginx front: the embedded front is one process');
  const signers = Array.from({ length: instances }, (_, i) => ({
    name: instances === 1 ? 'signer' : `signer-${i + 1}`,
    host: opts.signer.host,
    port: opts.signer.port + i,
  }));
  let redisBin: string | undefined;
  // A password of its own each run: the private Redis listens on loopback, where other local
  // users could otherwise reach it. The signers get it in REDIS_URL, which they never log.
  const redisPassword = randomBytes(24).toString('base64url');
  if (opts.redis) {
    redisBin = findRedisServer();
    if (!redisBin) throw new Error(`redis-server is not installed; ${REDIS_INSTALL_HINT}`);
    config.REDIS_URL = `redis://:${redisPassword}@127.0.0.1:${opts.redis.port}`;
  }

  let nginxBin: string | undefined;
  let nginxVersion: string | undefined;
  if (withNginx) {
    nginxBin = findNginx(opts.nginxBin);
    if (!nginxBin) throw new NginxUnavailableError(`nginx is not installed; ${INSTALL_HINT}`);
    nginxVersion = checkNginx(nginxBin).version;
  }
  if (opts.front === 'openresty') {
    const lua = luaSupport();
    if (!lua.ok) throw new NginxUnavailableError(`the OpenResty front needs nginx's Lua module (missing: ${lua.missing.join(', ')}); ${LUA_INSTALL_HINT}`);
  }
  // The embedded front is the signer too: it serves the gateway address, and only its private
  // admin API on the signer's.
  const binds: Bind[] = [
    { ...opts.gateway, setting: 'GATEWAY_PORT' },
    ...signers.map((s, i) => ({ host: s.host, port: s.port, setting: i === 0 ? 'SIGNER_PORT' : `SIGNER_PORT+${i}` })),
    { ...opts.upstream, setting: 'UPSTREAM_URL' },
    ...(opts.redis ? [{ host: '127.0.0.1', port: opts.redis.port, setting: 'the private redis-server' }] : []),
  ];
  await assertAddressesFree(binds);

  const processes = new Map<string, ManagedProcess>();
  let prefix: { dir: string; temporary: boolean } | undefined;
  const stop = async () => {
    // Front first, so no request reaches a stopped signer; the store last, so signers close cleanly.
    for (const name of ['nginx', 'front', ...signers.map((s) => s.name), 'upstream', 'redis']) await processes.get(name)?.stop();
    if (prefix?.temporary) rmSync(prefix.dir, { recursive: true, force: true });
  };
  // Every child is Node (nginx runs under its guard), so each gets an IPC channel.
  const start = async (name: string, readyUrl: string, spec: Pick<ProcessSpec, 'args' | 'env'> & Partial<ProcessSpec>) => {
    const p = await startProcess({
      name,
      command: process.execPath,
      cwd: ROOT,
      ready: (signal) => answersHttp(readyUrl, signal),
      logFile: logFile(name),
      ipc: true,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onLine ? { onLine: (line: string) => opts.onLine?.(name, line) } : {}),
      ...spec,
    });
    processes.set(name, p);
  };
  const node = (name: string, entry: string, env: NodeJS.ProcessEnv, readyUrl: string) => start(name, readyUrl, { args: [entry], env });
  const signerUrls = withNginx ? signers.map((s) => `http://${nginxAddr(s.host, s.port)}`) : [];

  try {
    if (opts.redis) {
      const redis = await startRedisServer({
        bin: redisBin!,
        host: '127.0.0.1',
        port: opts.redis.port,
        dir: join(opts.workDir, 'redis'),
        password: redisPassword,
        logFile: logFile('redis'),
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.onLine ? { onLine: (line: string) => opts.onLine?.('redis', line) } : {}),
      });
      processes.set('redis', redis);
    }
    const upstreamEnv = { ...base, EXAMPLE_HOST: opts.upstream.host, EXAMPLE_PORT: String(opts.upstream.port), USERS_FILE: opts.usersFile ?? DEMO_USERS };
    const signerEnv = { ...base, ...config };
    if (opts.front === 'embedded') {
      await allStarted([node('upstream', ENTRY.upstream, upstreamEnv, `${upstreamUrl}/healthz`), node('front', ENTRY.front, signerEnv, `${gatewayUrl}/login`)]);
    } else {
      await allStarted([
        node('upstream', ENTRY.upstream, upstreamEnv, `${upstreamUrl}/healthz`),
        // One after another: the first generates the secret file when there is none, the others read it.
        signers.reduce(
          (previous, s, i) => previous.then(() => node(s.name, ENTRY.signer, { ...signerEnv, SIGNER_PORT: String(s.port) }, `${signerUrls[i]}/healthz`)),
          Promise.resolve(),
        ),
      ]);
      opts.signal?.throwIfAborted();
      prefix = createPrefix(opts.workDir);
      preparePrefix(
        prefix.dir,
        {
          GATEWAY_HOST: bracketHost(opts.gateway.host),
          GATEWAY_PORT: String(opts.gateway.port),
          SIGNER_ADDR: signers.map((s) => nginxAddr(s.host, s.port)),
          UPSTREAM_ADDR: nginxAddr(app.host, app.port),
        },
        claimHeadersOf(signerEnv.CLAIM_HEADERS),
        opts.front === 'openresty',
      );
      if (opts.accessLog === false) writeFileSync(join(prefix.dir, 'nginx.conf'), accessLogOff(readFileSync(join(prefix.dir, 'nginx.conf'), 'utf8')));
      // nginx runs under a small Node guard that holds the IPC channel for it (see nginx-guard.ts).
      const guardArgs = [ENTRY.nginxGuard, ...(prefix.temporary ? ['--remove-dir', prefix.dir] : []), '--', nginxBin!, ...nginxArgs(prefix.dir, nginxVersion!)];
      await start('nginx', `${gatewayUrl}/login`, { args: guardArgs, cwd: prefix.dir, env: base, stdoutFile: logFile('nginx-access'), stopSignal: 'SIGQUIT' });
    }
    opts.signal?.throwIfAborted();
    const common = {
      url: gatewayUrl,
      signerUrls,
      config,
      appUrl: upstreamUrl,
      processes,
      stop,
      ...(opts.redis ? { redisUrl: `redis://127.0.0.1:${opts.redis.port}` } : {}),
    };
    return withNginx ? { ...common, front: opts.front, nginxVersion: nginxVersion! } : { ...common, front: 'embedded' };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Like Promise.all, but waits for every start to settle so none is left running unseen after a failure. */
async function allStarted(starts: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(starts);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** CLAIM_HEADERS as the signers read it; the signers refuse to start on a bad one, so none is needed here. */
function claimHeadersOf(value: string | undefined): ClaimHeader[] {
  const parsed = parseClaimHeaders(value ?? '');
  return parsed.ok ? parsed.headers : [];
}
