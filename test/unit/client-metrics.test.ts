import { describe, expect, it } from 'vitest';
import type { Decision } from '../../src/auth/check-request.js';
import type { ClientRefusal } from '../../src/service-clients/verify-client.js';
import type { RefusalReason } from '../../src/auth/refusal-reason.js';
import { verifyOutcome } from '../../src/metrics/verify-outcome.js';

const CHALLENGE = 'JWT realm="tokengate", error="invalid_token"';
const refused = (reason: RefusalReason): Decision => ({ status: 401, challenge: CHALLENGE, reason });

describe('client token refusals as metric labels', () => {
  it.each<[ClientRefusal, string]>([
    ['unknown_client', 'unknown_key'],
    ['bad_signature', 'bad_signature'],
    ['alg_mismatch', 'bad_signature'],
    ['alg_not_allowed', 'bad_signature'],
    ['untrusted_header', 'bad_signature'],
    ['outside_window', 'expired'],
    ['claims_refused', 'invalid_claims'],
    ['bad_username', 'invalid_claims'],
    ['bad_time', 'invalid_claims'],
    ['bad_nonce', 'invalid_claims'],
    ['conflicting_claims', 'invalid_claims'],
    ['wrong_token_type', 'invalid_claims'],
    ['malformed', 'malformed'],
    ['token_too_long', 'malformed'],
    ['non_canonical', 'malformed'],
  ])('counts %s as %s', (reason, label) => {
    expect(verifyOutcome(refused(reason))).toBe(label);
  });

  it('counts a replay under an outcome of its own', () => {
    expect(verifyOutcome(refused('replayed'))).toBe('replayed');
  });
});
