import { describe, expect, it } from 'vitest';
import { countRefreshes } from '../../src/metrics/count-refreshes.js';
import { instrumentLimiter, instrumentStore } from '../../src/metrics/instrument-store.js';
import { createMetrics, STORE_OPERATIONS, type Metrics } from '../../src/metrics/metrics.js';
import type { Sessions } from '../../src/session/sessions.js';
import { MemoryStore } from '../../src/store/memory.js';
import { StoreUnavailableError, type Store } from '../../src/store/store.js';
import type { FailureLimiter } from '../../src/throttle/limiter.js';

/** The value of one series of a counter, 0 when it has none. */
async function seriesValue(counter: Metrics['login'] | Metrics['refresh'] | Metrics['storeErrors'], labels: Record<string, string>): Promise<number> {
  const { values } = await counter.get();
  const match = values.find((v) => {
    const seen = v.labels as Record<string, string | number | undefined>;
    return Object.keys(labels).length === Object.keys(seen).length && Object.entries(labels).every(([k, l]) => seen[k] === l);
  });
  return match?.value ?? 0;
}

const down = () => Promise.reject(new StoreUnavailableError('redis is down'));
const bug = () => Promise.reject(new TypeError('a bug'));

/** A store whose every call fails with `fail`. */
function failingStore(fail: () => Promise<never>): Store {
  return {
    createSession: fail,
    rotateRefresh: fail,
    revokeSession: fail,
    revokeToken: fail,
    revokeSubject: fail,
    endSessionOf: fail,
    listSessions: fail,
    isRevoked: fail,
    claimNonce: fail,
    health: fail,
    close: fail,
    watchRevocations: () => undefined,
    revocationsCurrent: () => false,
  };
}

describe('instrumentStore', () => {
  it('passes every answer through unchanged', async () => {
    const metrics = createMetrics();
    const store = instrumentStore(new MemoryStore(() => 1_000), metrics);
    await store.createSession('sid', 'jti-1', { claims: { sub: 'alice' }, expiresAt: 2_000 });
    expect(await store.rotateRefresh('sid', 'jti-1', 'jti-2', { nowS: 1_000, graceS: 0 })).toMatchObject({ kind: 'rotated' });
    expect(await store.isRevoked('jti-9', 'sid', 1_000)).toBe(false);
    await store.revokeSession('sid', 2_000);
    expect(await store.isRevoked('jti-9', 'sid', 1_000)).toBe(true);
    expect(await store.health()).toEqual({ kind: 'memory', ok: true });
    expect([await store.claimNonce('billing', 'n-1', 41), await store.claimNonce('billing', 'n-1', 41)]).toEqual([true, false]);
    for (const operation of STORE_OPERATIONS) expect(await seriesValue(metrics.storeErrors, { operation })).toBe(0);
  });

  it('counts StoreUnavailableError rejections by operation, and still rejects with them', async () => {
    const metrics = createMetrics();
    const store = instrumentStore(failingStore(down), metrics);
    await expect(store.isRevoked('jti', 'sid', 1)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.isRevoked('jti', undefined, 1)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.createSession('sid', 'jti', { claims: {}, expiresAt: 2 })).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.rotateRefresh('sid', 'a', 'b', { nowS: 1, graceS: 0 })).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.revokeToken('jti', 2)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.revokeSession('sid', 2)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.claimNonce('billing', 'n-1', 41)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await seriesValue(metrics.storeErrors, { operation: 'isRevoked' })).toBe(2);
    for (const operation of ['createSession', 'rotateRefresh', 'revokeToken', 'revokeSession', 'claimNonce'])
      expect(await seriesValue(metrics.storeErrors, { operation })).toBe(1);
  });

  it('does not count other failures', async () => {
    const metrics = createMetrics();
    const store = instrumentStore(failingStore(bug), metrics);
    await expect(store.isRevoked('jti', 'sid', 1)).rejects.toBeInstanceOf(TypeError);
    expect(await seriesValue(metrics.storeErrors, { operation: 'isRevoked' })).toBe(0);
  });
});

