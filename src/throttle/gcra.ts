import type { FailureRule } from './limiter.js';

/**
 * GCRA (the generic cell rate algorithm) over one number per key: its theoretical arrival
 * time `tat`, in epoch milliseconds. Each failure moves it `interval = windowMs / limit`
 * later (from now at the earliest); a failure is allowed while `tat - now <= windowMs - interval`,
 * so `limit` may come at once and then one every `interval`, never more than `limit` per
 * window on average. A key is worth nothing once `tat <= now`, which is its TTL. Compared
 * with a sliding log it holds one number whatever the limit, and the wait is exact.
 * The Redis scripts (`redis-limiter.ts`) do the same arithmetic in Lua.
 */

/** Floating-point slack, so `limit` intervals that add up to a hair over the window still fit. */
export const SLACK_MS = 0.001;

/** The spacing of failures under a rule once its burst is spent. */
export function intervalMs(rule: FailureRule): number {
  return rule.windowMs / rule.limit;
}

/** Milliseconds (whole, rounded up) until one more failure is allowed; 0 when it is now. */
export function waitMs(tat: number | undefined, rule: FailureRule, nowMs: number): number {
  if (tat === undefined) return 0;
  const wait = tat - nowMs - (rule.windowMs - intervalMs(rule));
  return wait > SLACK_MS ? Math.ceil(wait) : 0;
}

/** The key's `tat` after one more failure. */
export function afterFailure(tat: number | undefined, rule: FailureRule, nowMs: number): number {
  return Math.max(tat ?? nowMs, nowMs) + intervalMs(rule);
}

/** The key's `tat` after giving one failure back; `undefined` when nothing is left. */
export function afterRelease(tat: number | undefined, rule: FailureRule, nowMs: number): number | undefined {
  if (tat === undefined) return undefined;
  const back = tat - intervalMs(rule);
  return back > nowMs ? back : undefined;
}
