import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { findExecutable } from './find-executable.js';
import { startProcess, type ManagedProcess } from './managed-process.js';
import { ENTRY } from './paths.js';
import { freePort } from './ports.js';
import { sentinelField } from '../../src/store/sentinel-resolver.js';
import { answersPing, findRedisServer, REDIS_INSTALL_HINT, startRedisServer } from './redis.js';

export const SENTINEL_INSTALL_HINT = 'install it with `npm run install-deps` (or `sudo apt-get install redis-sentinel`)';

/** Debian's redis-sentinel (the server binary under the name that starts Sentinel mode); undefined when absent. */
export const findRedisSentinel = (): string | undefined => findExecutable('redis-sentinel', '/usr/bin/redis-sentinel');

const HOST = '127.0.0.1';

/** One process of the set: a data node or a sentinel, which can be signalled, stopped and started again on its port. */
export interface SetMember {
  readonly name: string;
  readonly port: number;
  /** Its process group (the guard and the server under it), while it runs. */
  readonly pid: number | undefined;
  /** Whether its process runs now. */
  readonly running: boolean;
  /** Signals the process (its whole group: the guard and the server under it). */
  signal(sig: NodeJS.Signals): void;
  stop(): Promise<void>;
}

/** A data node; `start` brings it back on its port, empty, as a replica of the given master. */
export interface DataNode extends SetMember {
  start(replicaOf: number): Promise<void>;
}

export interface SentinelSet {
  masterName: string;
  /** The data nodes; the first is the master at the start. */
  nodes: DataNode[];
  sentinels: SetMember[];
  /** What a signer needs to find the master: REDIS_SENTINELS, REDIS_SENTINEL_MASTER and the passwords. */
  env: Record<string, string>;
  /** The port of the node the sentinels name as master now (asks them in turn). */
  masterPort(): Promise<number | undefined>;
  /** Resolves once every sentinel knows every other sentinel and every replica, and each replica is in sync. */
  settled(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface SentinelSetOptions {
  /** Where each process gets its directory and configuration file (mode 0600: they hold passwords). */
  dir: string;
  masterName?: string;
  /** Data nodes besides the master (default 2: a failover leaves the new master one replica to WAIT for). */
  replicas?: number;
  /** Sentinels (default 3, quorum 2). */
  sentinels?: number;
  /** `down-after-milliseconds`: how long the master must not answer before a sentinel calls it down. */
  downAfterMs?: number;
  /** Ports to use (data nodes first, then sentinels); free ones by default. */
  ports?: number[];
  logDir?: string;
  onLine?: (name: string, line: string) => void;
}

/**
 * A Redis master, its replicas and a set of Redis Sentinels watching it, all on loopback, each
 * data node and each sentinel with a password of its own for this run. For the failover suite
 * and `npm run sentinels`; production runs them on separate machines.
 */
export async function startSentinelSet(opts: SentinelSetOptions): Promise<SentinelSet> {
  const redisBin = findRedisServer();
  if (!redisBin) throw new Error(`redis-server is not installed; ${REDIS_INSTALL_HINT}`);
  const sentinelBin = findRedisSentinel();
  if (!sentinelBin) throw new Error(`redis-sentinel is not installed; ${SENTINEL_INSTALL_HINT}`);
  const masterName = opts.masterName ?? 'tokengate';
  const nodeCount = 1 + (opts.replicas ?? 2);
  const sentinelCount = opts.sentinels ?? 3;
  const ports = opts.ports ?? (await distinctFreePorts(nodeCount + sentinelCount));
  const password = randomBytes(24).toString('base64url');
  const sentinelPassword = randomBytes(24).toString('base64url');
  const logFile = (name: string) => (opts.logDir ? { logFile: join(opts.logDir, `${name}.log`) } : {});
  const onLine = (name: string) => (opts.onLine ? { onLine: (line: string) => opts.onLine?.(name, line) } : {});

  const nodes = ports.slice(0, nodeCount).map((port, i): DataNode => {
    const name = i === 0 ? 'redis-master' : `redis-replica-${i}`;
    return member(name, port, (replicaOf) =>
      startRedisServer({
        bin: redisBin,
        name,
        host: HOST,
        port,
        dir: join(opts.dir, name),
        password,
        // A full sync starts at once instead of waiting 5 s for more replicas to join it.
        extraArgs: ['--repl-diskless-sync-delay', '0'],
        ...(replicaOf ? { replicaOf: { host: HOST, port: replicaOf } } : {}),
        ...logFile(name),
        ...onLine(name),
      }),
    );
  });
  const sentinels = ports.slice(nodeCount).map((port, i) => {
    const name = `sentinel-${i + 1}`;
    return member(name, port, () =>
      startSentinel({
        bin: sentinelBin,
        name,
        port,
        dir: join(opts.dir, name),
        masterName,
        masterPort: ports[0]!,
        password,
        sentinelPassword,
        quorum: Math.floor(sentinelCount / 2) + 1,
        downAfterMs: opts.downAfterMs ?? 5_000,
        ...logFile(name),
        ...onLine(name),
      }),
    );
  });

  /** One command to one member, on a connection of its own. */
  const ask = async (port: number, pass: string, args: string[]): Promise<unknown> => {
    const c = createClient({ socket: { host: HOST, port, connectTimeout: 1_000, reconnectStrategy: false }, password: pass });
    c.on('error', () => {});
    try {
      await c.connect();
      return await c.sendCommand(args);
    } finally {
      if (c.isOpen) c.destroy();
    }
  };
  const masterPort = async () => {
    for (const s of sentinels) {
      if (!s.running) continue;
      const reply = await ask(s.port, sentinelPassword, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName]).catch(() => undefined);
      if (Array.isArray(reply)) return Number(reply[1]);
    }
    return undefined;
  };
  const settled = async (timeoutMs = 30_000) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (await isSettled()) return;
      if (Date.now() > until) throw new Error('the sentinel set did not settle: a sentinel misses a peer or a replica, or a replica is not in sync');
      await sleep(100);
    }
  };
  const isSettled = async () => {
    const master = await masterPort();
    if (master === undefined) return false;
    const replicas = nodes.filter((n) => n.running && n.port !== master).length;
    const info = String(await ask(master, password, ['INFO', 'replication']).catch(() => ''));
    if ((info.match(/state=online/g) ?? []).length !== replicas) return false;
    for (const s of sentinels.filter((x) => x.running)) {
      const fields = await ask(s.port, sentinelPassword, ['SENTINEL', 'MASTER', masterName]).catch(() => undefined);
      if (sentinelField(fields, 'flags') !== 'master' || Number(sentinelField(fields, 'port')) !== master) return false;
      if (Number(sentinelField(fields, 'num-other-sentinels')) !== sentinels.filter((x) => x.running).length - 1) return false;
      const known = await ask(s.port, sentinelPassword, ['SENTINEL', 'REPLICAS', masterName]).catch(() => undefined);
      if (!Array.isArray(known)) return false;
      const healthy = known.filter((r) => sentinelField(r, 'flags') === 'slave' && sentinelField(r, 'master-link-status') === 'ok');
      if (healthy.length !== replicas) return false;
    }
    return true;
  };
  const stop = async () => {
    for (const m of [...sentinels, ...nodes]) await m.stop();
  };

  try {
    await nodes[0]!.start(0);
    for (const n of nodes.slice(1)) await n.start(ports[0]!);
    for (const s of sentinels) await (s as DataNode).start(0);
    await settled();
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    masterName,
    nodes,
    sentinels,
    env: {
      REDIS_SENTINELS: sentinels.map((s) => `${HOST}:${s.port}`).join(','),
      REDIS_SENTINEL_MASTER: masterName,
      REDIS_PASSWORD: password,
      REDIS_SENTINEL_PASSWORD: sentinelPassword,
    },
    masterPort,
    settled,
    stop,
  };
}

