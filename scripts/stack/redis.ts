import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { findExecutable } from './find-executable.js';
import { startProcess, type ManagedProcess } from './managed-process.js';
import { ENTRY } from './paths.js';

export const REDIS_INSTALL_HINT = 'install it with `npm run install-deps` (or `sudo apt-get install redis-server`)';

/** The redis-server binary: `redis-server` on PATH, else /usr/bin/redis-server; undefined when none. */
export const findRedisServer = (configured?: string): string | undefined => findExecutable('redis-server', '/usr/bin/redis-server', configured);

/** True once something at host:port answers a Redis PING (with PONG, or NOAUTH when it wants a password). */
export function answersPing(host: string, port: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      signal.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onAbort = () => done(false);
    signal.addEventListener('abort', onAbort);
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      // A server with a password answers NOAUTH: it is up all the same.
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
  });
}

export interface RedisServerOptions {
  bin: string;
  /** Its name in logs (default `redis`). */
  name?: string;
  host: string;
  port: number;
  /** Its working directory (nothing is persisted: no RDB, no AOF). */
  dir: string;
  /**
   * Required of every client (`requirepass`), so other local users cannot read or change the
   * store. It goes into a mode-0600 config file in `dir`, never onto the command line, where
   * any user could read it with `ps`.
   */
  password?: string;
  /** Start as a replica of this master (`replicaof`); it authenticates with `password` too. */
  replicaOf?: { host: string; port: number };
  /** More `--name value` settings for the command line (never a secret: `ps` shows them). */
  extraArgs?: string[];
  logFile?: string;
  onLine?: (line: string) => void;
  signal?: AbortSignal;
}

/**
 * A private, throw-away redis-server on loopback: no persistence, bound to `host`
 * only. For the demo stack and the tests; production runs its own Redis. It runs in its own
 * process group (with the guard), so signalling `-pid` reaches the server itself.
 */
export function startRedisServer(opts: RedisServerOptions): Promise<ManagedProcess> {
  mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  const configFile = join(opts.dir, 'redis.conf');
  // masterauth too: a master that Sentinel turns into a replica must authenticate to the new one.
  writeFileSync(configFile, opts.password === undefined ? '' : `requirepass ${opts.password}\nmasterauth ${opts.password}\n`, { mode: 0o600 });
  const args = [
    configFile,
    '--bind',
    opts.host,
    '--port',
    String(opts.port),
    '--dir',
    opts.dir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    // Pub/sub is how instances hear of revocations; never let a slow subscriber be cut off silently.
    '--client-output-buffer-limit',
    'pubsub',
    '0',
    '0',
    '0',
    ...(opts.replicaOf ? ['--replicaof', opts.replicaOf.host, String(opts.replicaOf.port)] : []),
    ...(opts.extraArgs ?? []),
  ];
  // Under the guard (built to dist/), so it ends with the runner however the runner ends.
  return startProcess({
    name: opts.name ?? 'redis',
    command: process.execPath,
    args: [ENTRY.nginxGuard, '--stop-signal', 'SIGTERM', '--', opts.bin, ...args],
    ipc: true,
    cwd: opts.dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    ready: (signal) => answersPing(opts.host, opts.port, signal),
    ...(opts.logFile ? { logFile: opts.logFile } : {}),
    ...(opts.onLine ? { onLine: opts.onLine } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
}
