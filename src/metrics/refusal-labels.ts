import { FORBIDDEN_HEADER, type RefusalReason } from '../auth/refusal-reason.js';
import type { TokenRefusal } from '../tokens/refusal.js';
import type { TokenReason, VerifyOutcome } from './metrics.js';

/**
 * Every refusal reason as its label in `tokengate_verify_total`: the compiler refuses a reason
 * without one, or a label outside the fixed set. The token verifier's own reasons fold into
 * `TokenReason` (checked by `tokenReason` below), which the refresh counter shares.
 */
const LABELS = {
  // The token verifier (`tokens/verify.ts`): jose's codes and the gateway's own.
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
  invalid: 'invalid',
  // The key ring's refusals (`signing-keys/keyring-verifier.ts`): no key of ours signed it.
  unknown_kid: 'unknown_key',
  missing_kid: 'unknown_key',
  bad_kid: 'malformed',
  untrusted_header: 'bad_signature',
  alg_mismatch: 'bad_signature',
  // A client's token (`service-clients/verify-client.ts`); a replay is an outcome of its own.
  unknown_client: 'unknown_key',
  bad_signature: 'bad_signature',
  alg_not_allowed: 'bad_signature',
  outside_window: 'expired',
  claims_refused: 'invalid_claims',
  bad_username: 'invalid_claims',
  bad_time: 'invalid_claims',
  bad_nonce: 'invalid_claims',
  conflicting_claims: 'invalid_claims',
  replayed: 'replayed',
  // The request and the session (`auth/check-request.ts`, `session/sessions.ts`).
  no_token: 'no_token',
  revoked: 'revoked',
  session_ended: 'session_ended',
  refresh_token_reused: 'refresh_reused',
  unsafe_claim_header: 'invalid_claims',
  [FORBIDDEN_HEADER]: 'forbidden_header',
  // Malformed credentials (`tokens/extract.ts`): an `invalid_request`, whatever the token.
  'several Authorization headers': 'malformed',
  'several jwt parameters': 'malformed',
  'a token in both the header and the query': 'malformed',
  'bad jwt parameter': 'malformed',
  'empty Authorization header': 'malformed',
  'empty bearer token': 'malformed',
  'empty client token': 'malformed',
  'bad characters': 'malformed',
  'bad client token': 'malformed',
  'unsupported scheme': 'malformed',
  'bad bearer token': 'malformed',
} as const satisfies Record<RefusalReason, VerifyOutcome>;

/** A refusal reason as its `/verify` outcome label. */
export function refusalLabel(reason: RefusalReason): VerifyOutcome {
  // The type rules out any other reason; at run time one would still count as `invalid`, never as a label of its own.
  return Object.hasOwn(LABELS, reason) ? LABELS[reason] : 'invalid';
}

/** A token verifier's reason as its label; the type says each folds into the token reasons. */
export function tokenReason(reason: TokenRefusal): TokenReason {
  return Object.hasOwn(LABELS, reason) ? LABELS[reason] : 'invalid';
}
