import { EventEmitter } from 'node:events';
import { ErrorReply } from 'redis';
import { createNodeClient, destroyQuietly, type RedisClient } from './redis-connection.js';
import { withTimeout } from './redis-errors.js';
import type { RedisLink } from './redis-link.js';
import type { RedisNode, SentinelTarget } from './redis-target.js';
import type { SentinelResolver } from './sentinel-resolver.js';
import { StoreUnavailableError } from './store.js';

/**
 * Retries come quickly (25 ms, doubling) up to this, plus jitter: a failover is over within a
 * few seconds, and every attempt is one question to a sentinel and one connection attempt.
 */
const MAX_RETRY_MS = 250;

export interface MasterLinkOptions {
  resolver: SentinelResolver;
  target: SentinelTarget;
  /** Bounds the connection, the `ROLE` check and each resubscription. */
  timeoutMs: number;
}

/**
 * A `RedisLink` to the master a set of Redis Sentinels names, following it through a failover:
 * when its connection drops, a command is answered `READONLY` (the master was demoted), or the
 * sentinels name another master, it drops the connection, asks the sentinels where the master
 * is, connects there, checks with `ROLE` that the node really is a master (a sentinel cut off
 * from the others may still name the old one), resubscribes, and is `ready` again. It retries
 * for ever until closed. Commands sent while it has no master fail at once: the store answers
 * 503 during the failover, and never queues a write for a master that may no longer be one.
 *
 * Hand-written beside node-redis's own `createSentinel`, which this store cannot use: its pub/sub
 * moves subscriptions to a new master without telling the revocation mirror it may have missed a
 * message; its commands wait (polling the sentinels) while there is no master instead of failing
 * at once; and two commands in a row may reach two masters, so a `WAIT` on the new one could
 * vouch for a write on the old one. Each node connection is still node-redis's plain client.
 */
export class MasterLink extends EventEmitter implements RedisLink {
  private client: RedisClient | undefined;
  private node: RedisNode | undefined;
  private state: 'idle' | 'connecting' | 'ready' | 'closed' = 'idle';
  private attempts = 0;
  private readonly subscriptions = new Map<string, (message: string) => void>();
  private pause: { resume: () => void } | undefined;
  private readonly connected: Promise<void>;
  private settleConnected!: (ok: boolean) => void;
  private readonly onMaster = (node: RedisNode) => this.follow(node);

  /**
   * @param owner closes the resolver when closed itself (the first link of a store; its
   *   duplicates share the resolver).
   */
  constructor(
    private readonly opts: MasterLinkOptions,
    private readonly owner = true,
  ) {
    super();
    this.connected = new Promise((resolve, reject) => {
      this.settleConnected = (ok) => (ok ? resolve() : reject(new StoreUnavailableError('closed before Redis answered')));
    });
    // Closed before anyone asked: nobody is waiting for it.
    this.connected.catch(() => {});
  }

  get isOpen(): boolean {
    return this.state === 'connecting' || this.state === 'ready';
  }

  get isReady(): boolean {
    return this.state === 'ready';
  }

  connect(): Promise<void> {
    if (this.state === 'idle') {
      this.state = 'connecting';
      this.opts.resolver.on('master', this.onMaster);
      this.opts.resolver.watch();
      void this.establish();
    }
    return this.connected;
  }

  sendCommand(args: string[], options?: { timeout?: number }): Promise<unknown> {
    const client = this.client;
    if (this.state !== 'ready' || !client) return Promise.reject(new StoreUnavailableError('no connection to the Redis master (failing over?)'));
    const reply = client.sendCommand(args, options);
    // Demoted under us (a failover the connection survived): find the master again.
    reply.catch((err: unknown) => {
      if (!(err instanceof ErrorReply && err.message.startsWith('READONLY'))) return;
      this.report(err);
      this.lose(client);
    });
    return reply;
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    this.subscriptions.set(channel, listener);
    // Without a connection, the next one subscribes before it is ready.
    if (this.state === 'ready' && this.client) await this.client.subscribe(channel, listener);
  }

  ping(): Promise<unknown> {
    if (this.state !== 'ready' || !this.client) return Promise.reject(new StoreUnavailableError('no connection to the Redis master'));
    return this.client.ping();
  }

  duplicate(): MasterLink {
    return new MasterLink(this.opts, false);
  }

  async close(): Promise<void> {
    const client = this.shutDown();
    if (client?.isOpen) await client.close().catch(() => {});
    destroyQuietly(client);
  }

  destroy(): void {
    destroyQuietly(this.shutDown());
  }

  private shutDown(): RedisClient | undefined {
    if (this.state === 'closed') return undefined;
    const wasOpen = this.isOpen;
    this.state = 'closed';
    this.opts.resolver.off('master', this.onMaster);
    if (this.owner) this.opts.resolver.close();
    this.pause?.resume();
    this.settleConnected(false);
    const client = this.client;
    this.client = undefined;
    if (wasOpen) this.emit('end');
    return client;
  }

  /** Until closed: ask, connect, check the role, resubscribe; wait a little after each failure. */
  private async establish(): Promise<void> {
    while (this.state === 'connecting') {
      let client: RedisClient | undefined;
      try {
        const node = await this.opts.resolver.master();
        client = createNodeClient(node, this.opts.target.nodeAuth, this.opts.target.tls, this.opts.timeoutMs);
        const mine = client;
        client.on('error', (err: unknown) => this.onClientError(mine, err));
        await withTimeout(client.connect(), this.opts.timeoutMs);
        const role = await withTimeout(client.sendCommand(['ROLE']), this.opts.timeoutMs);
        if (!Array.isArray(role) || role[0] !== 'master') throw new StoreUnavailableError('the node the sentinels name is not a master (yet)');
        for (const [channel, listener] of this.subscriptions) await withTimeout(client.subscribe(channel, listener), this.opts.timeoutMs);
        if (this.state !== 'connecting') break;
        [this.client, this.node, this.state, this.attempts] = [client, node, 'ready', 0];
        this.settleConnected(true);
        this.emit('ready');
        return;
      } catch (err) {
        destroyQuietly(client);
        if (this.state !== 'connecting') break;
        this.report(err);
        await this.wait(Math.min(25 * 2 ** this.attempts++, MAX_RETRY_MS) + Math.floor(Math.random() * 25));
      }
    }
  }

  private onClientError(client: RedisClient, err: unknown): void {
    if (client !== this.client) return;
    this.report(err);
    if (!client.isReady) this.lose(client);
  }

  /** The sentinels name another master than the one this link uses. */
  private follow(node: RedisNode): void {
    if (this.state !== 'ready' || !this.client || !this.node) return;
    if (this.node.host === node.host && this.node.port === node.port) return;
    this.report(new StoreUnavailableError('the sentinels name another master'));
    this.lose(this.client);
  }

  /** Drops the connection (already reported) and starts finding the master again. */
  private lose(client: RedisClient): void {
    if (client !== this.client || this.state !== 'ready') return;
    this.client = undefined;
    this.node = undefined;
    destroyQuietly(client);
    this.state = 'connecting';
    this.emit('reconnecting');
    void this.establish();
  }

  /** An `error` event for whoever listens (the outage log, the mirror); none must not crash. */
  private report(err: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const resume = () => {
        clearTimeout(timer);
        this.pause = undefined;
        resolve();
      };
      const timer = setTimeout(resume, ms);
      this.pause = { resume };
    });
  }
}
