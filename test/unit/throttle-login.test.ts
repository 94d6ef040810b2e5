import { afterEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/store/store.js';
import { addressBucket, addressKey, normalizeUsername, userKey } from '../../src/throttle/keys.js';
import type { FailureLimiter } from '../../src/throttle/limiter.js';
import { sanitizeUsername } from '../../src/throttle/login-log.js';
import { createLoginThrottle, type LoginAttempt } from '../../src/throttle/login-throttle.js';
import { MemoryFailureLimiter } from '../../src/throttle/memory-limiter.js';
import { capturingLogger } from '../fixtures/signer.js';

const HASH_KEY = new Uint8Array(32).fill(7);
const START_MS = Date.UTC(2030, 0, 1);
const limiters: MemoryFailureLimiter[] = [];
afterEach(async () => {
  await Promise.all(limiters.splice(0).map((l) => l.close()));
});

/** A throttle with the default limits on a memory limiter and a clock the test moves. */
function setup(limits: { maxPerUser?: number; maxPerAddress?: number } = {}) {
  let now = START_MS;
  const limiter = new MemoryFailureLimiter(() => now);
  limiters.push(limiter);
  const { logger, lines } = capturingLogger();
  const throttle = createLoginThrottle({ limiter, logger, hashKey: HASH_KEY, windowS: 900, maxPerUser: 5, maxPerAddress: 50, ...limits, now: () => now });
  const events = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => typeof l.event === 'string');
  return { throttle, limiter, events, advance: (ms: number) => void (now += ms) };
}

const ALICE: LoginAttempt = { user: 'alice', address: '203.0.113.7', requestId: 'req-1' };

/** `n` attempts that the app refuses. */
async function fail(throttle: ReturnType<typeof setup>['throttle'], attempt: LoginAttempt, n: number) {
  for (let i = 0; i < n; i++) {
    expect(await throttle.check(attempt)).toEqual({ allowed: true });
    await throttle.failed(attempt);
  }
}