/** A member that (re)starts with `launch` (its argument: the master to replicate, 0 for none). */
function member(name: string, port: number, launch: (replicaOf: number) => Promise<ManagedProcess>): DataNode {
  let proc: ManagedProcess | undefined;
  let running = false;
  return {
    name,
    port,
    get running() {
      return running;
    },
    get pid() {
      return proc?.pid;
    },
    signal(sig) {
      if (!proc) return;
      try {
        process.kill(-proc.pid, sig);
      } catch {
        // Already gone.
      }
      if (sig === 'SIGKILL') running = false;
    },
    async stop() {
      if (!proc) return;
      try {
        process.kill(-proc.pid, 'SIGCONT');
      } catch {
        // Already gone (killed).
      }
      await proc.stop();
      proc = undefined;
      running = false;
    },
    async start(replicaOf) {
      proc = await launch(replicaOf);
      running = true;
      void proc.exited.then(() => {
        running = false;
      });
    },
  };
}

interface SentinelOptions {
  bin: string;
  name: string;
  port: number;
  dir: string;
  masterName: string;
  masterPort: number;
  password: string;
  sentinelPassword: string;
  quorum: number;
  downAfterMs: number;
  logFile?: string;
  onLine?: (line: string) => void;
}

/** One redis-sentinel on loopback. Its configuration file is its own to rewrite (Sentinel records what it learns there). */
function startSentinel(opts: SentinelOptions): Promise<ManagedProcess> {
  mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  const configFile = join(opts.dir, 'sentinel.conf');
  const m = opts.masterName;
  writeFileSync(
    configFile,
    [
      `port ${opts.port}`,
      `bind ${HOST}`,
      `dir ${opts.dir}`,
      // Its own password, and the one it gives the other sentinels (they all share it here).
      `requirepass ${opts.sentinelPassword}`,
      `sentinel sentinel-pass ${opts.sentinelPassword}`,
      `sentinel monitor ${m} ${HOST} ${opts.masterPort} ${opts.quorum}`,
      `sentinel auth-pass ${m} ${opts.password}`,
      `sentinel down-after-milliseconds ${m} ${opts.downAfterMs}`,
      `sentinel failover-timeout ${m} 10000`,
      `sentinel parallel-syncs ${m} 1`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return startProcess({
    name: opts.name,
    command: process.execPath,
    args: [ENTRY.nginxGuard, '--stop-signal', 'SIGTERM', '--', opts.bin, configFile, '--daemonize', 'no'],
    ipc: true,
    cwd: opts.dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    ready: (signal) => answersPing(HOST, opts.port, signal),
    ...(opts.logFile ? { logFile: opts.logFile } : {}),
    ...(opts.onLine ? { onLine: opts.onLine } : {}),
  });
}

/** `count` free ports, all different. */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}
