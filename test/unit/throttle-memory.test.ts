import { afterEach, describe, expect, it } from 'vitest';
import { MemoryFailureLimiter } from '../../src/throttle/memory-limiter.js';
import { describeLimiterContract } from '../fixtures/limiter-contract.js';

describeLimiterContract('memory', () => new MemoryFailureLimiter());

const WINDOW_MS = 900_000;
const START_MS = Date.UTC(2030, 0, 1);

const limiters: MemoryFailureLimiter[] = [];
afterEach(async () => {
  await Promise.all(limiters.splice(0).map((l) => l.close()));
});

/** A memory limiter on a clock the test moves. */
function setup(maxKeys?: number) {
  let now = START_MS;
  const limiter = new MemoryFailureLimiter(() => now, maxKeys);
  limiters.push(limiter);
  return { limiter, now: () => now, advance: (ms: number) => void (now += ms) };
}

describe('the memory failure limiter', () => {
  it('sweeps a key once it has drained, and keeps the others', async () => {
    const { limiter, now, advance } = setup();
    await limiter.acquire([{ key: 'short', limit: 10, windowMs: WINDOW_MS }], now());
    await limiter.acquire([{ key: 'long', limit: 1, windowMs: WINDOW_MS }], now());
    expect(limiter.size()).toBe(2);
    advance(WINDOW_MS / 10);
    limiter.sweep();
    expect(limiter.size()).toBe(1);
    advance(WINDOW_MS);
    limiter.sweep();
    expect(limiter.size()).toBe(0);
  });

  it('tracks at most maxKeys keys however many usernames arrive, forgetting the stalest first', async () => {
    const { limiter, now } = setup(3);
    const rule = (key: string) => ({ key, limit: 1, windowMs: WINDOW_MS });
    for (const key of ['a', 'b', 'c']) await limiter.acquire([rule(key)], now());
    // Updating a key makes it the freshest: `a` is given back and taken again, so `b` is now the stalest.
    await limiter.release([rule('a')], now());
    await limiter.acquire([rule('a')], now());
    await limiter.acquire([rule('d')], now());
    expect(limiter.size()).toBe(3);
    expect(await limiter.acquire([rule('a')], now())).toBeGreaterThan(0);
    // Forgetting only ever gives attempts back; a flood of usernames costs its sender the per-address limit.
    expect(await limiter.acquire([rule('b')], now())).toBe(0);
    for (let i = 0; i < 1000; i++) await limiter.acquire([rule(`user-${i}`)], now());
    expect(limiter.size()).toBe(3);
  });

  it('removes a key entirely when its last slot is given back', async () => {
    const { limiter, now } = setup();
    const rule = { key: 'k', limit: 5, windowMs: WINDOW_MS };
    await limiter.acquire([rule], now());
    await limiter.release([rule], now());
    expect(limiter.size()).toBe(0);
  });
});
