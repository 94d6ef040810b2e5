import type { Decision } from '../auth/check-request.js';
import { toHttp } from '../errors.js';
import type { VerifyOutcome } from './metrics.js';
import { tokenReason } from './token-reason.js';

/** The reason `check-request.ts` gives when a client sends its own `X-Auth-*` headers. */
const FORBIDDEN_HEADER_REASON = 'client sent X-Auth-* headers';

/** A `/verify` decision as a label value: a silent cookie refresh is `refreshed`, a refusal its folded reason. */
export function verifyOutcome(decision: Decision): VerifyOutcome {
  if (decision.status === 204) return 'public' in decision ? 'public' : decision.cookies === undefined ? 'ok' : 'refreshed';
  if (decision.status === 403) return 'forbidden';
  switch (decision.reason) {
    case 'no_token':
    case 'revoked':
    case 'session_ended':
      return decision.reason;
    case 'refresh_token_reused':
      return 'refresh_reused';
    case 'replayed':
      return 'replayed';
    case FORBIDDEN_HEADER_REASON:
      return 'forbidden_header';
  }
  // The extractor's refusals are sentences (several headers, a bad scheme...); all of them,
  // and only they, answer `invalid_request`.
  if (decision.challenge.includes('error="invalid_request"')) return 'malformed';
  return tokenReason(decision.reason);
}

/** A `/verify` that threw: the store could not answer, or the signer itself is broken. */
export function verifyFailure(err: unknown): VerifyOutcome {
  return isStoreUnavailable(err) ? 'store_unavailable' : 'error';
}

/** The store could not answer: what `toHttp` answers as `503 store_unavailable`. */
export function isStoreUnavailable(err: unknown): boolean {
  return toHttp(err).body.error === 'store_unavailable';
}
