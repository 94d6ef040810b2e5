import type { Store } from '../store/store.js';
import { newJti, type IssuedToken, type TokenIssuer } from '../tokens/sign.js';
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
  | { kind: 'refused'; reason: string };

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
}

export type Sessions = ReturnType<typeof createSessions>;

/** Login sessions: one refresh-token family each, rotated on every use, revoked as a whole. */
export function createSessions(opts: SessionOptions) {
  const nowS = () => Math.floor((opts.now ?? Date.now)() / 1000);

  async function issuePair(sid: string, claims: Record<string, unknown>, sessionEnd: number, refreshJti: string): Promise<SessionTokens> {
    const own = { sid };
    const access = await opts.issue(claims, { own, notAfter: sessionEnd });
    const refresh = await opts.issue({ sub: claims.sub }, { kind: 'refresh', own, ttlSeconds: opts.refreshTtlS, notAfter: sessionEnd, jti: refreshJti });
    return { sid, access, refresh };
  }

  return {
    /** Starts a session for claims the upstream vouched for. */
    async start(claims: Record<string, unknown>): Promise<SessionTokens> {
      const sid = newJti();
      const expiresAt = nowS() + opts.sessionMaxAgeS;
      const tokens = await issuePair(sid, claims, expiresAt, newJti());
      await opts.store.createSession(sid, tokens.refresh.jti, { claims, expiresAt }, tokens.refresh.expiresAt + opts.clockSkewS);
      return tokens;
    },

    /** Uses a refresh token once; a second use (past the grace window) ends the whole session. */
    async refresh(token: string): Promise<RefreshOutcome> {
      const verified = await opts.verifyRefresh(token);
      if (!verified.ok) return { kind: 'refused', reason: verified.reason };
      // requiredClaims makes both present; the verifier checked they are short strings.
      const { sid, jti } = verified.claims as VerifiedClaims & { sid: string; jti: string };
      const nextJti = newJti();
      const now = nowS();
      // Until the next refresh token can no longer verify (exp plus leeway), the store keeps the family.
      const nextExpiresAt = now + opts.refreshTtlS + opts.clockSkewS;
      // On reuse, the session's access tokens must die; none lives past this.
      const accessHorizon = now + opts.accessTtlS;
      const result = await opts.store.rotateRefresh(sid, jti, nextJti, { nowS: now, graceS: opts.graceS, nextExpiresAt, reuseRevokesUntil: accessHorizon });
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

    /** The hot-path revocation check for a verified access token. */
    isRevoked(claims: VerifiedClaims): Promise<boolean> {
      // The verifier accepts a token until exp + skew, so a revocation must hold as long.
      return opts.store.isRevoked(claims.jti, claims.sid, nowS() - opts.clockSkewS);
    },
  };
}
