import { afterFailure, afterRelease, waitMs } from './gcra.js';
import type { FailureLimiter, FailureRule } from './limiter.js';

/**
 * At most this many keys; past it the one updated longest ago is forgotten. Each is one
 * number, so the memory is bounded whatever an attacker sends; forgetting a key only ever
 * gives back attempts, and a rotating attacker is held by the per-address limit first.
 */
export const MAX_MEMORY_KEYS = 100_000;

const SWEEP_INTERVAL_MS = 60_000;

/**
 * Failed-login counts in this process's memory, for one signer instance. Each method runs
 * without an `await` between its reads and writes, so JavaScript's single thread makes it
 * atomic. A Map in update order makes eviction O(1); drained keys are swept once a minute.
 */
export class MemoryFailureLimiter implements FailureLimiter {
  /** Key to `tat` (epoch ms), oldest update first. */
  private readonly tats = new Map<string, number>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly nowMs: () => number = Date.now,
    private readonly maxKeys = MAX_MEMORY_KEYS,
  ) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  async acquire(rules: readonly FailureRule[], nowMs: number): Promise<number> {
    const wait = Math.max(0, ...rules.map((rule) => waitMs(this.tats.get(rule.key), rule, nowMs)));
    if (wait > 0) return wait;
    for (const rule of rules) this.set(rule.key, afterFailure(this.tats.get(rule.key), rule, nowMs));
    return 0;
  }

  async release(rules: readonly FailureRule[], nowMs: number): Promise<void> {
    for (const rule of rules) {
      const tat = afterRelease(this.tats.get(rule.key), rule, nowMs);
      if (tat === undefined) this.tats.delete(rule.key);
      else this.tats.set(rule.key, tat);
    }
  }

  async reset(key: string): Promise<void> {
    this.tats.delete(key);
  }

  /** How many keys are tracked, for tests. */
  size(): number {
    return this.tats.size;
  }

  /** Forgets drained keys; exposed so tests need not wait a minute. */
  sweep(): void {
    const now = this.nowMs();
    for (const [key, tat] of this.tats) if (tat <= now) this.tats.delete(key);
  }

  /** Stops the sweep timer. */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  /** Writes a key as the newest, evicting the stalest when full. */
  private set(key: string, tat: number): void {
    this.tats.delete(key);
    if (this.tats.size >= this.maxKeys) this.tats.delete(this.tats.keys().next().value!);
    this.tats.set(key, tat);
  }
}