describe('instrumentLimiter', () => {
  it('counts the failed-login limiter outages under their own operations', async () => {
    const metrics = createMetrics();
    const limiter: FailureLimiter = instrumentLimiter({ acquire: down, release: down, reset: down }, metrics);
    const rules = [{ key: 'k', limit: 1, windowMs: 1_000 }];
    await expect(limiter.acquire(rules, 0)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(limiter.release(rules, 0)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(limiter.reset('k')).rejects.toBeInstanceOf(StoreUnavailableError);
    for (const operation of ['limiterAcquire', 'limiterRelease', 'limiterReset']) expect(await seriesValue(metrics.storeErrors, { operation })).toBe(1);
  });

  it('passes answers through', async () => {
    const limiter = instrumentLimiter(
      { acquire: () => Promise.resolve(1234), release: () => Promise.resolve(), reset: () => Promise.resolve() },
      createMetrics(),
    );
    expect(await limiter.acquire([], 0)).toBe(1234);
  });
});

describe('countRefreshes', () => {
  const sessionsAnswering = (answer: () => ReturnType<Sessions['refresh']>): Sessions =>
    ({ refresh: answer, start: () => Promise.reject(new Error('unused')) }) as unknown as Sessions;

  it('counts each refresh by outcome and reason, and returns the outcome as it was', async () => {
    const metrics = createMetrics();
    const answers = [
      { kind: 'grace', claims: { sub: 'alice' } },
      { kind: 'refused', reason: 'refresh_token_reused' },
      { kind: 'refused', reason: 'ERR_JWT_EXPIRED' },
      { kind: 'refused', reason: 'ERR_JWT_EXPIRED' },
      { kind: 'refused', reason: 'session_ended' },
    ] as const;
    let i = 0;
    const sessions = countRefreshes(
      sessionsAnswering(() => Promise.resolve(answers[i++]!)),
      metrics,
    );
    for (const expected of answers) expect(await sessions.refresh('token')).toBe(expected);
    expect(await seriesValue(metrics.refresh, { outcome: 'grace' })).toBe(1);
    expect(await seriesValue(metrics.refresh, { outcome: 'reused' })).toBe(1);
    expect(await seriesValue(metrics.refresh, { outcome: 'refused', reason: 'expired' })).toBe(2);
    expect(await seriesValue(metrics.refresh, { outcome: 'refused', reason: 'session_ended' })).toBe(1);
    expect(await seriesValue(metrics.refresh, { outcome: 'rotated' })).toBe(0);
  });

  it('counts a refresh that threw as an error, by cause, and rethrows it', async () => {
    const metrics = createMetrics();
    await expect(countRefreshes(sessionsAnswering(down), metrics).refresh('t')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(countRefreshes(sessionsAnswering(bug), metrics).refresh('t')).rejects.toBeInstanceOf(TypeError);
    expect(await seriesValue(metrics.refresh, { outcome: 'error', reason: 'store_unavailable' })).toBe(1);
    expect(await seriesValue(metrics.refresh, { outcome: 'error', reason: 'internal' })).toBe(1);
  });
});

describe('createMetrics', () => {
  it('gives each app a registry of its own', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.login.inc({ outcome: 'success' });
    expect(await seriesValue(a.login, { outcome: 'success' })).toBe(1);
    expect(await seriesValue(b.login, { outcome: 'success' })).toBe(0);
  });

  it('shows every label value at 0 before its first event', async () => {
    const text = await createMetrics().registry.metrics();
    expect(text).toContain('tokengate_login_total{outcome="throttled"} 0');
    expect(text).toContain('tokengate_verify_total{outcome="bad_signature"} 0');
    expect(text).toContain('tokengate_refresh_total{outcome="refused",reason="session_ended"} 0');
    expect(text).toContain('tokengate_store_errors_total{operation="isRevoked"} 0');
  });

  it('adds the process metrics once, on demand, however often it is asked', async () => {
    const metrics = createMetrics();
    expect(await metrics.registry.metrics()).not.toContain('process_cpu_user_seconds_total');
    metrics.withProcessMetrics();
    metrics.withProcessMetrics();
    const text = await metrics.registry.metrics();
    expect(text.match(/^# TYPE process_cpu_user_seconds_total /gm)).toHaveLength(1);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    // Another registry can have them too: nothing is global.
    expect(await createMetrics().withProcessMetrics().metrics()).toContain('process_cpu_user_seconds_total');
  });
});
