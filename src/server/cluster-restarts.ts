/** What to do about a worker that exited while the primary was not stopping. */
export type RestartDecision = { restart: true; delayMs: number } | { restart: false; reason: string };

export interface RestartPolicyOptions {
  /** A worker that dies before listening, or within this long of listening, died early: its start is suspect. */
  earlyMs?: number;
  /** This many early deaths within `windowMs` and the primary gives up. */
  maxEarly?: number;
  windowMs?: number;
  /** The wait before replacing a worker after the first early death; it doubles with each one in the window. */
  baseDelayMs?: number;
  now?: () => number;
}

export interface RestartPolicy {
  /** Decides for a worker that exited; `listenedAt` is when it started listening (undefined: it never did). */
  onExit(listenedAt: number | undefined): RestartDecision;
}

/**
 * Replace a worker that dies, at once when it had been serving a while; back off when workers die
 * early, and give up when they keep doing so: a worker that cannot start (a policy file broken
 * since, a full disk) would otherwise be forked again and again, each time logging the same error.
 */
export function createRestartPolicy(opts: RestartPolicyOptions = {}): RestartPolicy {
  const earlyMs = opts.earlyMs ?? 5_000;
  const maxEarly = opts.maxEarly ?? 3;
  const windowMs = opts.windowMs ?? 60_000;
  const baseDelayMs = opts.baseDelayMs ?? 250;
  const now = opts.now ?? Date.now;
  let early: number[] = [];
  return {
    onExit(listenedAt) {
      const at = now();
      if (listenedAt !== undefined && at - listenedAt >= earlyMs) return { restart: true, delayMs: 0 };
      early = [...early.filter((t) => at - t < windowMs), at];
      if (early.length >= maxEarly) {
        return { restart: false, reason: `${early.length} workers died within ${earlyMs / 1000} s of starting in the last ${windowMs / 1000} s` };
      }
      return { restart: true, delayMs: baseDelayMs * 2 ** (early.length - 1) };
    },
  };
}
