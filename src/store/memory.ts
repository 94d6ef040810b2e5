import {
  StoreUnavailableError,
  type Revocation,
  type RotateOptions,
  type RotateResult,
  type SessionClient,
  type SessionInfo,
  type SessionRecord,
  type Store,
  type StoreHealth,
  type TokenSubject,
} from './store.js';

interface Family {
  record: SessionRecord;
  /** When the family is of no more use: the session's end, or its current refresh token's expiry. */
  deadAt: number;
  current: string;
  previous?: string | undefined;
  rotatedAt: number;
  startedAt: number;
  /** Where it was last seen from: at login, then at each refresh. */
  client?: SessionClient | undefined;
}

/** A user's revocation: tokens issued at or before `notBeforeS` are refused through `untilS`. */
interface SubjectRevocation {
  notBeforeS: number;
  untilS: number;
}

const SWEEP_INTERVAL_MS = 60_000;

/**
 * At most this many live sessions; past it the oldest is forgotten (its user signs in again).
 * One signer's memory must not be a function of how many logins someone can make. Revocations
 * are never dropped this way: forgetting one would let a revoked token back in.
 */
export const MAX_MEMORY_SESSIONS = 200_000;

/** At most this many live sessions per user, so one account logging in in a loop evicts only its own. */
export const MAX_SESSIONS_PER_SUB = 100;

/**
 * Revocations are kept this long past their `untilS`: callers compare with their clock skew
 * taken off (a token verifies until `exp` plus the leeway), and 300 s is the largest leeway
 * the configuration allows.
 */
export const REVOCATION_MARGIN_S = 300;

/**
 * At most this many client nonces. Only a registered client's validly signed tokens add one, so
 * reaching it means a client sending far faster than any window allows: claims then fail closed
 * (503) rather than forget a nonce early, which would let a replay in.
 */
