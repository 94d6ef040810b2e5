import { describe, expect, it } from 'vitest';
import type { Decision } from '../../src/auth/check-request.js';
import type { RefusalReason } from '../../src/auth/refusal-reason.js';
import { GatewayError } from '../../src/errors.js';
import { refreshLabels } from '../../src/metrics/count-refreshes.js';
import { loginOutcome, type LoginEnd } from '../../src/metrics/login-outcome.js';
import { LOGIN_OUTCOMES, REFRESH_ERRORS, REFRESH_OUTCOMES, REFRESH_REFUSALS, TOKEN_REASONS, VERIFY_OUTCOMES } from '../../src/metrics/metrics.js';
import { tokenReason } from '../../src/metrics/refusal-labels.js';
import { verifyFailure, verifyOutcome } from '../../src/metrics/verify-outcome.js';
import { StoreUnavailableError } from '../../src/store/store.js';
import { joseRefusal, type TokenRefusal } from '../../src/tokens/refusal.js';

const INVALID_TOKEN = 'Bearer realm="tokengate", error="invalid_token"';
const INVALID_REQUEST = 'Bearer realm="tokengate", error="invalid_request"';
const refused = (reason: RefusalReason, challenge = INVALID_TOKEN): Decision => ({ status: 401, challenge, reason });
const allowed = (cookies?: { access: string; refresh: string }): Decision => ({
  status: 204,
  headers: { 'X-Auth-Sub': 'alice', 'X-Auth-Roles': '', 'X-Auth-Claims': 'e30', 'X-Auth-Kind': 'user' },
  kind: 'user',
  sub: 'alice',
  claims: { sub: 'alice' },
  cookies,
});

describe('tokenReason folds the verifier reasons into a fixed set', () => {
  it.each<[TokenRefusal, string]>([
    ['ERR_JWT_EXPIRED', 'expired'],
    ['ERR_JWS_SIGNATURE_VERIFICATION_FAILED', 'bad_signature'],
    ['ERR_JOSE_ALG_NOT_ALLOWED', 'bad_signature'],
    ['ERR_JWS_INVALID', 'malformed'],
    ['ERR_JWT_INVALID', 'malformed'],
    ['ERR_JOSE_NOT_SUPPORTED', 'malformed'],
    ['malformed', 'malformed'],
    ['token_too_long', 'malformed'],
    ['non_canonical', 'malformed'],
    ['ERR_JWT_CLAIM_VALIDATION_FAILED', 'invalid_claims'],
    ['wrong_token_type', 'invalid_claims'],
    ['iat_in_future', 'invalid_claims'],
    ['unsafe_claims', 'invalid_claims'],
    ['bad_session_claims', 'invalid_claims'],
    ['unknown_kid', 'unknown_key'],
    ['missing_kid', 'unknown_key'],
    ['bad_kid', 'malformed'],
    ['untrusted_header', 'bad_signature'],
    ['alg_mismatch', 'bad_signature'],
    ['invalid', 'invalid'],
  ])('%s is %s', (reason, label) => {
    expect(tokenReason(reason)).toBe(label);
  });

  it.each(['something new', 'ERR_JOSE_GENERIC', 'ERR_JWKS_TIMEOUT', '__proto__', 'constructor', 'toString', ''])(
    'an unforeseen jose code (%j) is refused as "invalid", never as itself',
    (code) => {
      expect(joseRefusal(code)).toBe('invalid');
    },
  );

  it('keeps the jose codes it knows', () => {
    expect(joseRefusal('ERR_JWT_EXPIRED')).toBe('ERR_JWT_EXPIRED');
  });
});

describe('verifyOutcome labels each /verify decision', () => {
  it.each<[string, Decision, string]>([
    ['a valid token or access cookie', allowed(), 'ok'],
    ['a session whose cookies were just rotated', allowed({ access: 'a', refresh: 'r' }), 'refreshed'],
    ['a public path of the policy', { status: 204, public: true, headers: {} }, 'public'],
    ['a valid identity the policy refuses', { status: 403, reason: 'forbidden', page: false }, 'forbidden'],
    ['no credentials at all', refused('no_token', 'Bearer realm="tokengate"'), 'no_token'],
    ['a revoked token', refused('revoked'), 'revoked'],
    ['an ended session', refused('session_ended'), 'session_ended'],
    ['a reused refresh cookie', refused('refresh_token_reused'), 'refresh_reused'],
    ['a client sending X-Auth-* headers', refused('client sent X-Auth-* headers', INVALID_REQUEST), 'forbidden_header'],
    ['two Authorization headers', refused('several Authorization headers', INVALID_REQUEST), 'malformed'],
    ['an unsupported scheme', refused('unsupported scheme', INVALID_REQUEST), 'malformed'],
    ['an empty bearer token', refused('empty bearer token', INVALID_REQUEST), 'malformed'],
    ['an expired token', refused('ERR_JWT_EXPIRED'), 'expired'],
    ['a forged signature', refused('ERR_JWS_SIGNATURE_VERIFICATION_FAILED'), 'bad_signature'],
    ['a token that is not a JWS', refused('malformed'), 'malformed'],
    ['a wrong issuer', refused('ERR_JWT_CLAIM_VALIDATION_FAILED'), 'invalid_claims'],
    ['a refusal the verifier could not name', refused('invalid'), 'invalid'],
    ['a claim that cannot be a header', refused('unsafe_claim_header'), 'invalid_claims'],
  ])('%s', (_name, decision, label) => {
    expect(verifyOutcome(decision)).toBe(label);
  });

  it('labels a check that threw: the store, or anything else', () => {
    expect(verifyFailure(new StoreUnavailableError('down'))).toBe('store_unavailable');
    expect(verifyFailure(new GatewayError('store_unavailable'))).toBe('store_unavailable');
    expect(verifyFailure(new Error('bug'))).toBe('error');
    expect(verifyFailure('thrown string')).toBe('error');
  });
});

