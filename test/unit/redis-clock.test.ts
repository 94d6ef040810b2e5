import { describe, expect, it } from 'vitest';
import { RedisClock } from '../../src/store/redis-clock.js';
import { guardScript } from '../../src/store/script-guard.js';
import { StoreUnavailableError } from '../../src/store/store.js';

/** Redis's clock, unix ms, as TIME answers it: seconds and microseconds, as strings. */
const time = (ms: number) => [String(Math.floor(ms / 1000)), String(Math.round((ms % 1000) * 1000))];

/**
 * A local monotonic clock and a Redis whose clock reads `redisAt(local)`; each TIME takes
 * `rtt` local ms, answered at the midpoint.
 */
function world(redisAt: (localMs: number) => number) {
  let local = 5_000;
  let rtt = 2;
  const clock = new RedisClock(
    async () => {
      local += rtt / 2;
      const answer = time(redisAt(local));
      local += rtt / 2;
      return answer;
    },
    () => local,
  );
  return {
    clock,
    at: (ms: number) => (local = ms),
    roundTrip: (ms: number) => (rtt = ms),
    get local() {
      return local;
    },
  };
}

const REDIS_EPOCH_MS = 1_900_000_000_000;

describe("where Redis's clock stands", () => {
  it("puts a deadline on Redis's clock, whatever the local clock reads: budget, less the round trip and a safety margin", async () => {
    // The local monotonic clock starts near 0; Redis's is a unix time: no wall clock is involved.
    const w = world((local) => REDIS_EPOCH_MS + local);
    await w.clock.sample();
    const started = w.local;
    // 1000 ms budget - 2 ms round trip - 50 ms margin.
    expect(await w.clock.deadline(started, 1_000)).toBe(REDIS_EPOCH_MS + started + 948);
    // The margin is a tenth of a short budget.
    expect(await w.clock.deadline(started, 300)).toBe(REDIS_EPOCH_MS + started + 300 - 2 - 30);
  });

  it('trusts the sample with the shortest round trip, whose midpoint is the most certain', async () => {
    const w = world((local) => REDIS_EPOCH_MS + local);
    w.roundTrip(10);
    await w.clock.sample();
    w.roundTrip(400); // taken while Redis was slow
    await w.clock.sample();
    expect(await w.clock.deadline(w.local, 1_000)).toBe(REDIS_EPOCH_MS + w.local + 1_000 - 10 - 50);
  });

  it("starts over when Redis's clock is stepped, rather than trust a faster sample from before", async () => {
    let step = 0;
    const w = world((local) => REDIS_EPOCH_MS + local + step);
    await w.clock.sample(); // 2 ms round trip, the best there will be
    step = 10_000;
    w.roundTrip(20);
    await w.clock.sample();
    expect(await w.clock.deadline(w.local, 1_000)).toBe(REDIS_EPOCH_MS + 10_000 + w.local + 1_000 - 20 - 50);
  });

  it('measures first when it has no sample, and fails as an outage when Redis will not say', async () => {
    const w = world((local) => REDIS_EPOCH_MS + local);
    expect(await w.clock.deadline(w.local, 1_000)).toBeGreaterThan(REDIS_EPOCH_MS);
    const silent = new RedisClock(() => Promise.reject(new Error('ECONNREFUSED')));
    await expect(silent.deadline(0, 1_000)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('forgets its samples on reset (another server after a failover), and drops one in flight across it', async () => {
    let answer: (reply: unknown) => void = () => {};
    let calls = 0;
    const clock = new RedisClock(
      () => {
        calls++;
        return new Promise((resolve) => (answer = resolve));
      },
      () => 0,
    );
    const first = clock.sample();
    expect(clock.sample()).toBe(first); // one at a time
    clock.reset();
    answer(time(REDIS_EPOCH_MS));
    await first;
    const deadline = clock.deadline(0, 1_000);
    await Promise.resolve();
    expect(calls).toBe(2); // the sample from before the reset did not count
    answer(time(REDIS_EPOCH_MS + 60_000));
    expect(await deadline).toBe(REDIS_EPOCH_MS + 60_000 + 1_000 - 50);
  });

  it('ignores an answer that is not a TIME reply', async () => {
    const clock = new RedisClock(
      () => Promise.resolve('OK'),
      () => 0,
    );
    await expect(clock.deadline(0, 1_000)).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});

describe('the deadline guard', () => {
  it('goes first, and after a #! flags line, which Redis requires first', () => {
    const body = "return redis.call('GET', KEYS[1])";
    expect(guardScript(body).endsWith(body)).toBe(true);
    expect(guardScript(body)).toMatch(/^if redis\.replicate_commands/);
    const flagged = guardScript(`#!lua flags=no-writes\n${body}`);
    expect(flagged.startsWith('#!lua flags=no-writes\nif redis.replicate_commands')).toBe(true);
  });
});
