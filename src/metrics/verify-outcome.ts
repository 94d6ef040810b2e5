import type { Decision } from '../auth/check-request.js';
import { toHttp } from '../errors.js';
import type { VerifyOutcome } from './metrics.js';
import { refusalLabel } from './refusal-labels.js';

/** A `/verify` decision as a label value: a silent cookie refresh is `refreshed`, a refusal its reason's label. */
export function verifyOutcome(decision: Decision): VerifyOutcome {
  if (decision.status === 204) return 'public' in decision ? 'public' : decision.cookies === undefined ? 'ok' : 'refreshed';
  if (decision.status === 403) return 'forbidden';
  return refusalLabel(decision.reason);
}

/** A `/verify` that threw: the store could not answer, or the signer itself is broken. */
export function verifyFailure(err: unknown): VerifyOutcome {
  return isStoreUnavailable(err) ? 'store_unavailable' : 'error';
}

/** The store could not answer: what `toHttp` answers as `503 store_unavailable`. */
export function isStoreUnavailable(err: unknown): boolean {
  return toHttp(err).body.error === 'store_unavailable';
}