describe('refreshLabels', () => {
  it.each([
    [{ kind: 'grace', claims: {} }, { outcome: 'grace' }],
    [{ kind: 'refused', reason: 'refresh_token_reused' }, { outcome: 'reused' }],
    [
      { kind: 'refused', reason: 'session_ended' },
      { outcome: 'refused', reason: 'session_ended' },
    ],
    [
      { kind: 'refused', reason: 'ERR_JWT_EXPIRED' },
      { outcome: 'refused', reason: 'expired' },
    ],
    [
      { kind: 'refused', reason: 'wrong_token_type' },
      { outcome: 'refused', reason: 'invalid_claims' },
    ],
    [
      { kind: 'refused', reason: 'invalid' },
      { outcome: 'refused', reason: 'invalid' },
    ],
  ] as const)('%j is %j', (outcome, labels) => {
    expect(refreshLabels(outcome)).toEqual(labels);
  });
});

describe('loginOutcome reads the outcome from the answer', () => {
  const json = (status: number, errorCode?: LoginEnd['errorCode']): LoginEnd => ({ status, errorCode, form: false });
  const form = (status: number, errorCode?: LoginEnd['errorCode']): LoginEnd => ({ status, errorCode, form: true });

  it.each<[string, LoginEnd, string]>([
    ['JSON tokens', json(200), 'success'],
    ['the app refused the password', json(401), 'failed'],
    ['the app refused the account', json(403), 'failed'],
    ["the app's own 429, passed through", json(429), 'failed'],
    ["the app's 400, passed through", json(400), 'failed'],
    ["the app's 503, passed through", json(503), 'upstream_error'],
    ["the gateway's throttle", json(429, 'too_many_attempts'), 'throttled'],
    ['the store could not answer', json(503, 'store_unavailable'), 'store_unavailable'],
    ['the app unreachable', json(502, 'upstream_unavailable'), 'upstream_error'],
    ['the app too slow', json(504, 'upstream_timeout'), 'upstream_error'],
    ['the app answered nonsense', json(502, 'bad_upstream_response'), 'upstream_error'],
    ['no password', json(400, 'invalid_request'), 'bad_request'],
    ['a body that is not JSON', json(400, 'invalid_json'), 'bad_request'],
    ['a body too large', json(413, 'payload_too_large'), 'bad_request'],
    ['a text/plain body', json(415, 'unsupported_media_type'), 'bad_request'],
    ['a bug', json(500, 'server_error'), 'error'],
    ['a form login that redirects', form(303), 'success'],
    ['a form with a wrong password', form(401), 'failed'],
    ['a form without a valid CSRF token', form(403), 'bad_request'],
    ['a throttled form', form(429), 'throttled'],
    ['a form while the store is down', form(503), 'store_unavailable'],
    ['a form while the app is down', form(502), 'upstream_error'],
    ['a form while the app is slow', form(504), 'upstream_error'],
    ['a form that crashed', form(500), 'error'],
    ['a form whose body the parser refused', form(413, 'payload_too_large'), 'bad_request'],
  ])('%s', (_name, end, label) => {
    expect(loginOutcome(end)).toBe(label);
  });
});

describe('the label sets', () => {
  it('hold no duplicates and only snake_case words', () => {
    for (const set of [LOGIN_OUTCOMES, VERIFY_OUTCOMES, REFRESH_OUTCOMES, REFRESH_REFUSALS, REFRESH_ERRORS, TOKEN_REASONS]) {
      expect(new Set(set).size).toBe(set.length);
      for (const value of set) expect(value).toMatch(/^[a-z]+(?:_[a-z]+)*$/);
    }
  });
});
