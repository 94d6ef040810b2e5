import { StoreUnavailableError } from './store.js';

/**
 * REDIS_WAIT_*: how many replicas must acknowledge each store write before it is answered as
 * done (`WAIT replicas timeoutMs` right after it, on the same connection), and what a write
 * fewer replicas acknowledged becomes.
 *
 * What `WAIT` promises: the replicas that acknowledged hold the write in memory, so Sentinel
 * promoting one of them (it promotes the replica with the most data among those it can reach)
 * keeps it. What it does not: a replica's disk (`appendfsync`), a promotion of a replica that had
 * not acknowledged (all that had are gone, or `replica-priority` prefers another), or the master
 * rolling the write back (it cannot: the write stays on the master whatever the answer).
 */
export interface Replication {
  replicas: number;
  timeoutMs: number;
  /** `fail`: the write is refused (`UnreplicatedWriteError`); `accept`: answered as done, reported to `onUnmet`. */
  unmet: 'fail' | 'accept';
}

/**
 * A write fewer than `Replication.replicas` replicas acknowledged in time, under `unmet: 'fail'`.
 * It *was* applied on the master (`reply` is the master's answer): the caller undoes what it can
 * (a new session, a rotation, a nonce) or keeps it (a revocation only refuses more), and answers
 * 503 either way, so nothing it answered as done depends on a write a failover could lose.
 */
export class UnreplicatedWriteError extends StoreUnavailableError {
  override name = 'UnreplicatedWriteError';

  constructor(
    readonly reply: unknown,
    readonly acknowledged: number,
    replication: Replication,
  ) {
    super(`only ${acknowledged} of ${replication.replicas} Redis replica(s) acknowledged the write within ${replication.timeoutMs} ms`);
  }
}
