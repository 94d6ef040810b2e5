import type { RedisLink } from './redis-link.js';
import type { Replication } from './replication.js';
import { StoreUnavailableError } from './store.js';

/**
 * The `WAIT`s behind the store's writes on one connection, at most one on the server at a time.
 *
 * `WAIT` blocks the connection that sends it: Redis runs nothing else from that client until the
 * replicas acknowledge or the timeout passes. One per write would, with the replicas gone, hold
 * the k-th write (and every read queued behind it) for k times REDIS_WAIT_MS. Instead a write
 * sent while a `WAIT` is out waits for it to end and then for the next one, which covers every
 * write sent in between (a `WAIT` counts the replicas that have everything its connection wrote
 * before it): a write waits at most two REDIS_WAIT_MS, and the connection is blocked at most one
 * at a time.
 *
 * A `WAIT` only vouches for writes on its own connection. A write whose connection dropped (or
 * was replaced: a failover) before its `WAIT` went out is not acknowledged, whatever a `WAIT` on
 * the new connection would say.
 */
export class ReplicaWaits {
  /** Bumped on every change of connection: a `WAIT` never vouches across one. */
  private generation = 0;
  private inFlight: Promise<number> | undefined;
  private next: { generation: number; promise: Promise<number>; resolve: (n: number) => void; reject: (err: unknown) => void } | undefined;

  constructor(
    private readonly link: RedisLink,
    private readonly replication: Replication,
    /** Bounds the `WAIT` command on top of its own timeout. */
    private readonly timeoutMs: number,
  ) {
    const bump = () => {
      this.generation++;
    };
    for (const event of ['ready', 'reconnecting', 'end'] as const) link.on(event, bump);
    link.on('error', bump);
  }

  /** The longest a write may wait here: the `WAIT` out now, then its own. */
  get maxMs(): number {
    return 2 * this.replication.timeoutMs;
  }

  /**
   * To call in the very tick a write was sent: resolves with how many replicas acknowledged a
   * `WAIT` sent after it on the same connection.
   */
  after(): Promise<number> {
    if (!this.inFlight) return this.send();
    if (this.next && this.next.generation !== this.generation) this.abandonNext();
    if (!this.next) {
      let resolve!: (n: number) => void;
      let reject!: (err: unknown) => void;
      const promise = new Promise<number>((res, rej) => ([resolve, reject] = [res, rej]));
      promise.catch(() => {});
      this.next = { generation: this.generation, promise, resolve, reject };
    }
    return this.next.promise;
  }

  private send(): Promise<number> {
    const { replicas, timeoutMs } = this.replication;
    const wait = this.link.sendCommand(['WAIT', String(replicas), String(timeoutMs)], { timeout: timeoutMs + this.timeoutMs }).then(Number);
    this.inFlight = wait;
    const done = () => {
      if (this.inFlight === wait) this.inFlight = undefined;
      this.flush();
    };
    wait.then(done, done);
    return wait;
  }

  /** The `WAIT` out ended: the next one goes, for the writes sent meanwhile, if still on their connection. */
  private flush(): void {
    const next = this.next;
    if (!next || this.inFlight) return;
    this.next = undefined;
    if (next.generation !== this.generation) return next.reject(lostConnection());
    this.send().then(next.resolve, next.reject);
  }

  private abandonNext(): void {
    this.next?.reject(lostConnection());
    this.next = undefined;
  }
}

const lostConnection = () => new StoreUnavailableError('the connection to Redis changed before the replicas acknowledged the write');
