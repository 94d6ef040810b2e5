/**
 * One connection to the Redis master, as the store uses it: a node-redis client on `REDIS_URL`
 * (which reconnects to that address by itself), or a `MasterLink` that follows the master the
 * sentinels name. Events: `ready` (connected and usable, subscriptions in place), `error` (a
 * connection attempt or the connection failed), `reconnecting`, `end` (closed).
 *
 * Commands are never queued while it is down: they fail at once. Two `sendCommand` calls made
 * in the same tick go to the same server on the same connection, in order (`WAIT` relies on it).
 */
export interface RedisLink {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  on(event: 'ready' | 'reconnecting' | 'end', listener: () => void): unknown;
  on(event: 'error', listener: (err: unknown) => void): unknown;
  /** Starts connecting; settles once connected (a link that retries for ever may never reject). */
  connect(): Promise<unknown>;
  sendCommand(args: string[], options?: { timeout?: number }): Promise<unknown>;
  /** Subscribes to `channel`; the subscription outlives reconnections. */
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  ping(): Promise<unknown>;
  /** Another connection to the same place (the subscriber beside the command connection). */
  duplicate(): RedisLink;
  /** Closes gracefully, letting pending replies arrive. */
  close(): Promise<unknown>;
  /** Closes at once. */
  destroy(): void;
}
