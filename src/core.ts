import { randomBytes } from 'node:crypto';
import type { Config } from './config/load.js';
import { createRequestChecker, type RequestChecker } from './auth/check-request.js';
import { loginLocation } from './browser/return-to.js';
import { createCsrf } from './browser/csrf.js';
import { createCookieJar, type CookieJar } from './session/cookies.js';
import { createSessions, type Sessions } from './session/sessions.js';
import { MemoryStore } from './store/memory.js';
import type { Store } from './store/store.js';
import { createTokenVerifier, type Verification } from './tokens/verify.js';
import { createTokenIssuer } from './tokens/sign.js';
import { cachedVerifier } from './tokens/verified-cache.js';
import { createCredentialCheck } from './app-check/authenticate.js';
import type { Logger } from './log/logger.js';
import type { SigningKey } from './tokens/keys.js';
import { secretKeys, type KeysSource } from './signing-keys/token-keys.js';
import type { FailureLimiter } from './throttle/limiter.js';
import { createLoginThrottle, type LoginThrottle } from './throttle/login-throttle.js';
import { MemoryFailureLimiter } from './throttle/memory-limiter.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import { instrumentLimiter, instrumentStore } from './metrics/instrument-store.js';
import { countRefreshes } from './metrics/count-refreshes.js';
import { EMPTY_REGISTRY, type ClientsSource } from './service-clients/registry.js';
import { createClientVerifier, type ClientVerification } from './service-clients/verify-client.js';
import { createAuthorizer } from './policy/authorize.js';
import { withPolicy } from './policy/enforce-policy.js';
import type { Policy } from './policy/policy.js';
import { RevocationFeed } from './openresty/revocation-feed.js';
import { generationOf } from './openresty/generation.js';
import { createSessionAdmin, type SessionAdmin } from './admin/session-admin.js';

/** What the signer is built from besides its configuration. */
export interface AppDeps {
  logger: Logger;
  /** The HS256 secret, imported once (see `importHmacKey`). */
  key: SigningKey;
  /** The signing and verification keys of the moment (a reloaded key ring); the secret alone when absent. */
  keys?: KeysSource;
  /** Key for CSRF form tokens, derived from the secret so every instance agrees; random when absent. */
  csrfKey?: Uint8Array;
  /** Key the admin API's callers sign with (`tokengate sessions`), derived from the secret; random when absent (no caller can then get in). */
  adminKey?: Uint8Array;
  /** Sessions and revocations; in memory when absent. */
  store?: Store;
  /**
   * Keys the hashes that name things in the store (limiter keys), derived from the secret so
   * every instance agrees; random when absent (one instance, in memory).
   */
  storeKey?: Uint8Array;
  /** Failed-login counts (`RedisFailureLimiter` beside a Redis store); in memory when absent. */
  limiter?: FailureLimiter;
  /** Servers registered to call with their own signed tokens (CLIENTS_DIR, reloaded); none when absent. */
  clients?: ClientsSource;
  /** The authorization policy of the moment (POLICY_FILE, reloaded); absent, every path needs a valid identity and nothing more. */
  policy?: () => Policy;
  /** Milliseconds since the epoch; tests freeze it. */
  now?: () => number;
  /** The metrics to count in; new ones when absent. A cluster worker passes its own, so the primary can add every worker's up. */
  metrics?: Metrics;
}

/** The signer's working parts, shared by the signer app and the embedded front. */
export interface Core {
  logger: Logger;
  config: Config;
  authenticate: ReturnType<typeof createCredentialCheck>;
  sessions: Sessions;
  cookies: CookieJar;
  csrf: ReturnType<typeof createCsrf>;
  check: RequestChecker;
  verifyAccess: (token: string) => Promise<Verification>;
  /** Checks a registered client's own signed token (`Authorization: JWT`), claiming its nonce: the one `/verify` uses. */
  verifyClient: (token: string) => Promise<ClientVerification>;
  store: Store;
  /** The keys of the moment: the issuer signs with them, the verifiers and `/.well-known/jwks.json` read them. */
  keys: KeysSource;
  /** Counters and histograms, in a registry of this core's own (`GET /metrics` on the signer). */
  metrics: Metrics;
  /** Failed-login throttling around `authenticate`. */
  throttle: LoginThrottle;
  /** Milliseconds since the epoch (frozen in tests). */
  now: () => number;
  /** Sessions administration (the admin API and the admin page): checked, audited. */
  admin: SessionAdmin;
  /** The admin API's callers' signing key (see `AppDeps.adminKey`). */
  adminKey: Uint8Array;
  /** What the OpenResty front's identity cache polls (`GET /revocations`). */
  edge: {
    feed: RevocationFeed;
    /** Changes whenever the keys or the policy change (see `generationOf`). */
    generation: () => Promise<string>;
    /** Whether a decision may depend on the path and method (a policy is set): cache entries are then per request line. */
    pathScoped: boolean;
  };
}

