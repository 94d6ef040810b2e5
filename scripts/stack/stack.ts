import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { answersHttp, startProcess, type ManagedProcess, type ProcessSpec } from './managed-process.js';
import { checkNginx, createPrefix, findNginx, INSTALL_HINT, nginxAddr, nginxArgs, preparePrefix } from './nginx.js';
import { DEMO_USERS, ENTRY, ROOT } from './paths.js';
import { assertAddressesFree, bracketHost, type Bind } from './ports.js';

export type FrontKind = 'nginx' | 'embedded';

export interface StackOptions {
  front: FrontKind;
  /** Logs, the nginx prefix (except as root, see createPrefix) and (unless JWT_SECRET_FILE is given) the secret go here. */
  workDir: string;
  gateway: { host: string; port: number };
  signer: { host: string; port: number };
  /** The demo app; its /authenticate is the signer's AUTHENTICATE_URL unless `env` says otherwise. */
  upstream: { host: string; port: number };
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
  const gatewayUrl = `http://${nginxAddr(opts.gateway.host, opts.gateway.port)}`;
  const config: Record<string, string> = {
    AUTHENTICATE_URL: `${upstreamUrl}/authenticate`,
    UPSTREAM_URL: upstreamUrl,
    SIGNER_HOST: opts.signer.host,
    SIGNER_PORT: String(opts.signer.port),
    GATEWAY_HOST: opts.gateway.host,
    GATEWAY_PORT: String(opts.gateway.port),
    JWT_SECRET_FILE: join(opts.workDir, 'secrets', 'jwt-secret'),
    // Redirects and form checks need the address browsers use: the front door's own.
    PUBLIC_ORIGIN: gatewayUrl,
    ...opts.env,
  };

  let nginxBin: string | undefined;
  let nginxVersion: string | undefined;
  if (opts.front === 'nginx') {
    nginxBin = findNginx(opts.nginxBin);
    if (!nginxBin) throw new NginxUnavailableError(`nginx is not installed; ${INSTALL_HINT}`);
    nginxVersion = checkNginx(nginxBin).version;
  }
  // The embedded front is the signer too: it listens on the gateway address only.
  const binds: Bind[] = [
    { ...opts.gateway, setting: 'GATEWAY_PORT' },
    ...(opts.front === 'nginx' ? [{ ...opts.signer, setting: 'SIGNER_PORT' }] : []),
    { ...opts.upstream, setting: 'UPSTREAM_URL' },
  ];
  await assertAddressesFree(binds);

  const processes = new Map<string, ManagedProcess>();
  let prefix: { dir: string; temporary: boolean } | undefined;
  const stop = async () => {
    for (const name of ['nginx', 'front', 'signer', 'upstream']) await processes.get(name)?.stop();
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

  try {
    const upstreamEnv = { ...base, EXAMPLE_HOST: opts.upstream.host, EXAMPLE_PORT: String(opts.upstream.port), USERS_FILE: opts.usersFile ?? DEMO_USERS };
    const signerEnv = { ...base, ...config };
    if (opts.front === 'embedded') {
      await allStarted([
        node('upstream', ENTRY.upstream, upstreamEnv, `${upstreamUrl}/healthz`),
        node('front', ENTRY.front, signerEnv, `${gatewayUrl}/login`),
      ]);
    } else {
      await allStarted([
        node('upstream', ENTRY.upstream, upstreamEnv, `${upstreamUrl}/healthz`),
        node('signer', ENTRY.signer, signerEnv, `http://${nginxAddr(opts.signer.host, opts.signer.port)}/healthz`),
      ]);
      opts.signal?.throwIfAborted();
      prefix = createPrefix(opts.workDir);
      preparePrefix(prefix.dir, {
        GATEWAY_HOST: bracketHost(opts.gateway.host),
        GATEWAY_PORT: String(opts.gateway.port),
        SIGNER_ADDR: nginxAddr(opts.signer.host, opts.signer.port),
        UPSTREAM_ADDR: nginxAddr(opts.upstream.host, opts.upstream.port),
      });
      // nginx runs under a small Node guard that holds the IPC channel for it (see nginx-guard.ts).
      const guardArgs = [ENTRY.nginxGuard, ...(prefix.temporary ? ['--remove-dir', prefix.dir] : []), '--', nginxBin!, ...nginxArgs(prefix.dir, nginxVersion!)];
      await start('nginx', `${gatewayUrl}/login`, { args: guardArgs, cwd: prefix.dir, env: base, stdoutFile: logFile('nginx-access'), stopSignal: 'SIGQUIT' });
    }
    opts.signal?.throwIfAborted();
    return opts.front === 'nginx' ? { url: gatewayUrl, front: 'nginx', nginxVersion: nginxVersion!, processes, stop } : { url: gatewayUrl, front: 'embedded', processes, stop };
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
