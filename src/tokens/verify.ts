import { errors, jwtVerify } from 'jose';
import type { SigningKey } from './keys.js';
import { identityClaims, type IdentityClaims } from './claims.js';
import { MAX_TOKEN_LENGTH } from './limits.js';

export interface VerifierOptions {
  key: SigningKey;
  issuer: string;
  audience?: string | undefined;
  clockSkewSeconds: number;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
}

export type VerifiedClaims = IdentityClaims & Record<string, unknown>;

export type Verification = { ok: true; claims: VerifiedClaims } | { ok: false; reason: string };

/** Three base64url segments; anything else is refused before any crypto. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Builds the verifier with HS256, issuer, audience and leeway pinned; it never throws. */
export function createTokenVerifier(opts: VerifierOptions): (token: string) => Promise<Verification> {
  const now = opts.now ?? Date.now;
  const options = {
    algorithms: ['HS256'],
    issuer: opts.issuer,
    clockTolerance: opts.clockSkewSeconds,
    requiredClaims: ['exp'],
    ...(opts.audience !== undefined ? { audience: opts.audience } : {}),
  };
  return async (token) => {
    if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'token_too_long' };
    if (!COMPACT_JWS.test(token)) return { ok: false, reason: 'malformed' };
    try {
      const at = now();
      const { payload } = await jwtVerify(token, opts.key, { ...options, currentDate: new Date(at) });
      // jose checks that iat is a number but not when it is; a token from the future is refused.
      if (typeof payload.iat === 'number' && payload.iat > at / 1000 + opts.clockSkewSeconds) return { ok: false, reason: 'iat_in_future' };
      const identity = identityClaims.safeParse(payload);
      if (!identity.success) return { ok: false, reason: 'unsafe_claims' };
      return { ok: true, claims: identity.data };
    } catch (err) {
      return { ok: false, reason: err instanceof errors.JOSEError ? err.code : 'invalid' };
    }
  };
}
