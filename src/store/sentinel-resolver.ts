import { EventEmitter } from 'node:events';
import { z } from 'zod';
import type { Logger } from '../log/logger.js';
import { createNodeClient, destroyQuietly, type RedisClient } from './redis-connection.js';
import { describeRedisError, withTimeout } from './redis-errors.js';
import { showNode, type RedisNode, type SentinelTarget } from './redis-target.js';
import { StoreUnavailableError } from './store.js';

const masterReply = z.union([z.tuple([z.string(), z.coerce.number().int().min(1).max(65535)]), z.null()]);

export interface SentinelResolverOptions {
  target: SentinelTarget;
  /** Bounds each connection attempt and each question to a sentinel (REDIS_TIMEOUT_MS). */
  timeoutMs: number;
  /** How often `watch()` asks again. */
  checkMs: number;
  logger: Logger;
}

/**
 * Asks the sentinels where the master is, as Redis's guidelines for Sentinel clients say: each
 * sentinel in turn until one answers, and the one that answered is asked first from then on. Its
 * answer is a claim that whoever connects checks (`ROLE`): a sentinel cut off from the others
 * may still name the old master. When no sentinel answers (all of them down or cut off), the
 * last known master is the answer: a master that is still there stays usable without them.
 *
 * While watched, it asks every `checkMs` and emits `master` (the new node) when the answer
 * changes: a master the sentinels replaced without its connections dropping (cut off from them,
 * or hung) is left at once instead of at the next failed command.
 */
export class SentinelResolver extends EventEmitter {
  private readonly order: RedisNode[];
  private connection: { sentinel: RedisNode; client: RedisClient } | undefined;
  private pending: Promise<RedisNode> | undefined;
  private known: RedisNode | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** What was warned about since a sentinel last answered: an outage is logged once, not per question. */
  private readonly warned = new Set<string>();

  constructor(private readonly opts: SentinelResolverOptions) {
    super();
    this.order = [...opts.target.sentinels];
  }

  /** The master's address, as the first sentinel that answers says; coalesces concurrent questions. */
  master(): Promise<RedisNode> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('closed'));
    this.pending ??= this.ask().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** Starts asking every `checkMs` (once; `close` stops it). */
  watch(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => void this.master().catch(() => {}), this.opts.checkMs);
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    if (this.connection) destroyQuietly(this.connection.client);
    this.connection = undefined;
  }

  private async ask(): Promise<RedisNode> {
    const { masterName } = this.opts.target;
    for (const sentinel of [...this.order]) {
      if (this.closed) break;
      let reply: z.infer<typeof masterReply>;
      try {
        reply = masterReply.parse(await this.question(sentinel, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName]));
      } catch (err) {
        this.drop(sentinel);
        this.warnOnce(`unreachable:${showNode(sentinel)}`, { sentinel: showNode(sentinel), err: err instanceof Error ? err.message : describeRedisError(err) }, 'a Redis Sentinel did not answer; asking the next one');
        continue;
      }
      if (reply === null) {
        this.warnOnce(`unknown:${showNode(sentinel)}`, { sentinel: showNode(sentinel), master: masterName }, 'a Redis Sentinel monitors no master of that name (REDIS_SENTINEL_MASTER); asking the next one');
        continue;
      }
      // The one that answered is asked first next time.
      this.order.splice(this.order.indexOf(sentinel), 1);
      this.order.unshift(sentinel);
      if (this.warned.size > 0) this.opts.logger.info({ sentinel: showNode(sentinel) }, 'a Redis Sentinel answers again');
      this.warned.clear();
      this.learn({ host: reply[0], port: reply[1] });
      return this.known!;
    }
    if (this.known && !this.closed) {
      this.warnOnce('none', { master: showNode(this.known) }, 'no Redis Sentinel answered; keeping the last known master');
      return this.known;
    }
    throw new StoreUnavailableError('no Redis Sentinel answered');
  }

  private learn(node: RedisNode): void {
    const before = this.known;
    if (before && before.host === node.host && before.port === node.port) return;
    this.known = node;
    this.opts.logger.info({ master: showNode(node), ...(before ? { before: showNode(before) } : {}) }, before ? 'Redis Sentinel names a new master' : 'Redis Sentinel names the master');
    if (before) this.emit('master', node);
  }

  /** One question on a connection kept open to the sentinel asked last, opened when needed. */
  private async question(sentinel: RedisNode, args: string[]): Promise<unknown> {
    const { timeoutMs, target } = this.opts;
    if (this.connection?.sentinel !== sentinel || !this.connection.client.isReady) {
      if (this.connection) destroyQuietly(this.connection.client);
      const client = createNodeClient(sentinel, target.sentinelAuth, target.tls, timeoutMs);
      // Failures are reported by the question that meets them.
      client.on('error', () => {});
      this.connection = { sentinel, client };
      await withTimeout(client.connect(), timeoutMs);
    }
    return withTimeout(this.connection.client.sendCommand(args, { timeout: timeoutMs }), timeoutMs);
  }

  private drop(sentinel: RedisNode): void {
    if (this.connection?.sentinel !== sentinel) return;
    destroyQuietly(this.connection.client);
    this.connection = undefined;
  }

  private warnOnce(key: string, fields: Record<string, unknown>, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.opts.logger.warn(fields, message);
  }
}
