import { StoreUnavailableError, type Store } from '../store/store.js';
import type { FailureLimiter } from '../throttle/limiter.js';
import type { Metrics, StoreOperation } from './metrics.js';

type Errors = Pick<Metrics, 'storeErrors'>;

/** Passes a call's result through, counting a `StoreUnavailableError` rejection under its operation. */
function counted<T>(metrics: Errors, operation: StoreOperation, pending: Promise<T>): Promise<T> {
  return pending.catch((err: unknown) => {
    if (err instanceof StoreUnavailableError) metrics.storeErrors.inc({ operation });
    throw err;
  });
}

/**
 * The store with its outages counted per operation. A plain object rather than a `Proxy`:
 * `isRevoked` runs on every `/verify`, and the operation names stay a fixed label set.
 */
export function instrumentStore(store: Store, metrics: Errors): Store {
  return {
    createSession: (...args) => counted(metrics, 'createSession', store.createSession(...args)),
    rotateRefresh: (...args) => counted(metrics, 'rotateRefresh', store.rotateRefresh(...args)),
    revokeSession: (...args) => counted(metrics, 'revokeSession', store.revokeSession(...args)),
    revokeToken: (...args) => counted(metrics, 'revokeToken', store.revokeToken(...args)),
    revokeSubject: (...args) => counted(metrics, 'revokeSubject', store.revokeSubject(...args)),
    endSessionOf: (...args) => counted(metrics, 'endSessionOf', store.endSessionOf(...args)),
    listSessions: (...args) => counted(metrics, 'listSessions', store.listSessions(...args)),
    isRevoked: (...args) => counted(metrics, 'isRevoked', store.isRevoked(...args)),
    claimNonce: (...args) => counted(metrics, 'claimNonce', store.claimNonce(...args)),
    watchRevocations: (listener, nowS) => store.watchRevocations(listener, nowS),
    revocationsCurrent: () => store.revocationsCurrent(),
    // Never rejects for an outage: it says so in its answer (`/readyz` reports it).
    health: () => store.health(),
    close: () => store.close(),
  };
}

/** The failed-login limiter (the same Redis, when there is one) with its outages counted too. */
export function instrumentLimiter(limiter: FailureLimiter, metrics: Errors): FailureLimiter {
  return {
    acquire: (...args) => counted(metrics, 'limiterAcquire', limiter.acquire(...args)),
    release: (...args) => counted(metrics, 'limiterRelease', limiter.release(...args)),
    reset: (...args) => counted(metrics, 'limiterReset', limiter.reset(...args)),
  };
}