/** Builds the parts once, with every security default pinned from the configuration. */
export function createCore(config: Config, deps: AppDeps): Core {
  const clock = deps.now ? { now: deps.now } : {};
  const metrics = deps.metrics ?? createMetrics();
  const store = instrumentStore(deps.store ?? new MemoryStore(deps.now ? () => Math.floor(deps.now!() / 1000) : undefined), metrics);
  const keys = deps.keys ?? constant(secretKeys(deps.key));
  const verifierOptions = { keys, issuer: config.ISSUER, audience: config.AUDIENCE, clockSkewSeconds: config.CLOCK_SKEW_S, ...clock };
  const verifyAccess = cachedVerifier(createTokenVerifier(verifierOptions), {
    max: config.VERIFY_CACHE_SIZE,
    keys,
    ...clock,
    onLookup: (hit) => metrics.verifyCache.inc({ result: hit ? 'hit' : 'miss' }),
  });
  const sessions = countRefreshes(
    createSessions({
      issue: createTokenIssuer({ keys, issuer: config.ISSUER, audience: config.AUDIENCE, ttlSeconds: config.TOKEN_TTL_S, ...clock }),
      verifyRefresh: createTokenVerifier({ ...verifierOptions, kind: 'refresh' }),
      store,
      accessTtlS: config.TOKEN_TTL_S,
      refreshTtlS: config.REFRESH_TTL_S,
      sessionMaxAgeS: config.SESSION_MAX_AGE_S,
      graceS: config.REFRESH_GRACE_S,
      clockSkewS: config.CLOCK_SKEW_S,
      ...clock,
    }),
    metrics,
  );
  const cookies = createCookieJar({ secure: config.COOKIE_SECURE });
  const feed = new RevocationFeed(deps.now);
  // Those still in force for a token within its leeway too: a predecessor may not have told anyone yet.
  store.watchRevocations((revocation) => feed.record(revocation), Math.floor((deps.now ?? Date.now)() / 1000) - config.CLOCK_SKEW_S);
  const verifyClient = createClientVerifier({ clients: deps.clients ?? (() => EMPTY_REGISTRY), store, windowS: config.CLIENT_TOKEN_WINDOW_S, ...clock });
  const throttle = createLoginThrottle({
    hashKey: deps.storeKey ?? randomBytes(32),
    limiter: instrumentLimiter(deps.limiter ?? new MemoryFailureLimiter(deps.now), metrics),
    logger: deps.logger,
    windowS: config.LOGIN_WINDOW_S,
    maxPerUser: config.LOGIN_MAX_FAILURES_PER_USER,
    maxPerAddress: config.LOGIN_MAX_FAILURES_PER_ADDRESS,
    ...clock,
  });
  return {
    logger: deps.logger,
    config,
    authenticate: createCredentialCheck({ url: config.AUTHENTICATE_URL, timeoutMs: config.AUTHENTICATE_TIMEOUT_MS }),
    sessions,
    cookies,
    csrf: createCsrf({ key: deps.csrfKey ?? randomBytes(32), ...clock }),
    check: withPolicy(
      createRequestChecker({
        verify: verifyAccess,
        sessions,
        cookies,
        loginLocation: (uri) => loginLocation(config.PUBLIC_ORIGIN, uri),
        claimHeaders: config.CLAIM_HEADERS,
        verifyClient,
      }),
      deps.policy && createAuthorizer({ policy: deps.policy, logger: deps.logger }),
    ),
    verifyAccess,
    verifyClient,
    store,
    keys,
    metrics,
    throttle,
    admin: createSessionAdmin(sessions, deps.logger),
    adminKey: deps.adminKey ?? randomBytes(32),
    now: deps.now ?? Date.now,
    edge: { feed, generation: generationOf(keys, () => deps.policy?.()), pathScoped: deps.policy !== undefined },
  };
}

const constant =
  <T>(value: T) =>
  (): T =>
    value;
