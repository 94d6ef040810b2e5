import type { Logger } from '../log/logger.js';
import { addressKey, userKey } from './keys.js';
import type { FailureLimiter, FailureRule } from './limiter.js';
import { logLoginEvent } from './login-log.js';

/** One sign-in attempt as the throttle sees it. */
export interface LoginAttempt {
  /** The username as sent. */
  user: string;
  /** The client address (`clientAddress`). */
  address: string;
  requestId?: string | undefined;
}

/** Whether an attempt may go to the app, or how long the client must wait. */
export type Admission = { allowed: true } | { allowed: false; retryAfterS: number };

/**
 * The failed-login throttle around the upstream call: `check` first, then exactly one of
 * `failed` (the app said 401/403), `succeeded`, or `inconclusive` (anything else: its 429,
 * 5xx, a timeout). `check` already counts the attempt as a failure, so parallel attempts
 * cannot all pass one check; the other three settle it.
 */
export interface LoginThrottle {
  /** Admits the attempt (holding its failure slot), or refuses it with the whole seconds to wait, logging `login_throttled`. */
  check(attempt: LoginAttempt): Promise<Admission>;
  /** The credentials were wrong: the slot stays taken; logs `login_failed`. */
  failed(attempt: LoginAttempt): Promise<void>;
  /** Clears the username's count at this address and gives the address its slot back. */
  succeeded(attempt: LoginAttempt): Promise<void>;
  /** Not a failure: gives both slots back. */
  inconclusive(attempt: LoginAttempt): Promise<void>;
}

export interface LoginThrottleOptions {
  limiter: FailureLimiter;
  /** Keys the hashes in limiter keys (see keys.ts); the same on every instance sharing a store. */
  hashKey: Uint8Array;
  logger: Logger;
  windowS: number;
  maxPerUser: number;
  maxPerAddress: number;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

/** Builds the throttle from the limits: `maxPerUser` per username and address, `maxPerAddress` per address, per `windowS`. */
export function createLoginThrottle(opts: LoginThrottleOptions): LoginThrottle {
  const now = opts.now ?? Date.now;
  const windowMs = opts.windowS * 1000;
  const userRule = (a: LoginAttempt): FailureRule => ({ key: userKey(opts.hashKey, a.user, a.address), limit: opts.maxPerUser, windowMs });
  const addressRule = (a: LoginAttempt): FailureRule => ({ key: addressKey(opts.hashKey, a.address), limit: opts.maxPerAddress, windowMs });
  return {
    async check(attempt) {
      const waitMs = await opts.limiter.acquire([userRule(attempt), addressRule(attempt)], now());
      if (waitMs === 0) return { allowed: true };
      const retryAfterS = Math.max(1, Math.ceil(waitMs / 1000));
      logLoginEvent(opts.logger, 'login_throttled', { client: attempt.address, user: attempt.user, requestId: attempt.requestId, retryAfterS });
      return { allowed: false, retryAfterS };
    },
    async failed(attempt) {
      logLoginEvent(opts.logger, 'login_failed', { client: attempt.address, user: attempt.user, requestId: attempt.requestId });
    },
    async succeeded(attempt) {
      await opts.limiter.reset(userRule(attempt).key);
      await opts.limiter.release([addressRule(attempt)], now());
    },
    async inconclusive(attempt) {
      await opts.limiter.release([userRule(attempt), addressRule(attempt)], now());
    },
  };
}
