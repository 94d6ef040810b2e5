import type { KeyRejection } from '../signing-keys/keyring-verifier.js';
import type { ShapeRefusal } from './token-shape.js';

/** The codes of jose's errors that a verification can end with; any other is `invalid`. */
export const JOSE_REFUSALS = [
  'ERR_JWT_EXPIRED',
  'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'ERR_JOSE_ALG_NOT_ALLOWED',
  'ERR_JWS_INVALID',
  'ERR_JWT_INVALID',
  'ERR_JOSE_NOT_SUPPORTED',
  'ERR_JWT_CLAIM_VALIDATION_FAILED',
] as const;
export type JoseRefusal = (typeof JOSE_REFUSALS)[number];

/**
 * Why `createTokenVerifier` refused an access or refresh token: its text (`token-shape.ts`), the
 * key ring (`keyring-verifier.ts`), jose, or the gateway's own checks; `invalid` for anything
 * unforeseen. Each has a metric label (`metrics/refusal-labels.ts`) and a sentence for
 * `tokengate verify` (`cli/verify-reasons.ts`), both checked by the compiler.
 */
export type TokenRefusal =
  | ShapeRefusal
  | KeyRejection
  | JoseRefusal
  | 'wrong_token_type'
  | 'iat_in_future'
  | 'unsafe_claims'
  | 'bad_session_claims'
  | 'invalid';

const JOSE = new Set<string>(JOSE_REFUSALS);

/** A jose error code as a refusal; a code tokengate does not know is `invalid`, never the code itself. */
export function joseRefusal(code: string): JoseRefusal | 'invalid' {
  return JOSE.has(code) ? (code as JoseRefusal) : 'invalid';
}