export const MAX_MEMORY_NONCES = 1_000_000;

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
  /** Revoked users by `sub`: one entry each, however many times revoked. */
  private readonly revokedSubjects = new Map<string, SubjectRevocation>();
  /** Live session ids by `sub`, oldest first. */
  private readonly bySub = new Map<string, Set<string>>();
  /** Claimed client nonces, `<client> <nonce>` (a client name holds no space), with the unix second they can be forgotten. */
  private readonly nonces = new Map<string, number>();
  private readonly listeners: ((revocation: Revocation) => void)[] = [];
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly nowS: () => number = () => Math.floor(Date.now() / 1000),
    private readonly maxSessions = MAX_MEMORY_SESSIONS,
    private readonly maxPerSub = MAX_SESSIONS_PER_SUB,
    private readonly maxNonces = MAX_MEMORY_NONCES,
  ) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  async createSession(sid: string, refreshJti: string, record: SessionRecord, refreshExpiresAt?: number): Promise<void> {
    const sub = String(record.claims.sub);
    const mine = this.bySub.get(sub) ?? new Set<string>();
    // Maps and Sets iterate in insertion order: the first key is the oldest session.
    if (mine.size >= this.maxPerSub) this.forget(mine.values().next().value!);
    if (this.families.size >= this.maxSessions) this.forget(this.families.keys().next().value!);
    const now = this.nowS();
    this.families.set(sid, {
      record,
      deadAt: Math.min(record.expiresAt, refreshExpiresAt ?? Infinity),
      current: refreshJti,
      rotatedAt: now,
      startedAt: now,
      client: record.client,
    });
    this.bySub.set(sub, mine.add(sid));
  }

  /** Drops a session's family (not its revocation) and its place in the per-user index. */
  private forget(sid: string): void {
    const family = this.families.get(sid);
    if (!family) return;
    this.families.delete(sid);
    const sub = String(family.record.claims.sub);
    const mine = this.bySub.get(sub);
    mine?.delete(sid);
    if (mine?.size === 0) this.bySub.delete(sub);
  }

  async rotateRefresh(sid: string, presentedJti: string, nextJti: string, at: RotateOptions): Promise<RotateResult> {
    const { nowS, graceS, nextExpiresAt, reuseRevokesUntil } = at;
    const family = this.families.get(sid);
    if (!family || family.deadAt <= nowS) return { kind: 'unknown' };
    if (presentedJti === family.current) {
      family.previous = family.current;
      family.current = nextJti;
      family.rotatedAt = nowS;
      if (at.client !== undefined) family.client = at.client;
      family.deadAt = Math.min(family.record.expiresAt, nextExpiresAt ?? Infinity);
      return { kind: 'rotated', session: family.record };
    }
    if (presentedJti === family.previous && nowS - family.rotatedAt < graceS) return { kind: 'grace', session: family.record };
    this.forget(sid);
    this.learn(this.revokedSessions, { kind: 's', id: sid, untilS: Math.min(family.record.expiresAt, reuseRevokesUntil ?? Infinity) });
    return { kind: 'reused' };
  }

  async revokeSession(sid: string, untilS: number): Promise<void> {
    this.forget(sid);
    this.learn(this.revokedSessions, { kind: 's', id: sid, untilS });
  }

  async revokeToken(jti: string, untilS: number): Promise<void> {
    this.learn(this.revokedTokens, { kind: 't', id: jti, untilS });
  }

  async revokeSubject(sub: string, notBeforeS: number, untilS: number, sessionsUntilS: number): Promise<number> {
    const now = this.nowS();
    let ended = 0;
    for (const sid of [...(this.bySub.get(sub) ?? [])]) {
      if (this.families.get(sid)!.deadAt > now) ended++;
      this.forget(sid);
      this.learn(this.revokedSessions, { kind: 's', id: sid, untilS: sessionsUntilS });
    }
    const known = this.revokedSubjects.get(sub);
    const next = { notBeforeS: Math.max(notBeforeS, known?.notBeforeS ?? -Infinity), untilS: Math.max(untilS, known?.untilS ?? -Infinity) };
    if (known?.notBeforeS === next.notBeforeS && known.untilS === next.untilS) return ended;
    this.revokedSubjects.set(sub, next);
    for (const listener of this.listeners) listener({ kind: 'u', id: sub, ...next });
    return ended;
  }

  async endSessionOf(sub: string, sid: string, untilS: number): Promise<boolean> {
    const family = this.families.get(sid);
    if (!family || family.deadAt <= this.nowS() || String(family.record.claims.sub) !== sub) return false;
    await this.revokeSession(sid, untilS);
    return true;
  }

  async listSessions(sub: string, nowS: number): Promise<SessionInfo[]> {
    const out: SessionInfo[] = [];
    for (const sid of this.bySub.get(sub) ?? []) {
      const family = this.families.get(sid)!;
      if (family.deadAt <= nowS) continue;
      out.push({ sid, startedAt: family.startedAt, lastRefreshAt: family.rotatedAt, expiresAt: family.record.expiresAt, ...family.client });
    }
    return out;
  }

  /** Keeps the later deadline of two, and tells the listeners when it is new or later. */
  private learn(map: Map<string, number>, revocation: Revocation): void {
    if ((map.get(revocation.id) ?? -Infinity) >= revocation.untilS) return;
    map.set(revocation.id, revocation.untilS);
    for (const listener of this.listeners) listener(revocation);
  }

  watchRevocations(listener: (revocation: Revocation) => void, nowS: number): void {
    for (const [id, untilS] of this.revokedTokens) if (untilS >= nowS) listener({ kind: 't', id, untilS });
    for (const [id, untilS] of this.revokedSessions) if (untilS >= nowS) listener({ kind: 's', id, untilS });
    for (const [id, r] of this.revokedSubjects) if (r.untilS >= nowS) listener({ kind: 'u', id, ...r });
    this.listeners.push(listener);
  }

  revocationsCurrent(): boolean {
    return true;
  }

  async isRevoked(jti: string | undefined, sid: string | undefined, nowS: number, subject?: TokenSubject): Promise<boolean> {
    if (jti !== undefined && (this.revokedTokens.get(jti) ?? 0) >= nowS) return true;
    if (sid !== undefined && (this.revokedSessions.get(sid) ?? 0) >= nowS) return true;
    return subject !== undefined && subjectRevoked(this.revokedSubjects.get(subject.sub), subject, nowS);
  }

  async claimNonce(client: string, nonce: string, ttlSeconds: number): Promise<boolean> {
    const key = `${client} ${nonce}`;
    const now = this.nowS();
    if ((this.nonces.get(key) ?? -Infinity) > now) return false;
    if (this.nonces.size >= this.maxNonces) {
      this.sweep();
      if (this.nonces.size >= this.maxNonces) throw new StoreUnavailableError('too many client nonces in memory');
    }
    this.nonces.set(key, now + ttlSeconds);
    return true;
  }

  async health(): Promise<StoreHealth> {
    return { kind: 'memory', ok: true };
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  /** Sizes, for tests and metrics. */
  size(): { sessions: number; revokedTokens: number; revokedSessions: number; revokedSubjects: number } {
    return {
      sessions: this.families.size,
      revokedTokens: this.revokedTokens.size,
      revokedSessions: this.revokedSessions.size,
      revokedSubjects: this.revokedSubjects.size,
    };
  }

  /** Forgets what has expired; exposed so tests need not wait a minute. */
  sweep(): void {
    const now = this.nowS();
    for (const [sid, family] of this.families) if (family.deadAt <= now) this.forget(sid);
    for (const map of [this.revokedTokens, this.revokedSessions]) for (const [key, until] of map) if (until + REVOCATION_MARGIN_S < now) map.delete(key);
    for (const [sub, r] of this.revokedSubjects) if (r.untilS + REVOCATION_MARGIN_S < now) this.revokedSubjects.delete(sub);
    for (const [key, until] of this.nonces) if (until <= now) this.nonces.delete(key);
  }
}

/**
 * Whether a user's revocation refuses this token at `nowS`: issued at or before its not-before
 * second (a token without `iat` counts as issued at 0), while the revocation is in force.
 */
export function subjectRevoked(revocation: { notBeforeS: number; untilS: number } | undefined, subject: TokenSubject, nowS: number): boolean {
  return revocation !== undefined && revocation.untilS >= nowS && (subject.iat ?? 0) <= revocation.notBeforeS;
}
