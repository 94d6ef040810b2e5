import { createHash } from 'node:crypto';
import { createClient, ErrorReply, type RedisClientType } from 'redis';
import type { Logger } from '../log/logger.js';
import { describeRedisError, toStoreError, withTimeout } from './redis-errors.js';
import { RedisClock } from './redis-clock.js';
import type { ScriptRunner } from './script-runner.js';
import { guardScript } from './script-guard.js';
import type { RedisAuth, RedisNode } from './redis-target.js';
import type { RedisLink } from './redis-link.js';
import { ReplicaWaits } from './replica-waits.js';
import { UnreplicatedWriteError, type Replication } from './replication.js';
import { StoreUnavailableError } from './store.js';

export type RedisClient = RedisClientType;

/** Reconnect delays double from 50 ms up to this, plus jitter so instances do not retry in step. */
const MAX_BACKOFF_MS = 2_000;

/**
 * Commands sent to a Redis that hangs (accepting bytes, answering nothing) wait in the client
 * until it answers; past this many, new ones fail at once instead of piling up.
 */
const MAX_PENDING_COMMANDS = 10_000;

/**
 * A client that never queues commands while disconnected (they fail at once), connects within
 * `timeoutMs`, and reconnects for ever with capped backoff. Nothing is sent until `connect()`.
 */
export function createRedisClient(url: string, timeoutMs: number): RedisClient {
  return createClient({
    url,
    disableOfflineQueue: true,
    commandsQueueMaxLength: MAX_PENDING_COMMANDS,
    socket: {
      connectTimeout: timeoutMs,
      reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, MAX_BACKOFF_MS) + Math.floor(Math.random() * 100),
    },
  }) as RedisClient;
}

/**
 * A client for one address (a sentinel, or the master a sentinel named) that never reconnects by
 * itself: its owner asks the sentinels again first, as the master may have moved. Like
 * `createRedisClient`, it never queues commands while disconnected.
 */
export function createNodeClient(node: RedisNode, auth: RedisAuth | undefined, tls: boolean, timeoutMs: number): RedisClient {
  const socket = { host: node.host, port: node.port, connectTimeout: timeoutMs, reconnectStrategy: false as const };
  return createClient({
    ...(auth ? { username: auth.username, password: auth.password } : {}),
    disableOfflineQueue: true,
    commandsQueueMaxLength: MAX_PENDING_COMMANDS,
    socket: tls ? { ...socket, tls: true as const } : socket,
  }) as RedisClient;
}

/** Closes a client at once, whatever state it is in (node-redis throws on some). */
export function destroyQuietly(client: RedisClient | undefined): void {
  try {
    client?.destroy();
  } catch {
    // Already closed.
  }
}

/**
 * Logs a Redis outage when it starts (and again only if Redis answers with a new refusal,
 * such as a wrong password), and once when every failed connection is back; never per reconnect
 * attempt. Its `error` listener is also what keeps a client's errors from crashing the process.
 */
export class OutageLog {
  private readonly down = new Set<string>();
  private readonly seen = new Set<string>();

  constructor(private readonly logger: Logger) {}

  watch(name: string, client: RedisLink): void {
    client.on('error', (err: unknown) => {
      this.down.add(name);
      // Closed, then refused, then timed out is one way to fail: unreachable.
      const kind = err instanceof ErrorReply ? describeRedisError(err) : 'unreachable';
      if (this.seen.has(kind)) return;
      this.seen.add(kind);
      this.logger.warn({ connection: name, err: describeRedisError(err) }, 'Redis connection failed; reconnecting in the background');
    });
    client.on('ready', () => {
      if (!this.down.delete(name) || this.down.size > 0) return;
      this.seen.clear();
      this.logger.info('Redis connection restored');
    });
  }
}

/** How a script meets a Redis that reaches it late. */
export interface ScriptOptions {
  /**
   * `refuse` (the default): the script runs behind the deadline guard (`script-guard.ts`) and
   * writes nothing once the caller has stopped waiting. `apply`: it runs whenever Redis gets to
   * it, for writes that are as good late as on time.
   */
  late?: 'refuse' | 'apply';
  /**
   * A store write the caller answers as done: with `Replication`, `WAIT` for the replicas follows
   * it on the same connection, and too few acknowledgements make it an `UnreplicatedWriteError`
   * (`unmet: 'fail'`) or a call to `onUnmet` (`accept`).
   */
  replicate?: boolean;
}

export interface RedisCommandsOptions {
  prefix: string;
  timeoutMs: number;
  /** REDIS_WAIT_*; none, or 0 replicas: no `WAIT`. */
  replication?: Replication | undefined;
  /** Told of each write answered as done although too few replicas acknowledged it (`unmet: 'accept'`). */
  onUnmet?: (acknowledged: number) => void;
}

