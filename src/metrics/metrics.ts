import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** What a `POST /login` came to; one per request. */
export const LOGIN_OUTCOMES = ['success', 'failed', 'throttled', 'upstream_error', 'bad_request', 'store_unavailable', 'error'] as const;
export type LoginOutcome = (typeof LOGIN_OUTCOMES)[number];

/** Why a token was refused, folded from the verifier's reasons into a fixed set (see `refusal-labels.ts`). */
export const TOKEN_REASONS = ['expired', 'bad_signature', 'unknown_key', 'malformed', 'invalid_claims', 'invalid'] as const;
export type TokenReason = (typeof TOKEN_REASONS)[number];

/** What a `/verify` decided; one per request. */
export const VERIFY_OUTCOMES = [
  'ok',
  'refreshed',
  'no_token',
  ...TOKEN_REASONS,
  'revoked',
  'session_ended',
  'refresh_reused',
  /** A client token whose nonce was used before (a replay), well signed and in its window. */
  'replayed',
  'forbidden_header',
  /** A valid identity the policy refuses (403). */
  'forbidden',
  /** A public path of the policy: passed without identity. */
  'public',
  'store_unavailable',
  'error',
] as const;
export type VerifyOutcome = (typeof VERIFY_OUTCOMES)[number];

/** What a `POST /introspect` came to; one per request (`unauthorized`: the caller, not the token, was refused). */
export const INTROSPECT_OUTCOMES = ['active', 'inactive', 'unauthorized', 'bad_request', 'store_unavailable', 'error'] as const;
export type IntrospectOutcome = (typeof INTROSPECT_OUTCOMES)[number];

/** What presenting a refresh token (API or cookie) came to; `refused` carries a `reason`. */
export const REFRESH_OUTCOMES = ['rotated', 'grace', 'reused', 'refused', 'error'] as const;
export type RefreshOutcome = (typeof REFRESH_OUTCOMES)[number];
/** The `reason` of a `refused` refresh. */
export const REFRESH_REFUSALS = [...TOKEN_REASONS, 'session_ended'] as const;
/** The `reason` of a refresh that threw (`error`). */
export const REFRESH_ERRORS = ['store_unavailable', 'internal'] as const;
export type RefreshReason = (typeof REFRESH_REFUSALS)[number] | (typeof REFRESH_ERRORS)[number];

/** Every store and limiter call that can reject with `StoreUnavailableError`. */
export const STORE_OPERATIONS = [
  'createSession',
  'rotateRefresh',
  'revokeSession',
  'revokeToken',
  'isRevoked',
  'revokeSubject',
  'endSessionOf',
  'listSessions',
  'claimNonce',
  'limiterAcquire',
  'limiterRelease',
  'limiterReset',
] as const;
export type StoreOperation = (typeof STORE_OPERATIONS)[number];

/**
 * The gauge a cluster's primary adds to every scrape it answers (`server/cluster-primary-metrics.ts`),
 * declared here so the metrics reference lists it with the others.
 */
export const WORKERS_GAUGE = {
  name: 'tokengate_signer_workers',
  help: 'Worker processes whose metrics this scrape adds up (SIGNER_WORKERS).',
} as const;

/** Verify is the hot path: from a tenth of a millisecond to nginx's patience for a check. */
const VERIFY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];
/** A login waits for the app's password hash and store writes, up to AUTHENTICATE_TIMEOUT_MS. */
const LOGIN_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The signer's metrics, in a registry of their own (tests build many apps in one process). */
export interface Metrics {
  registry: Registry;
  login: Counter<'outcome'>;
  loginDuration: Histogram;
  verify: Counter<'outcome'>;
  verifyDuration: Histogram;
  /** Lookups in the cache of verified tokens (VERIFY_CACHE_SIZE): a hit skipped the signature check. */
  verifyCache: Counter<'result'>;
  refresh: Counter<'outcome' | 'reason'>;
  introspect: Counter<'outcome'>;
  storeErrors: Counter<'operation'>;
  /** Adds Node's process metrics to the registry, once; called at the first scrape. */
  withProcessMetrics(): Registry;
}

/**
 * Builds the metrics with every label value fixed in advance and shown at 0, so a dashboard
 * sees each series before its first event and no request can invent a label value.
 */
export function createMetrics(): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const login = new Counter({ name: 'tokengate_login_total', help: 'POST /login requests by outcome.', labelNames: ['outcome'] as const, registers });
  const verify = new Counter({
    name: 'tokengate_verify_total',
    help: '/verify (auth_request) decisions by outcome.',
    labelNames: ['outcome'] as const,
    registers,
  });
  const refresh = new Counter({
    name: 'tokengate_refresh_total',
    help: 'Refresh tokens presented (POST /refresh and silent cookie refreshes) by outcome, and reason when refused or failed.',
    labelNames: ['outcome', 'reason'] as const,
    registers,
  });
  const introspect = new Counter({
    name: 'tokengate_introspect_total',
    help: 'POST /introspect (RFC 7662) requests by outcome.',
    labelNames: ['outcome'] as const,
    registers,
  });
  const storeErrors = new Counter({
    name: 'tokengate_store_errors_total',
    help: 'Store and login-limiter calls that failed with the store unavailable, by operation.',
    labelNames: ['operation'] as const,
    registers,
  });
  const verifyCache = new Counter({
    name: 'tokengate_verify_cache_total',
    help: 'Access tokens looked up in the cache of verified tokens (VERIFY_CACHE_SIZE): hit (no signature check) or miss.',
    labelNames: ['result'] as const,
    registers,
  });
  const loginDuration = new Histogram({
    name: 'tokengate_login_duration_seconds',
    help: 'POST /login latency, whatever the outcome.',
    buckets: LOGIN_BUCKETS,
    registers,
  });
  const verifyDuration = new Histogram({
    name: 'tokengate_verify_duration_seconds',
    help: '/verify decision latency, whatever the outcome.',
    buckets: VERIFY_BUCKETS,
    registers,
  });

  for (const outcome of LOGIN_OUTCOMES) login.inc({ outcome }, 0);
  for (const outcome of VERIFY_OUTCOMES) verify.inc({ outcome }, 0);
  for (const outcome of ['rotated', 'grace', 'reused'] as const) refresh.inc({ outcome }, 0);
  for (const reason of REFRESH_REFUSALS) refresh.inc({ outcome: 'refused', reason }, 0);
  for (const reason of REFRESH_ERRORS) refresh.inc({ outcome: 'error', reason }, 0);
  for (const result of ['hit', 'miss'] as const) verifyCache.inc({ result }, 0);
  for (const outcome of INTROSPECT_OUTCOMES) introspect.inc({ outcome }, 0);
  for (const operation of STORE_OPERATIONS) storeErrors.inc({ operation }, 0);

  let processMetrics = false;
  return {
    registry,
    login,
    loginDuration,
    verify,
    verifyDuration,
    verifyCache,
    refresh,
    introspect,
    storeErrors,
    withProcessMetrics() {
      // Lazily: each call starts an event-loop monitor and a GC observer that live as long as
      // the process, which an app that is never scraped (every test app) should not pay for.
      if (!processMetrics) collectDefaultMetrics({ register: registry });
      processMetrics = true;
      return registry;
    },
  };
}