describe('the login throttle', () => {
  it('refuses the sixth attempt after five failures, with the seconds until one more is allowed', async () => {
    const { throttle, advance } = setup();
    await fail(throttle, ALICE, 5);
    expect(await throttle.check(ALICE)).toEqual({ allowed: false, retryAfterS: 180 });
    advance(179_500);
    expect(await throttle.check(ALICE)).toEqual({ allowed: false, retryAfterS: 1 });
    advance(500);
    expect(await throttle.check(ALICE)).toEqual({ allowed: true });
  });

  it('counts a username at one address, not everywhere: another address is not held back', async () => {
    const { throttle } = setup();
    await fail(throttle, ALICE, 5);
    expect(await throttle.check({ ...ALICE, address: '198.51.100.1' })).toEqual({ allowed: true });
  });

  it('counts every username at one address against the per-address limit', async () => {
    const { throttle } = setup({ maxPerAddress: 10 });
    for (let i = 0; i < 10; i++) await fail(throttle, { ...ALICE, user: `user-${i}` }, 1);
    expect(await throttle.check({ ...ALICE, user: 'someone-new' })).toEqual({ allowed: false, retryAfterS: 90 });
    expect(await throttle.check({ ...ALICE, user: 'someone-new', address: '198.51.100.1' })).toEqual({ allowed: true });
  });

  it('clears the username count on success, and gives the address its attempt back', async () => {
    const { throttle } = setup({ maxPerAddress: 6 });
    await fail(throttle, ALICE, 4);
    expect(await throttle.check(ALICE)).toEqual({ allowed: true });
    await throttle.succeeded(ALICE);
    // Five more for alice would pass the user limit, but the address has 4 of 6 used.
    await fail(throttle, ALICE, 2);
    expect(await throttle.check(ALICE)).toEqual({ allowed: false, retryAfterS: 150 });
  });

  it('gives both attempts back when the app neither accepted nor refused', async () => {
    const { throttle } = setup();
    for (let i = 0; i < 20; i++) {
      expect(await throttle.check(ALICE)).toEqual({ allowed: true });
      await throttle.inconclusive(ALICE);
    }
    await fail(throttle, ALICE, 5);
    expect((await throttle.check(ALICE)).allowed).toBe(false);
  });

  it('holds parallel attempts to the limit: each check takes its slot before the app is asked', async () => {
    const { throttle } = setup();
    const admissions = await Promise.all(Array.from({ length: 20 }, () => throttle.check(ALICE)));
    expect(admissions.filter((a) => a.allowed)).toHaveLength(5);
  });

  it('shares one counter between spellings of a name', async () => {
    const { throttle } = setup();
    await fail(throttle, { ...ALICE, user: 'Alice' }, 2);
    await fail(throttle, { ...ALICE, user: ' ALICE ' }, 2);
    await fail(throttle, { ...ALICE, user: 'ａｌｉｃｅ' }, 1);
    expect((await throttle.check(ALICE)).allowed).toBe(false);
  });

  it('logs one warn line per failure and per refusal, with the address before the username and no password', async () => {
    const { throttle, events } = setup({ maxPerUser: 1 });
    await fail(throttle, ALICE, 1);
    await throttle.check(ALICE);
    expect(events()).toEqual([
      {
        level: 40,
        time: expect.any(Number),
        service: 'tokengate',
        event: 'login_failed',
        client: '203.0.113.7',
        user: 'alice',
        requestId: 'req-1',
        msg: 'login failed',
      },
      {
        level: 40,
        time: expect.any(Number),
        service: 'tokengate',
        event: 'login_throttled',
        client: '203.0.113.7',
        user: 'alice',
        requestId: 'req-1',
        retryAfterS: 900,
        msg: 'login throttled',
      },
    ]);
  });

  it('fails closed: a store that cannot answer rejects the check', async () => {
    const down: FailureLimiter = {
      acquire: () => Promise.reject(new StoreUnavailableError('down')),
      release: () => Promise.reject(new StoreUnavailableError('down')),
      reset: () => Promise.reject(new StoreUnavailableError('down')),
    };
    const throttle = createLoginThrottle({
      limiter: down,
      logger: capturingLogger().logger,
      hashKey: HASH_KEY,
      windowS: 900,
      maxPerUser: 5,
      maxPerAddress: 50,
    });
    await expect(throttle.check(ALICE)).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});

describe('limiter keys', () => {
  it('are fixed-length hashes that hold neither the username nor the address', () => {
    const key = userKey(HASH_KEY, 'alice'.repeat(50), '203.0.113.7');
    expect(key).toMatch(/^login:user:[0-9a-f]{32}$/);
    expect(addressKey(HASH_KEY, '203.0.113.7')).toMatch(/^login:addr:[0-9a-f]{32}$/);
  });

  it('differ by username and by address, and not by the spelling of a name', () => {
    expect(userKey(HASH_KEY, 'alice', '203.0.113.7')).not.toBe(userKey(HASH_KEY, 'bob', '203.0.113.7'));
    expect(userKey(HASH_KEY, 'alice', '203.0.113.7')).not.toBe(userKey(HASH_KEY, 'alice', '203.0.113.8'));
    expect(userKey(HASH_KEY, ' Alice', '203.0.113.7')).toBe(userKey(HASH_KEY, 'alice', '203.0.113.7'));
    expect(normalizeUsername('ＡＬＩＣＥ ')).toBe('alice');
  });

  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['unknown', 'unknown'],
  ])('count %s as %s (an IPv6 client usually holds a whole /64)', (address, bucket) => {
    expect(addressBucket(address)).toBe(bucket);
  });
});

describe('the username in the log', () => {
  it.each([
    ['alice', 'alice'],
    ['x","client":"6.6.6.6', 'x","client":"6.6.6.6'],
    ['a\nb\r\nc\td', 'a?b??c?d'],
    ['line\u2028sep\u0085nel', 'line?sep?nel'],
    ['émile 😀', '?mile ?'],
    ['\u001b[31mred', '?[31mred'],
  ])('keeps printable ASCII only: %j', (raw, logged) => {
    expect(sanitizeUsername(raw)).toBe(logged);
  });

  it('is cut at 64 characters', () => {
    expect(sanitizeUsername('a'.repeat(300))).toBe(`${'a'.repeat(64)}...`);
    expect(sanitizeUsername('a'.repeat(64))).toBe('a'.repeat(64));
  });
});

describe('limiter keys under another hash key', () => {
  it('differ, so they cannot be computed without the secret-derived key', () => {
    const other = new Uint8Array(32).fill(8);
    expect(userKey(other, 'alice', '203.0.113.7')).not.toBe(userKey(HASH_KEY, 'alice', '203.0.113.7'));
    expect(addressKey(other, '203.0.113.7')).not.toBe(addressKey(HASH_KEY, '203.0.113.7'));
  });
});