/**
 * Commands and Lua scripts on one connection, each bounded by `timeoutMs` and failing with
 * `StoreUnavailableError` when Redis cannot answer. Keys get the prefix here. `clock` is where
 * Redis's clock stands, for the scripts' deadlines; its owner samples it.
 */
export class RedisCommands implements ScriptRunner {
  readonly clock: RedisClock;
  readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly replication: Replication | undefined;
  private readonly waits: ReplicaWaits | undefined;
  private readonly guarded = new Map<string, string>();
  private readonly shas = new Map<string, string>();

  constructor(
    private readonly client: RedisLink,
    private readonly opts: RedisCommandsOptions,
  ) {
    this.prefix = opts.prefix;
    this.timeoutMs = opts.timeoutMs;
    this.replication = opts.replication !== undefined && opts.replication.replicas > 0 ? opts.replication : undefined;
    this.waits = this.replication ? new ReplicaWaits(client, this.replication, opts.timeoutMs) : undefined;
    this.clock = new RedisClock(() => this.send(['TIME']));
  }

  /** One raw command; keys in `args` must already carry the prefix. */
  send(args: string[]): Promise<unknown> {
    return this.bounded(() => this.client.sendCommand(args, { timeout: this.timeoutMs }), this.timeoutMs);
  }

  /**
   * Runs `script` on `keys` and `args`. Unless `late: 'apply'`, ARGV[1] on the wire is the
   * deadline (Redis's clock, ms) the guard checks, and the script sees `args` as given. With
   * `replicate`, it may take `REDIS_WAIT_MS` longer (see `ScriptOptions.replicate`).
   */
  async runScript(script: string, keys: string[], args: (string | number)[], { late = 'refuse', replicate = false }: ScriptOptions = {}): Promise<unknown> {
    const startedAt = performance.now();
    const replication = replicate ? this.replication : undefined;
    const waits = replicate ? this.waits : undefined;
    const budgetMs = this.timeoutMs + (waits?.maxMs ?? 0);
    return this.bounded(async () => {
      const source = late === 'refuse' ? this.guard(script) : script;
      const deadline = late === 'refuse' ? [String(await this.clock.deadline(startedAt, this.timeoutMs))] : [];
      const tail = [String(keys.length), ...keys.map((key) => this.prefix + key), ...deadline, ...args.map(String)];
      const send = (first: string[]) => {
        const reply = this.client.sendCommand([...first, ...tail], { timeout: this.timeoutMs });
        // In the same tick: a WAIT sent after the script on the same connection vouches for it.
        const acknowledged = waits?.after();
        return { reply, acknowledged };
      };
      let sent = send(['EVALSHA', this.sha(source)]);
      let reply: unknown;
      try {
        reply = await sent.reply;
      } catch (err) {
        // First use on this server (or after a restart, a failover or SCRIPT FLUSH): EVAL also caches it.
        if (!(err instanceof ErrorReply && err.message.startsWith('NOSCRIPT'))) throw err;
        sent = send(['EVAL', source]);
        reply = await sent.reply;
      }
      if (replication && sent.acknowledged) await this.checkReplicas(replication, sent.acknowledged, reply);
      return reply;
    }, budgetMs);
  }

  private async checkReplicas(replication: Replication, pending: Promise<unknown>, reply: unknown): Promise<void> {
    let acknowledged: number;
    try {
      acknowledged = Number(await pending);
    } catch (err) {
      // WAIT refused (a replica answering, say): whether the write is safe is unknown.
      throw toStoreError(err instanceof ErrorReply ? new StoreUnavailableError(`Redis refused WAIT (${describeRedisError(err)})`) : err);
    }
    if (acknowledged >= replication.replicas) return;
    if (replication.unmet === 'fail') throw new UnreplicatedWriteError(reply, acknowledged, replication);
    this.opts.onUnmet?.(acknowledged);
  }

  private bounded<T>(run: () => Promise<T>, ms: number): Promise<T> {
    return withTimeout(new Promise<T>((resolve) => resolve(run())), ms).catch((err: unknown) => {
      throw toStoreError(err);
    });
  }

  private guard(script: string): string {
    let source = this.guarded.get(script);
    if (source === undefined) this.guarded.set(script, (source = guardScript(script)));
    return source;
  }

  private sha(script: string): string {
    let sha = this.shas.get(script);
    if (sha === undefined) this.shas.set(script, (sha = createHash('sha1').update(script).digest('hex')));
    return sha;
  }
}
