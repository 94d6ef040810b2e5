import { z } from 'zod';
import type { Logger } from '../log/logger.js';
import { describeRedisError, withTimeout } from './redis-errors.js';
import type { RedisCommands } from './redis-connection.js';
import type { RedisLink } from './redis-link.js';
import { KEYS, parseMessage, parseRevocation } from './redis-keys.js';
import type { RevocationMirror } from './revocation-mirror.js';

const SWEEP_INTERVAL_MS = 60_000;
const SCAN_COUNT = '1000';

const zscanReply = z.tuple([z.string(), z.array(z.string())]);

export interface MirrorSyncOptions {
  subscriber: RedisLink;
  commands: RedisCommands;
  mirror: RevocationMirror;
  logger: Logger;
  timeoutMs: number;
  /** How often the subscriber is pinged, so a Redis that hangs is noticed. */
  heartbeatMs: number;
  nowS: () => number;
}

/**
 * Keeps a `RevocationMirror` equal to Redis's revocation set: subscribes to the channel first,
 * then loads the set, so nothing published in between is lost. It is "in sync" only from the
 * end of a load until the subscriber is lost: a connection error, a reconnect, or a heartbeat
 * PING that goes unanswered for `timeoutMs`. Every way back goes through a fresh load (the
 * subscriber's reconnect, or the next heartbeat that gets its answer).
 */
export class MirrorSync {
  private synced = false;
  private everSynced = false;
  /** When (performance.now()) it last fell out of sync. */
  private lostAt = 0;
  /** Bumped whenever the subscriber may have missed a message: a load that spans it does not count. */
  private epoch = 0;
  private subscribed = false;
  private resyncing = false;
  private pendingPing: Promise<unknown> | undefined;
  private closed = false;
  private waiters: ((synced: boolean) => void)[] = [];
  private readonly timers: NodeJS.Timeout[];
  private readonly channel: string;

  constructor(private readonly opts: MirrorSyncOptions) {
    this.channel = opts.commands.prefix + KEYS.channel;
    const { subscriber } = opts;
    subscriber.on('ready', () => void this.resync());
    subscriber.on('error', (err: unknown) => this.lost(`subscriber: ${describeRedisError(err)}`));
    subscriber.on('reconnecting', () => this.lost('subscriber reconnecting'));
    subscriber.on('end', () => this.lost('subscriber closed'));
    this.timers = [setInterval(() => this.heartbeat(), opts.heartbeatMs), setInterval(() => opts.mirror.sweep(opts.nowS()), SWEEP_INTERVAL_MS)];
    for (const timer of this.timers) timer.unref();
  }

  /** Whether the mirror holds every revocation Redis holds, right now. */
  get inSync(): boolean {
    return this.synced;
  }

  /** Whether the mirror has been loaded at least once: before, it knows of no revocation at all. */
  get loadedOnce(): boolean {
    return this.everSynced;
  }

  /** How long it has been out of sync, in ms: 0 while in sync, Infinity before the first load. */
  staleForMs(): number {
    if (this.synced) return 0;
    return this.everSynced ? performance.now() - this.lostAt : Infinity;
  }

  /** Resolves true once in sync, or false after `ms` (or at close). */
  waitUntilSynced(ms: number): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(false), ms);
      const done = (synced: boolean) => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(synced);
      };
      this.waiters.push(done);
    });
  }

  /** Loads now if out of sync (the command connection just came back, say) instead of at the next heartbeat. */
  retry(): void {
    if (!this.synced && this.opts.subscriber.isReady) void this.resync();
  }

  close(): void {
    this.closed = true;
    this.synced = false;
    for (const timer of this.timers) clearInterval(timer);
    for (const waiter of [...this.waiters]) waiter(false);
  }

  private lost(reason: string): void {
    this.epoch++;
    if (!this.synced) return;
    this.synced = false;
    this.lostAt = performance.now();
    if (!this.closed) this.opts.logger.warn({ reason }, 'revocation list out of sync with Redis; reloading once Redis answers');
  }

  /** One PING at a time on the subscriber: an unanswered one marks the mirror stale, an answer while stale reloads it. */
  private heartbeat(): void {
    if (this.closed || this.pendingPing) return;
    const ping = this.opts.subscriber.ping();
    this.pendingPing = ping;
    const clear = () => {
      if (this.pendingPing === ping) this.pendingPing = undefined;
    };
    ping.then(clear, clear);
    withTimeout(ping, this.opts.timeoutMs).then(
      () => {
        if (!this.synced) void this.resync();
      },
      (err: unknown) => this.lost(`heartbeat: ${err instanceof Error ? err.message : describeRedisError(err)}`),
    );
  }

  /** Subscribes (once; node-redis resubscribes on every reconnect by itself), then loads the set. */
  private async resync(): Promise<void> {
    if (this.closed || this.resyncing) return;
    this.resyncing = true;
    const epoch = this.epoch;
    try {
      if (!this.subscribed) {
        await withTimeout(
          this.opts.subscriber.subscribe(this.channel, (message) => this.onMessage(message)),
          this.opts.timeoutMs,
        );
        this.subscribed = true;
      }
      await this.load();
      if (epoch !== this.epoch || this.closed || !this.opts.subscriber.isReady) return;
      this.synced = true;
      const entries = this.opts.mirror.size;
      if (this.everSynced) this.opts.logger.info({ entries }, 'revocation list back in sync with Redis');
      else this.opts.logger.info({ entries }, 'revocation list loaded from Redis');
      this.everSynced = true;
      for (const waiter of [...this.waiters]) waiter(true);
    } catch (err) {
      this.opts.logger.debug({ err: err instanceof Error ? err.message : describeRedisError(err) }, 'could not load the revocation list yet');
    } finally {
      this.resyncing = false;
    }
  }

  private onMessage(message: string): void {
    const revocation = parseMessage(message);
    if (revocation) this.opts.mirror.apply(revocation);
  }

  /** ZSCAN: every entry present for the whole scan is seen; newer ones arrive on the channel. */
  private async load(): Promise<void> {
    const { commands, mirror } = this.opts;
    const key = commands.prefix + KEYS.revoked;
    let cursor = '0';
    do {
      const [next, flat] = zscanReply.parse(await commands.send(['ZSCAN', key, cursor, 'COUNT', SCAN_COUNT]));
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const revocation = parseRevocation(flat[i]!, Number(flat[i + 1]));
        if (revocation) mirror.apply(revocation);
      }
      cursor = next;
    } while (cursor !== '0');
    mirror.sweep(this.opts.nowS());
  }
}
