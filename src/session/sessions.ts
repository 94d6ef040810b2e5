import type { SessionClient, SessionInfo, Store } from '../store/store.js';
import { newJti, type IssuedToken, type TokenIssuer } from '../tokens/sign.js';
import { MAX_MINTED_TTL_S } from '../tokens/limits.js';
import type { TokenRefusal } from '../tokens/refusal.js';
import type { Verification, VerifiedClaims } from '../tokens/verify.js';

/** The two tokens of a login session. */
export interface SessionTokens {
  sid: string;
  access: IssuedToken;
  refresh: IssuedToken;
}

/** What presenting a refresh token gives. */
export type RefreshOutcome =
  | { kind: 'rotated'; tokens: SessionTokens; claims: Record<string, unknown> }
  /** A parallel request just behind the rotation: the identity, but no new tokens. */
  | { kind: 'grace'; claims: Record<string, unknown> }
  | { kind: 'refused'; reason: RefreshRefusal };

/** Why a refresh token is refused: the verifier's reasons, its session gone, or its second use. */
export type RefreshRefusal = TokenRefusal | 'session_ended' | 'refresh_token_reused';

export interface SessionOptions {
  issue: TokenIssuer;
  verifyRefresh: (token: string) => Promise<Verification>;
  store: Store;
  accessTtlS: number;
  refreshTtlS: number;
  sessionMaxAgeS: number;
  graceS: number;
  clockSkewS: number;
  /** Milliseconds since the epoch; tests freeze it. */
  now?: () => number;
  /** Waits `ms` (a login in the very second its user was revoked waits for the next one); tests pass their own. */
  sleep?: (ms: number) => Promise<void>;
}

/** What ending every session of a user did. */
export interface RevokeUserOutcome {
  /** Live sessions ended (refresh tokens stopped). */
  sessions: number;
  /** Every token of the user issued at or before this second (`iat`) is refused now. */
  notBeforeS: number;
}

export type Sessions = ReturnType<typeof createSessions>;

