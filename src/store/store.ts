/**
 * One revocation: an access token (`t`, by `jti`) or a whole session (`s`, by `sid`), refused
 * through `untilS`; or a user (`u`, by `sub`): every token of theirs issued at or before
 * `notBeforeS` (its `iat`), refused through `untilS`, by which none of them can verify any more.
 */
export type Revocation = { kind: 't' | 's'; id: string; untilS: number } | { kind: 'u'; id: string; untilS: number; notBeforeS: number };

/** What a token says about its user, for the per-user revocation: `sub`, and `iat` (0 when absent). */
export interface TokenSubject {
  sub: string;
  iat?: number | undefined;
}

/** Where a session was last seen from, as the signer saw it at login or refresh (shown to admins only). */
export interface SessionClient {
  /** The client's address (nginx's `$remote_addr`, or as TRUSTED_PROXIES allow). */
  address?: string | undefined;
  /** The `User-Agent`, cut to MAX_USER_AGENT_LENGTH characters. */
  userAgent?: string | undefined;
}

/** A stored User-Agent is cut to this many characters. */
export const MAX_USER_AGENT_LENGTH = 256;

/** One live session of a user, as the admin API lists it. */
export interface SessionInfo extends SessionClient {
  sid: string;
  /** Unix seconds. */
  startedAt: number;
  /** Unix seconds of the last refresh-token rotation; the start when never refreshed. */
  lastRefreshAt: number;
  /** The session's absolute end, unix seconds. */
  expiresAt: number;
}

/** What a login session remembers: the identity to re-issue tokens with, and when it must end. */
export interface SessionRecord {
  /** The identity claims the upstream answered with at login. */
  claims: Record<string, unknown>;
  /** Absolute end of the session, unix seconds; refreshing never moves it. */
  expiresAt: number;
  /** Where it was started from. */
  client?: SessionClient | undefined;
}

/** The outcome of presenting a refresh token (by its `jti`) for session `sid`. */
export type RotateResult =
  /** It was the session's current refresh token; `nextJti` is current now. */
  | { kind: 'rotated'; session: SessionRecord }
  /** It was the one rotated away within the grace window: let through, nothing new issued. */
  | { kind: 'grace'; session: SessionRecord }
  /** It had been used before: the whole session (every descendant) is revoked now. */
  | { kind: 'reused' }
  /** No such live session: logged out, revoked, expired, or never created. */
  | { kind: 'unknown' };

/** The clock and the deadlines of one rotation, all in unix seconds. */
export interface RotateOptions {
  nowS: number;
  /** How long after a rotation the token it replaced is still let through (`grace`). */
  graceS: number;
  /** When the next refresh token stops being usable; the session's end when absent. */
  nextExpiresAt?: number | undefined;
  /** On reuse, how long the session's access tokens stay refused; the session's end when absent. */
  reuseRevokesUntil?: number | undefined;
  /** Where the refresh came from: the session's last-seen client becomes this one. */
  client?: SessionClient | undefined;
}

/**
 * The store cannot answer now (Redis unreachable or slower than `REDIS_TIMEOUT_MS`). Callers
 * fail closed: the client gets `503 store_unavailable`, never a guess.
 */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

/** What `/readyz` reports about the store. */
export interface StoreHealth {
  kind: 'memory' | 'redis';
  ok: boolean;
  /** A short, log-safe reason when not ok (never the URL, which may hold a password). */
  detail?: string;
}

/**
 * Gateway state: revoked access tokens, refresh-token families (one per login session),
 * which refresh token of each family is current, and the nonces clients have used. Keyed on
 * `jti`, session ids and client nonces, never on token strings. Every method that decides must
 * be atomic across callers. A method that cannot reach the store rejects with
 * `StoreUnavailableError`, within the store's timeout.
 */
export interface Store {
  /**
   * Starts a session whose first refresh token is `refreshJti`. It is forgotten at
   * `record.expiresAt`, or earlier once its current refresh token has expired
   * (`refreshExpiresAt`): nothing could ever use it again.
   */
  createSession(sid: string, refreshJti: string, record: SessionRecord, refreshExpiresAt?: number): Promise<void>;
  /**
   * Uses refresh token `presentedJti` of session `sid` once: makes `nextJti` current, or, if it
   * was used before (outside the grace window), revokes the session. Atomic: of several callers with the
   * same token, exactly one gets `rotated`.
   */
  rotateRefresh(sid: string, presentedJti: string, nextJti: string, at: RotateOptions): Promise<RotateResult>;
  /** Ends session `sid`: its refresh tokens stop working, and its access tokens until `untilS`. */
  revokeSession(sid: string, untilS: number): Promise<void>;
  /** Refuses the access token `jti` until `untilS` (its `exp`). */
  revokeToken(jti: string, untilS: number): Promise<void>;
  /**
   * Ends every session of user `sub` and refuses every token of theirs issued at or before
   * `notBeforeS`, through `untilS` (when none of them can verify any more): access tokens
   * already out included, without knowing their ids. Each session ended is also revoked by id
   * through `sessionsUntilS`, so a token of theirs issued after `notBeforeS` (a refresh that
   * crossed the revocation, a signer whose clock runs ahead) is refused too. A later login gets
   * tokens that pass. Answers how many live sessions were ended.
   */
  revokeSubject(sub: string, notBeforeS: number, untilS: number, sessionsUntilS: number): Promise<number>;
  /**
   * Ends session `sid` if it is a live session of user `sub` (like `revokeSession`); false, and
   * nothing revoked, when it is not (unknown, ended, or someone else's).
   */
  endSessionOf(sub: string, sid: string, untilS: number): Promise<boolean>;
  /** The live sessions of user `sub` at `nowS`, oldest first (at most MAX_SESSIONS_PER_SUB). */
  listSessions(sub: string, nowS: number): Promise<SessionInfo[]>;
  /**
   * The hot-path check: is this access token, or the session it belongs to, or (given `subject`)
   * every token of its user up to its `iat`, revoked at `nowS`? A revocation holds through
   * `untilS` inclusive; callers pass their clock minus the leeway.
   */
  isRevoked(jti: string | undefined, sid: string | undefined, nowS: number, subject?: TokenSubject): Promise<boolean>;
  /**
   * Records nonce `nonce` of client `client` for `ttlSeconds` if it is not recorded yet (SET NX):
   * true for the first use, false for a replay. Atomic: of several callers with the same pair,
   * across every instance, exactly one gets true. Both are checked first (`clients/`): a client
   * name holds no `:` or space, so no two pairs share a key.
   */
  claimNonce(client: string, nonce: string, ttlSeconds: number): Promise<boolean>;
  /**
   * Calls `listener` with every revocation in force now (at `nowS`), then with every one this
   * instance learns from now on, its own and (with Redis) every other instance's, once per new or
   * later deadline: the OpenResty front's feed (`GET /revocations`) is built from it, and a new
   * signer's feed must hold what its predecessor may not have told anyone yet.
   */
  watchRevocations(listener: (revocation: Revocation) => void, nowS: number): void;
  /** Whether this instance knows every revocation right now (Redis: its mirror is in sync). */
  revocationsCurrent(): boolean;
  /** Whether the store can answer now; bounded by the store's own timeout. */
  health(): Promise<StoreHealth>;
  /** Stops timers and connections. */
  close(): Promise<void>;
}
