import { describe, expect, it } from 'vitest';
import { createRestartPolicy } from '../../src/server/cluster-restarts.js';

/** A policy on a clock the test moves; times in ms. */
function policyAt(start = 1_000_000) {
  let now = start;
  const policy = createRestartPolicy({ earlyMs: 5_000, maxEarly: 3, windowMs: 60_000, baseDelayMs: 250, now: () => now });
  return { policy, advance: (ms: number) => (now += ms), now: () => now };
}

describe('the cluster restart policy', () => {
  it('replaces at once a worker that had been listening for a while', () => {
    const { policy, now } = policyAt();
    for (let i = 0; i < 10; i++) expect(policy.onExit(now() - 60_000)).toEqual({ restart: true, delayMs: 0 });
  });

  it.each([
    ['never listened', undefined],
    ['listened 1 s ago', 1_000],
  ])('backs off, doubling, for a worker that died early (%s), and gives up at the third', (_case, ago) => {
    const { policy, now } = policyAt();
    const listenedAt = () => (ago === undefined ? undefined : now() - ago);
    expect(policy.onExit(listenedAt())).toEqual({ restart: true, delayMs: 250 });
    expect(policy.onExit(listenedAt())).toEqual({ restart: true, delayMs: 500 });
    expect(policy.onExit(listenedAt())).toMatchObject({ restart: false, reason: expect.stringContaining('3 workers died within 5 s') });
  });

  it('forgets early deaths older than the window', () => {
    const { policy, advance } = policyAt();
    expect(policy.onExit(undefined)).toMatchObject({ restart: true });
    expect(policy.onExit(undefined)).toMatchObject({ restart: true });
    advance(61_000);
    expect(policy.onExit(undefined)).toEqual({ restart: true, delayMs: 250 });
  });

  it('does not count a late death as early', () => {
    const { policy, now } = policyAt();
    expect(policy.onExit(undefined)).toMatchObject({ restart: true });
    expect(policy.onExit(now() - 10_000)).toEqual({ restart: true, delayMs: 0 });
    expect(policy.onExit(undefined)).toEqual({ restart: true, delayMs: 500 });
  });
});
