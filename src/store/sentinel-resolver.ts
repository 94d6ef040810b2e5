import { EventEmitter } from 'node:events';
import type { Logger } from '../log/logger.js';
import { createNodeClient, destroyQuietly, type RedisClient } from './redis-connection.js';
import { describeRedisError, withTimeout } from './redis-errors.js';
import { showNode, type RedisNode, type SentinelTarget } from './redis-target.js';
import { StoreUnavailableError } from './store.js';

export interface SentinelResolverOptions {
  target: SentinelTarget;
  /** Bounds each connection attempt and each question to a sentinel (REDIS_TIMEOUT_MS). */
  timeoutMs: number;
  /** How often `watch()` asks again. */
  checkMs: number;
  logger: Logger;
  /** How a question reaches a sentinel (tests give their own); by default, a connection kept open to each. */
  question?: (sentinel: RedisNode, args: string[]) => Promise<unknown>;
}

/** One sentinel's view of the master. */
interface View {
  node: RedisNode;
  /** Bumped by every failover: the sentinel with the highest one knows the latest. */
  epoch: number;
  /** The sentinel itself holds the master for down (a failover may be under way). */
  down: boolean;
}

/**
 * Asks the sentinels where the master is: all of them at once (`SENTINEL MASTER`), and as soon
 * as a majority has answered (or all have, or the timeout passed) the view with the highest
 * config epoch wins, so a sentinel that has not heard of the last failover yet (or is cut off
 * from the others) is outvoted, and an answer older than one already seen is never followed back.
 * Its answer is a claim that whoever connects checks (`ROLE`). When no sentinel answers (all of
 * them down or cut off), the last known master is the answer: a master that is still there stays
 * usable without them.
 *
 * While watched, it asks every `checkMs` and emits `master` (the new node) when the answer
 * changes: a master the sentinels replaced without its connections dropping (cut off from them,
 * or hung) is left at once instead of at the next failed command.
 */
export class SentinelResolver extends EventEmitter {
  private readonly clients = new Map<string, RedisClient>();
  private pending: Promise<RedisNode> | undefined;
  private known: { node: RedisNode; epoch: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** What was warned about since every sentinel last answered: an outage is logged once, not per question. */
  private readonly warned = new Set<string>();

  constructor(private readonly opts: SentinelResolverOptions) {
    super();
  }

  /** The master's address, as the sentinels say; coalesces concurrent questions. */
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
    for (const client of this.clients.values()) destroyQuietly(client);
    this.clients.clear();
  }

  private async ask(): Promise<RedisNode> {
    const views = await this.views();
    const usable = views.filter((v) => !v.down);
    const best = (usable.length > 0 ? usable : views).reduce<View | undefined>((a, b) => (!a || b.epoch > a.epoch ? b : a), undefined);
    if (best && (!this.known || best.epoch >= this.known.epoch)) {
      this.learn(best);
      return best.node;
    }
    if (this.known) {
      if (!best) this.warnOnce('none', { master: showNode(this.known.node) }, 'no Redis Sentinel answered; keeping the last known master');
      return this.known.node;
    }
    throw new StoreUnavailableError('no Redis Sentinel answered');
  }

  /** The views of the sentinels that answer, once a majority has (or every one has, or the time is up). */
  private views(): Promise<View[]> {
    const { sentinels, masterName } = this.opts.target;
    const majority = Math.floor(sentinels.length / 2) + 1;
    return new Promise((resolve) => {
      const views: View[] = [];
      let settled = 0;
      const finish = () => {
        clearTimeout(timer);
        resolve([...views]);
      };
      const timer = setTimeout(finish, this.opts.timeoutMs + 50);
      const settle = () => {
        settled++;
        if (views.length >= majority || settled === sentinels.length) finish();
      };
      const unknown = (sentinel: RedisNode) =>
        this.warnOnce(
          `unknown:${showNode(sentinel)}`,
          { sentinel: showNode(sentinel), master: masterName },
          'a Redis Sentinel monitors no master of that name (REDIS_SENTINEL_MASTER)',
        );
      for (const sentinel of sentinels) {
        (this.opts.question ?? ((n: RedisNode, a: string[]) => this.question(n, a)))(sentinel, ['SENTINEL', 'MASTER', masterName]).then(
          (reply) => {
            const view = readView(reply);
            if (view) {
              for (const key of [`unreachable:${showNode(sentinel)}`, 'none']) this.warned.delete(key);
              views.push(view);
            } else unknown(sentinel);
            settle();
          },
          (err: unknown) => {
            this.drop(sentinel);
            if (/no such master/i.test(err instanceof Error ? err.message : '')) unknown(sentinel);
            else
              this.warnOnce(
                `unreachable:${showNode(sentinel)}`,
                { sentinel: showNode(sentinel), err: describeRedisError(err) },
                'a Redis Sentinel did not answer',
              );
            settle();
          },
        );
      }
    });
  }

  private learn(view: View): void {
    const before = this.known;
    this.known = { node: view.node, epoch: view.epoch };
    if (before && before.node.host === view.node.host && before.node.port === view.node.port) return;
    this.opts.logger.info(
      { master: showNode(view.node), epoch: view.epoch, ...(before ? { before: showNode(before.node) } : {}) },
      before ? 'Redis Sentinel names a new master' : 'Redis Sentinel names the master',
    );
    if (before) this.emit('master', view.node);
  }

  /** One question on a connection kept open to that sentinel, opened when needed. */
  private async question(sentinel: RedisNode, args: string[]): Promise<unknown> {
    const { timeoutMs, target } = this.opts;
    const key = showNode(sentinel);
    let client = this.clients.get(key);
    if (!client?.isReady) {
      destroyQuietly(client);
      client = createNodeClient(sentinel, target.sentinelAuth, target.tls, timeoutMs);
      // Failures are reported by the question that meets them.
      client.on('error', () => {});
      this.clients.set(key, client);
      await withTimeout(client.connect(), timeoutMs);
    }
    return withTimeout(client.sendCommand(args, { timeout: timeoutMs }), timeoutMs);
  }

  private drop(sentinel: RedisNode): void {
    const key = showNode(sentinel);
    destroyQuietly(this.clients.get(key));
    this.clients.delete(key);
  }

  private warnOnce(key: string, fields: Record<string, unknown>, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.opts.logger.warn(fields, message);
  }
}

/** A field of a Sentinel reply: a map (RESP3, node-redis's default) or a flat list of names and values (RESP2). */
export function sentinelField(reply: unknown, name: string): string | undefined {
  if (Array.isArray(reply)) {
    const i = reply.indexOf(name);
    return i >= 0 && i % 2 === 0 ? String(reply[i + 1]) : undefined;
  }
  if (reply instanceof Map) return reply.has(name) ? String(reply.get(name)) : undefined;
  if (typeof reply === 'object' && reply !== null && name in reply) return String((reply as Record<string, unknown>)[name]);
  return undefined;
}

/** `SENTINEL MASTER`'s answer, read with `sentinelField`. */
function readView(reply: unknown): View | undefined {
  const get = (name: string) => sentinelField(reply, name);
  const [host, port, epoch, flags] = [get('ip'), Number(get('port')), Number(get('config-epoch') ?? 0), get('flags') ?? ''];
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { node: { host, port }, epoch: Number.isFinite(epoch) ? epoch : 0, down: /(?:^|,)[so]_down(?:,|$)/.test(flags) };
}
