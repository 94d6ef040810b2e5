import type { RefreshOutcome as SessionRefresh, Sessions } from '../session/sessions.js';
import type { Metrics, RefreshOutcome, RefreshReason } from './metrics.js';
import { tokenReason } from './refusal-labels.js';
import { isStoreUnavailable } from './verify-outcome.js';

/** Labels of one refresh: what it came to, and why when refused. */
export function refreshLabels(outcome: SessionRefresh): { outcome: RefreshOutcome; reason?: RefreshReason } {
  if (outcome.kind !== 'refused') return { outcome: outcome.kind };
  if (outcome.reason === 'refresh_token_reused') return { outcome: 'reused' };
  if (outcome.reason === 'session_ended') return { outcome: 'refused', reason: 'session_ended' };
  return { outcome: 'refused', reason: tokenReason(outcome.reason) };
}

/**
 * The sessions with every refresh counted, where both callers meet: `POST /refresh` and the
 * silent cookie refresh inside `/verify`.
 */
export function countRefreshes(sessions: Sessions, metrics: Pick<Metrics, 'refresh'>): Sessions {
  return {
    ...sessions,
    async refresh(token, client) {
      let outcome: SessionRefresh;
      try {
        outcome = await sessions.refresh(token, client);
      } catch (err) {
        metrics.refresh.inc({ outcome: 'error', reason: isStoreUnavailable(err) ? 'store_unavailable' : 'internal' });
        throw err;
      }
      metrics.refresh.inc(refreshLabels(outcome));
      return outcome;
    },
  };
}
