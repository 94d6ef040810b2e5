import type { RotateResult, SessionRecord, Store } from './store.js';

interface Family {
  record: SessionRecord;
  /** When the family is of no more use: the session's end, or its current refresh token's expiry. */
  deadAt: number;
  current: string;
  previous?: string | undefined;
  rotatedAt: number;
}

const SWEEP_INTERVAL_MS = 60_000;

/**
 * At most this many live sessions; past it the oldest is forgotten (its user signs in again).
 * One signer's memory must not be a function of how many logins someone can make. Revocations
 * are never dropped this way: forgetting one would let a revoked token back in.
 */
export const MAX_MEMORY_SESSIONS = 200_000;

/**
 * The in-memory store, for one signer instance. Each method runs to completion without an
 * `await` between its read and its write, so JavaScript's single thread makes it atomic.
 * Expired entries are swept once a minute, so nothing grows without bound.
 */
export class MemoryStore implements Store {
  private readonly families = new Map<string, Family>();
  /** Revoked access-token `jti`s and revoked session ids, each with the unix second it can be forgotten. */
  private readonly revokedTokens = new Map<string, number>();
  private readonly revokedSessions = new Map<string, number>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly nowS: () => number = () => Math.floor(Date.now() / 1000),
    private readonly maxSessions = MAX_MEMORY_SESSIONS,
  ) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  async createSession(sid: string, refreshJti: string, record: SessionRecord, refreshExpiresAt?: number): Promise<void> {
    // A Map iterates in insertion order: the first key is the oldest session.
    if (this.families.size >= this.maxSessions) this.families.delete(this.families.keys().next().value!);
    this.families.set(sid, { record, deadAt: Math.min(record.expiresAt, refreshExpiresAt ?? Infinity), current: refreshJti, rotatedAt: this.nowS() });
  }

  async rotateRefresh(sid: string, presentedJti: string, nextJti: string, nowS: number, graceS: number, nextExpiresAt?: number): Promise<RotateResult> {
    const family = this.families.get(sid);
    if (!family || family.deadAt <= nowS) return { kind: 'unknown' };
    if (presentedJti === family.current) {
      family.previous = family.current;
      family.current = nextJti;
      family.rotatedAt = nowS;
      family.deadAt = Math.min(family.record.expiresAt, nextExpiresAt ?? Infinity);
      return { kind: 'rotated', session: family.record };
    }
    if (presentedJti === family.previous && nowS - family.rotatedAt < graceS) return { kind: 'grace', session: family.record };
    this.families.delete(sid);
    this.revokedSessions.set(sid, family.record.expiresAt);
    return { kind: 'reused' };
  }

  async revokeSession(sid: string, untilS: number): Promise<void> {
    this.families.delete(sid);
    this.revokedSessions.set(sid, Math.max(untilS, this.revokedSessions.get(sid) ?? 0));
  }

  async revokeToken(jti: string, untilS: number): Promise<void> {
    this.revokedTokens.set(jti, Math.max(untilS, this.revokedTokens.get(jti) ?? 0));
  }

  async isRevoked(jti: string | undefined, sid: string | undefined, nowS: number): Promise<boolean> {
    if (jti !== undefined && (this.revokedTokens.get(jti) ?? 0) >= nowS) return true;
    return sid !== undefined && (this.revokedSessions.get(sid) ?? 0) >= nowS;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  /** Sizes, for tests and metrics. */
  size(): { sessions: number; revokedTokens: number; revokedSessions: number } {
    return { sessions: this.families.size, revokedTokens: this.revokedTokens.size, revokedSessions: this.revokedSessions.size };
  }

  /** Forgets what has expired; exposed so tests need not wait a minute. */
  sweep(): void {
    const now = this.nowS();
    for (const [sid, family] of this.families) if (family.deadAt <= now) this.families.delete(sid);
    for (const map of [this.revokedTokens, this.revokedSessions]) for (const [key, until] of map) if (until < now) map.delete(key);
  }
}
