import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { answersHttp, startProcess, type ManagedProcess } from './managed-process.js';
import { checkNginx, findNginx, INSTALL_HINT, nginxAddr, nginxArgs, preparePrefix } from './nginx.js';
import { DEMO_USERS, ENTRY, ROOT } from './paths.js';

export type FrontKind = 'nginx' | 'embedded';

export interface StackOptions {
  front: FrontKind;
  /** Logs, the nginx prefix and (unless JWT_SECRET_FILE is given) the secret go here. */
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
}

/** A running stack: its URL, its processes, and a stop that ends all of them. */
export interface Stack {
  url: string;
  front: FrontKind;
  nginxVersion?: string;
  processes: Map<string, ManagedProcess>;
  logFile(name: string): string;
  stop(): Promise<void>;
}

/** Thrown when the nginx front is asked for and there is no usable nginx. */
export class NginxUnavailableError extends Error {
  override name = 'NginxUnavailableError';
}

/** Starts the demo app, then the signer (or the embedded front), then nginx; on any failure stops what started. */
export async function startStack(opts: StackOptions): Promise<Stack> {
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
    ...opts.env,
  };

  let nginxBin: string | undefined;
  let nginxVersion: string | undefined;
  if (opts.front === 'nginx') {
    nginxBin = findNginx(opts.nginxBin);
    if (!nginxBin) throw new NginxUnavailableError(`nginx is not installed; ${INSTALL_HINT}`);
    nginxVersion = checkNginx(nginxBin).version;
  }

  const processes = new Map<string, ManagedProcess>();
  const stop = async () => {
    for (const name of ['nginx', 'front', 'signer', 'upstream']) await processes.get(name)?.stop();
  };
  const node = (name: string, entry: string, env: NodeJS.ProcessEnv, readyUrl: string) =>
    startProcess({
      name,
      command: process.execPath,
      args: [entry],
      cwd: ROOT,
      env,
      ready: () => answersHttp(readyUrl),
      logFile: logFile(name),
      ...(opts.onLine ? { onLine: (line: string) => opts.onLine?.(name, line) } : {}),
    }).then((p) => void processes.set(name, p));

  try {
    const upstreamEnv = { ...base, EXAMPLE_HOST: opts.upstream.host, EXAMPLE_PORT: String(opts.upstream.port), USERS_FILE: opts.usersFile ?? DEMO_USERS };
    const signerEnv = { ...base, ...config };
    if (opts.front === 'embedded') {
      await allStarted([
        node('upstream', ENTRY.upstream, upstreamEnv, `${upstreamUrl}/healthz`),
        node('front', ENTRY.front, signerEnv, `${gatewayUrl}/login`),
      ]);
      return { url: gatewayUrl, front: 'embedded', processes, logFile, stop };
    }
    await allStarted([
      node('upstream', ENTRY.upstream, upstreamEnv, `${upstreamUrl}/healthz`),
      node('signer', ENTRY.signer, signerEnv, `http://${nginxAddr(opts.signer.host, opts.signer.port)}/healthz`),
    ]);
    const prefix = join(opts.workDir, 'nginx');
    preparePrefix(prefix, {
      GATEWAY_HOST: opts.gateway.host.includes(':') ? `[${opts.gateway.host}]` : opts.gateway.host,
      GATEWAY_PORT: String(opts.gateway.port),
      SIGNER_ADDR: nginxAddr(opts.signer.host, opts.signer.port),
      UPSTREAM_ADDR: nginxAddr(opts.upstream.host, opts.upstream.port),
    });
    const nginx = await startProcess({
      name: 'nginx',
      command: nginxBin!,
      args: nginxArgs(prefix),
      cwd: prefix,
      env: base,
      ready: () => answersHttp(`${gatewayUrl}/login`),
      logFile: logFile('nginx'),
      stdoutFile: logFile('nginx-access'),
      stopSignal: 'SIGQUIT',
      ...(opts.onLine ? { onLine: (line: string) => opts.onLine?.('nginx', line) } : {}),
    });
    processes.set('nginx', nginx);
    return { url: gatewayUrl, front: 'nginx', nginxVersion: nginxVersion!, processes, logFile, stop };
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
