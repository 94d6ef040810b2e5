import { errors, jwtVerify } from 'jose';
import { z } from 'zod';
import { keyFunction, KeySelectionError, RING_ALGORITHMS } from '../signing-keys/keyring-verifier.js';
import type { KeysSource } from '../signing-keys/token-keys.js';
import { identityClaims, type IdentityClaims } from './claims.js';
import { MAX_TOKEN_LENGTH } from './limits.js';
import { joseRefusal, type TokenRefusal } from './refusal.js';
import { checkTokenShape } from './token-shape.js';
import { typFits, type TokenKind } from './types.js';

export interface VerifierOptions {
  /** The keys of the moment (read per token, so a reload applies at once). */
  keys: KeysSource;
  /** Which kind of token this verifier accepts (default access); the `typ` header must fit it. */
  kind?: TokenKind;
  issuer: string;
  audience?: string | undefined;
  clockSkewSeconds: number;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
}

export type VerifiedClaims = IdentityClaims & { exp: number; jti?: string; sid?: string } & Record<string, unknown>;

export type Verification = { ok: true; claims: VerifiedClaims } | { ok: false; reason: TokenRefusal };

/** `jti` and `sid` key revocations; when present they must be short strings. */
const sessionClaims = z.object({ jti: z.string().min(1).max(128).optional(), sid: z.string().min(1).max(128).optional() });

/**
 * Builds the verifier with issuer, audience and leeway pinned; the key is chosen by `kid` and the
 * algorithm pinned to that key's, never to what the token claims. It never throws.
 */
export function createTokenVerifier(opts: VerifierOptions): (token: string) => Promise<Verification> {
  const now = opts.now ?? Date.now;
  const kind = opts.kind ?? 'access';
  const options = {
    // Only a cap: the key function below refuses any alg other than the chosen key's own.
    algorithms: [...RING_ALGORITHMS],
    issuer: opts.issuer,
    clockTolerance: opts.clockSkewSeconds,
    // A refresh token is useless without the session it belongs to and its own id.
    requiredClaims: kind === 'refresh' ? ['exp', 'jti', 'sid'] : ['exp'],
    ...(opts.audience !== undefined ? { audience: opts.audience } : {}),
  };
  const selectKey = keyFunction((header) => opts.keys().select(header));
  return async (token) => {
    const misshapen = checkTokenShape(token, MAX_TOKEN_LENGTH);
    if (misshapen !== undefined) return { ok: false, reason: misshapen };
    try {
      const at = now();
      const { payload, protectedHeader } = await jwtVerify(token, selectKey, { ...options, currentDate: new Date(at) });
      if (!typFits(kind, protectedHeader.typ)) return { ok: false, reason: 'wrong_token_type' };
      // jose checks that iat is a number but not when it is; a token from the future is refused.
      if (typeof payload.iat === 'number' && payload.iat > at / 1000 + opts.clockSkewSeconds) return { ok: false, reason: 'iat_in_future' };
      const identity = identityClaims.safeParse(payload);
      if (!identity.success) return { ok: false, reason: 'unsafe_claims' };
      if (!sessionClaims.safeParse(payload).success) return { ok: false, reason: 'bad_session_claims' };
      return { ok: true, claims: identity.data as VerifiedClaims };
    } catch (err) {
      if (err instanceof KeySelectionError) return { ok: false, reason: err.code };
      return { ok: false, reason: err instanceof errors.JOSEError ? joseRefusal(err.code) : 'invalid' };
    }
  };
}
