import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryStore, REVOCATION_MARGIN_S } from '../../src/store/memory.js';
import { describeStoreContract } from '../fixtures/store-contract.js';

describeStoreContract('memory', (clock) => new MemoryStore(clock.nowS));

/** 2030-01-01T00:00:00Z, in unix seconds: where each store's clock starts. */
const START_S = Date.UTC(2030, 0, 1) / 1000;

const stores: MemoryStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  vi.useRealTimers();
});

/** A memory store on a clock the test moves. */
function setup() {
  let now = START_S;
  const store = new MemoryStore(() => now);
  stores.push(store);
  return { store, now: () => now, advance: (seconds: number) => void (now += seconds) };
}

describe('sweeping the memory store', () => {
  it('forgets sessions at their end and revocations after their untilS, keeping the rest', async () => {
    const { store, now, advance } = setup();
    await store.createSession('short', 'j1', { claims: { sub: 'alice' }, expiresAt: now() + 60 });
    await store.createSession('long', 'j2', { claims: { sub: 'bob' }, expiresAt: now() + 600 });
    await store.revokeToken('access-short', now() + 60);
    await store.revokeToken('access-long', now() + 600);
    await store.revokeSession('ended', now() + 60);
    expect(store.size()).toEqual({ sessions: 2, revokedTokens: 2, revokedSessions: 1, revokedSubjects: 0 });

    advance(60);
    store.sweep();
    // A session ends at expiresAt; a revocation still holds at its untilS.
    expect(store.size()).toEqual({ sessions: 1, revokedTokens: 2, revokedSessions: 1, revokedSubjects: 0 });

    // Revocations are kept REVOCATION_MARGIN_S past untilS: callers check with the skew taken off.
    advance(REVOCATION_MARGIN_S);
    store.sweep();
    expect(store.size()).toEqual({ sessions: 1, revokedTokens: 2, revokedSessions: 1, revokedSubjects: 0 });
    advance(1);
    store.sweep();
    expect(store.size()).toEqual({ sessions: 1, revokedTokens: 1, revokedSessions: 0, revokedSubjects: 0 });
    expect(await store.isRevoked('access-long', undefined, now() - REVOCATION_MARGIN_S)).toBe(true);
    expect((await store.rotateRefresh('long', 'j2', 'j3', { nowS: now(), graceS: 10 })).kind).toBe('rotated');

    advance(600 + REVOCATION_MARGIN_S);
    store.sweep();
    expect(store.size()).toEqual({ sessions: 0, revokedTokens: 0, revokedSessions: 0, revokedSubjects: 0 });
  });

  it('forgets a session revoked for reuse once the session would have ended', async () => {
    const { store, now, advance } = setup();
    await store.createSession('stolen', 'a', { claims: { sub: 'alice' }, expiresAt: now() + 600 });
    await store.rotateRefresh('stolen', 'a', 'b', { nowS: now(), graceS: 10 });
    advance(11);
    expect((await store.rotateRefresh('stolen', 'a', 'c', { nowS: now(), graceS: 10 })).kind).toBe('reused');
    expect(store.size()).toEqual({ sessions: 0, revokedTokens: 0, revokedSessions: 1, revokedSubjects: 0 });
    advance(600 + REVOCATION_MARGIN_S);
    store.sweep();
    expect(store.size().revokedSessions).toBe(0);
  });

  it('revokes a reused session only as long as its access tokens can live (reuseRevokesUntil)', async () => {
    const { store, now, advance } = setup();
    await store.createSession('stolen', 'a', { claims: { sub: 'alice' }, expiresAt: now() + 30 * 86_400 });
    await store.rotateRefresh('stolen', 'a', 'b', { nowS: now(), graceS: 10 });
    advance(11);
    expect((await store.rotateRefresh('stolen', 'a', 'c', { nowS: now(), graceS: 10, reuseRevokesUntil: now() + 900 })).kind).toBe('reused');
    expect(await store.isRevoked(undefined, 'stolen', now() + 900)).toBe(true);
    expect(await store.isRevoked(undefined, 'stolen', now() + 901)).toBe(false);
    advance(901 + REVOCATION_MARGIN_S);
    store.sweep();
    expect(store.size().revokedSessions).toBe(0);
  });

  it("holds at most maxPerSub sessions per user, forgetting that user's oldest only", async () => {
    const store = new MemoryStore(() => START_S, 100, 2);
    stores.push(store);
    const of = (sub: string) => ({ claims: { sub }, expiresAt: START_S + 3600 });
    await store.createSession('bob-1', 'b1', of('bob'));
    for (const i of [1, 2, 3]) await store.createSession(`alice-${i}`, `a${i}`, of('alice'));
    expect(store.size().sessions).toBe(3);
    expect((await store.rotateRefresh('alice-1', 'a1', 'n', { nowS: START_S, graceS: 10 })).kind).toBe('unknown');
    expect((await store.rotateRefresh('alice-3', 'a3', 'n3', { nowS: START_S, graceS: 10 })).kind).toBe('rotated');
    expect((await store.rotateRefresh('bob-1', 'b1', 'nb', { nowS: START_S, graceS: 10 })).kind).toBe('rotated');
  });

  it('stays bounded through a day of logins, refreshes and logouts', async () => {
    const { store, now, advance } = setup();
    const sessionS = 3600;
    const accessS = 900;
    let largest = 0;
    // One login a second for a day; each session refreshes once and half of them log out.
    for (let i = 0; i < 86_400; i++) {
      const sid = `s${i}`;
      await store.createSession(sid, `r${i}`, { claims: { sub: 'alice' }, expiresAt: now() + sessionS });
      await store.rotateRefresh(sid, `r${i}`, `r${i}'`, { nowS: now(), graceS: 10 });
      if (i % 2 === 0) {
        await store.revokeToken(`a${i}`, now() + accessS);
        await store.revokeSession(sid, now() + accessS + 30);
      }
      advance(1);
      if (i % 60 === 0) store.sweep();
      const { sessions, revokedTokens, revokedSessions } = store.size();
      largest = Math.max(largest, sessions + revokedTokens + revokedSessions);
    }
    // At most one session lifetime (plus a sweep interval) of entries is ever held.
    expect(largest).toBeLessThanOrEqual(sessionS + 60 + 2 * (accessS + 30 + 60));
    advance(sessionS + 1);
    store.sweep();
    expect(store.size()).toEqual({ sessions: 0, revokedTokens: 0, revokedSessions: 0, revokedSubjects: 0 });
  });

  it('sweeps on its own once a minute, and close stops the timer', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { store, now, advance } = setup();
    await store.revokeToken('access', now() + 30);
    advance(31 + REVOCATION_MARGIN_S);
    vi.advanceTimersByTime(59_999);
    expect(store.size().revokedTokens).toBe(1);
    vi.advanceTimersByTime(1);
    expect(store.size().revokedTokens).toBe(0);
    expect(vi.getTimerCount()).toBe(1);
    await store.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('holds at most maxSessions live sessions, forgetting the oldest, and never drops a revocation', async () => {
    const store = new MemoryStore(() => START_S, 3);
    stores.push(store);
    const record = { claims: { sub: 'alice' }, expiresAt: START_S + 3600 };
    await store.revokeSession('s0', START_S + 60);
    for (const i of [1, 2, 3, 4]) await store.createSession(`s${i}`, `r${i}`, record);
    expect(store.size()).toEqual({ sessions: 3, revokedTokens: 0, revokedSessions: 1, revokedSubjects: 0 });
    expect((await store.rotateRefresh('s1', 'r1', 'n1', { nowS: START_S, graceS: 10 })).kind).toBe('unknown');
    expect((await store.rotateRefresh('s4', 'r4', 'n4', { nowS: START_S, graceS: 10 })).kind).toBe('rotated');
    await expect(store.isRevoked(undefined, 's0', START_S)).resolves.toBe(true);
  });
});
