import type { TokenReason } from './metrics.js';

/** The verifier's own reasons and jose's error codes (`tokens/verify.ts`), folded into the label set. */
const REASONS: Record<string, TokenReason> = {
  ERR_JWT_EXPIRED: 'expired',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'bad_signature',
  // `alg: none`, RS256 and the like: no HS256 signature to speak of.
  ERR_JOSE_ALG_NOT_ALLOWED: 'bad_signature',
  ERR_JWS_INVALID: 'malformed',
  ERR_JWT_INVALID: 'malformed',
  ERR_JOSE_NOT_SUPPORTED: 'malformed',
  malformed: 'malformed',
  token_too_long: 'malformed',
  // Another spelling of a token (unused low bits set, an impossible length): refused as malformed.
  non_canonical: 'malformed',
  ERR_JWT_CLAIM_VALIDATION_FAILED: 'invalid_claims',
  wrong_token_type: 'invalid_claims',
  iat_in_future: 'invalid_claims',
  unsafe_claims: 'invalid_claims',
  bad_session_claims: 'invalid_claims',
  unsafe_claim_header: 'invalid_claims',
  // The key ring's refusals (`keys/keyring-verifier.ts`): no key of ours signed it.
  unknown_kid: 'unknown_key',
  missing_kid: 'unknown_key',
  bad_kid: 'malformed',
  untrusted_header: 'bad_signature',
  alg_mismatch: 'bad_signature',
  // A client's token (`clients/verify-client.ts`; `replayed` is an outcome of its own).
  unknown_client: 'unknown_key',
  bad_signature: 'bad_signature',
  alg_not_allowed: 'bad_signature',
  outside_window: 'expired',
  claims_refused: 'invalid_claims',
  bad_username: 'invalid_claims',
  bad_time: 'invalid_claims',
  bad_nonce: 'invalid_claims',
  conflicting_claims: 'invalid_claims',
};

/** A verifier reason as a label value; anything unforeseen is `invalid`, never the reason itself. */
export function tokenReason(reason: string): TokenReason {
  return Object.hasOwn(REASONS, reason) ? REASONS[reason]! : 'invalid';
}
