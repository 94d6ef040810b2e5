/**
 * One limit on failed logins: at most `limit` failures under `key` in any `windowMs`, counted
 * with GCRA (see `gcra.ts`): `limit` failures may come at once, and after that one more
 * every `windowMs / limit`.
 */
export interface FailureRule {
  /** Opaque and bounded (a hash): never a raw username. */
  key: string;
  limit: number;
  windowMs: number;
}

/**
 * Where failed-login counts live: in memory for one signer, in Redis for several. A login
 * takes its failure slot *before* the upstream is asked and gives it back when the attempt
 * turns out not to be a failure, so parallel attempts cannot all slip through one check.
 * Each method is atomic across callers; a store that cannot answer rejects with
 * `StoreUnavailableError`, and the login fails closed.
 */
export interface FailureLimiter {
  /**
   * Takes one failure slot under every rule, or under none: resolves 0 when taken, else the
   * milliseconds until the most limited rule would allow one more (nothing is written then).
   */
  acquire(rules: readonly FailureRule[], nowMs: number): Promise<number>;
  /** Gives back one slot under each rule: the attempt was not a failure after all. */
  release(rules: readonly FailureRule[], nowMs: number): Promise<void>;
  /** Forgets every failure under `key` (a successful login). */
  reset(key: string): Promise<void>;
}
