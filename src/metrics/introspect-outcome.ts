import type { IntrospectOutcome } from './metrics.js';

/**
 * A `POST /introspect` as a label value, read from its answer: 200 is the token's verdict, 401 the
 * caller refused, 503 the store unavailable (the only 503 the signer gives here), any other 4xx
 * bad input, anything else an error.
 */
export function introspectOutcome(status: number, active: boolean | undefined): IntrospectOutcome {
  if (status === 200) return active === true ? 'active' : 'inactive';
  if (status === 401) return 'unauthorized';
  if (status === 503) return 'store_unavailable';
  return status >= 400 && status < 500 ? 'bad_request' : 'error';
}