/** Login sessions: one refresh-token family each, rotated on every use, revoked as a whole. */
export function createSessions(opts: SessionOptions) {
  const nowMs = opts.now ?? Date.now;
  const nowS = () => Math.floor(nowMs() / 1000);
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  // No token issued before a user's revocation may outlive this: a session's refresh and access
  // tokens all end with the session, a lone access token lives TOKEN_TTL_S, and one from
  // `tokengate mint` at most MAX_MINTED_TTL_S; plus the leeway.
  const subjectRevocationS = Math.max(opts.sessionMaxAgeS, opts.accessTtlS, opts.refreshTtlS, MAX_MINTED_TTL_S) + opts.clockSkewS;
  /** The per-user part of the revocation check: `iat` decides, so a login after the revocation passes. */
  const subjectOf = (claims: { sub: string; iat?: unknown }) => ({ sub: claims.sub, iat: typeof claims.iat === 'number' ? claims.iat : undefined });

  /**
   * Tokens of the very second a user was revoked in are refused (`iat` counts whole seconds), so
   * a login in that second waits for the next one rather than get tokens that would not pass.
   * At most a second, and only right after an admin ended every session of that user.
   */
  async function pastRevocation(sub: string): Promise<void> {
    // Another signer's clock a second ahead may have set it a second later: at most 3 tries.
    for (let tries = 0; tries < 3; tries++) {
      const now = nowS();
      // A courtesy, not a check: a store that cannot say (a Redis mirror out of sync) must not stop a sign-in.
      const revoked = await opts.store.isRevoked(undefined, undefined, now, { sub, iat: now }).catch(() => false);
      if (!revoked) return;
      await sleep((now + 1) * 1000 - nowMs() + 1);
    }
  }

  async function issuePair(sid: string, claims: Record<string, unknown>, sessionEnd: number, refreshJti: string): Promise<SessionTokens> {
    const own = { sid };
    const access = await opts.issue(claims, { own, notAfter: sessionEnd });
    const refresh = await opts.issue({ sub: claims.sub }, { kind: 'refresh', own, ttlSeconds: opts.refreshTtlS, notAfter: sessionEnd, jti: refreshJti });
    return { sid, access, refresh };
  }

  return {
    /** Starts a session for claims the upstream vouched for, from `client`. */
    async start(claims: Record<string, unknown>, client?: SessionClient): Promise<SessionTokens> {
      await pastRevocation(String(claims.sub));
      const sid = newJti();
      const expiresAt = nowS() + opts.sessionMaxAgeS;
      const tokens = await issuePair(sid, claims, expiresAt, newJti());
      await opts.store.createSession(sid, tokens.refresh.jti, { claims, expiresAt, client }, tokens.refresh.expiresAt + opts.clockSkewS);
      return tokens;
    },

    /** Uses a refresh token once; a second use (past the grace window) ends the whole session. */
    async refresh(token: string, client?: SessionClient): Promise<RefreshOutcome> {
      const verified = await opts.verifyRefresh(token);
      if (!verified.ok) return { kind: 'refused', reason: verified.reason };
      // Its user revoked since it was issued: its session is gone from the store too, but a
      // store that lost the revocation's session delete must still refuse.
      if (await opts.store.isRevoked(undefined, undefined, nowS() - opts.clockSkewS, subjectOf(verified.claims)))
        return { kind: 'refused', reason: 'session_ended' };
      // requiredClaims makes both present; the verifier checked they are short strings.
      const { sid, jti } = verified.claims as VerifiedClaims & { sid: string; jti: string };
      const nextJti = newJti();
      const now = nowS();
      // Until the next refresh token can no longer verify (exp plus leeway), the store keeps the family.
      const nextExpiresAt = now + opts.refreshTtlS + opts.clockSkewS;
      // On reuse, the session's access tokens must die; none lives past this.
      const accessHorizon = now + opts.accessTtlS;
      const result = await opts.store.rotateRefresh(sid, jti, nextJti, {
        nowS: now,
        graceS: opts.graceS,
        nextExpiresAt,
        reuseRevokesUntil: accessHorizon,
        client,
      });
      switch (result.kind) {
        case 'rotated':
          return { kind: 'rotated', claims: result.session.claims, tokens: await issuePair(sid, result.session.claims, result.session.expiresAt, nextJti) };
        case 'grace':
          return { kind: 'grace', claims: result.session.claims };
        case 'reused':
          return { kind: 'refused', reason: 'refresh_token_reused' };
        case 'unknown':
          return { kind: 'refused', reason: 'session_ended' };
      }
    },

    /** The session a refresh token belongs to, without using it (sign-out needs to know which). */
    async inspectRefresh(token: string): Promise<string | undefined> {
      const verified = await opts.verifyRefresh(token);
      return verified.ok ? verified.claims.sid : undefined;
    },

    /** Logout: the access token until its `exp`, and every token of its session. */
    async end(access: VerifiedClaims | undefined, sid: string | undefined): Promise<void> {
      if (access?.jti !== undefined) await opts.store.revokeToken(access.jti, access.exp);
      const session = sid ?? access?.sid;
      // The session's other access tokens die too; none lives longer than this.
      if (session !== undefined) await opts.store.revokeSession(session, nowS() + opts.accessTtlS);
    },

    /** The hot-path revocation check for a verified access token: the token, its session, its user. */
    isRevoked(claims: VerifiedClaims): Promise<boolean> {
      // The verifier accepts a token until exp + skew, so a revocation must hold as long.
      return opts.store.isRevoked(claims.jti, claims.sid, nowS() - opts.clockSkewS, subjectOf(claims));
    },

    /**
     * Ends every session of user `sub` and refuses every token of theirs issued up to this
     * second, access tokens already out included, on every signer and cache within a second.
     */
    async revokeUser(sub: string): Promise<RevokeUserOutcome> {
      const notBeforeS = nowS();
      // The sessions by id too, as long as their access tokens live: a refresh that signed its
      // tokens just after this second, or a signer with a clock ahead, is refused as well.
      const sessions = await opts.store.revokeSubject(sub, notBeforeS, notBeforeS + subjectRevocationS, nowS() + opts.accessTtlS + opts.clockSkewS);
      return { sessions, notBeforeS };
    },

    /** Ends one session of user `sub`; false when it is not a live session of theirs. */
    endSessionOf(sub: string, sid: string): Promise<boolean> {
      return opts.store.endSessionOf(sub, sid, nowS() + opts.accessTtlS);
    },

    /** The live sessions of user `sub`, oldest first. */
    list(sub: string): Promise<SessionInfo[]> {
      return opts.store.listSessions(sub, nowS());
    },
  };
}
