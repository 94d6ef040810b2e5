import type { Config } from './config/load.js';
import { createRequestChecker, type RequestChecker } from './auth/check-request.js';
import { createTokenIssuer } from './tokens/sign.js';
import { createTokenVerifier } from './tokens/verify.js';
import { createAuthenticateClient } from './upstream/authenticate.js';
import type { Logger } from './log/logger.js';
import type { SigningKey } from './tokens/keys.js';

/** What the signer is built from besides its configuration. */
export interface AppDeps {
  logger: Logger;
  /** The HS256 key, imported once (see `importHmacKey`). */
  key: SigningKey;
  /** Milliseconds since the epoch; tests freeze it. */
  now?: () => number;
}

/** The signer's working parts, shared by the signer app and the embedded front. */
export interface Core {
  logger: Logger;
  authenticate: ReturnType<typeof createAuthenticateClient>;
  issue: ReturnType<typeof createTokenIssuer>;
  check: RequestChecker;
}

/** Builds the parts once, with every security default pinned from the configuration. */
export function createCore(config: Config, deps: AppDeps): Core {
  const clock = deps.now ? { now: deps.now } : {};
  return {
    logger: deps.logger,
    authenticate: createAuthenticateClient({ url: config.AUTHENTICATE_URL, timeoutMs: config.AUTHENTICATE_TIMEOUT_MS }),
    issue: createTokenIssuer({ key: deps.key, issuer: config.ISSUER, audience: config.AUDIENCE, ttlSeconds: config.TOKEN_TTL_S, ...clock }),
    check: createRequestChecker(
      createTokenVerifier({ key: deps.key, issuer: config.ISSUER, audience: config.AUDIENCE, clockSkewSeconds: config.CLOCK_SKEW_S, ...clock }),
    ),
  };
}
