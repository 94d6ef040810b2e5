import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import type { SigningKey } from './keys.js';
import { REGISTERED_CLAIMS } from './claims.js';
import { MAX_TOKEN_LENGTH } from './limits.js';

export interface IssuerOptions {
  key: SigningKey;
  issuer: string;
  audience?: string | undefined;
  ttlSeconds: number;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
}

export interface IssuedToken {
  token: string;
  expiresIn: number;
}

/** The token would be longer than any verifier accepts. */
export class TokenTooLargeError extends Error {
  override name = 'TokenTooLargeError';
}

/** Builds the HS256 signer; `alg`, `iss`, `aud` and lifetime are pinned here, not per call. */
export function createTokenIssuer(opts: IssuerOptions): (claims: Record<string, unknown>) => Promise<IssuedToken> {
  const now = opts.now ?? Date.now;
  return async (claims) => {
    const payload: Record<string, unknown> = { ...claims };
    for (const name of REGISTERED_CLAIMS) delete payload[name];
    const iat = Math.floor(now() / 1000);
    const jwt = new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(iat)
      .setExpirationTime(iat + opts.ttlSeconds)
      .setJti(randomBytes(16).toString('base64url'))
      .setIssuer(opts.issuer);
    if (opts.audience !== undefined) jwt.setAudience(opts.audience);
    const token = await jwt.sign(opts.key);
    if (token.length > MAX_TOKEN_LENGTH) {
      throw new TokenTooLargeError(`the claims make a ${token.length}-character token; the limit is ${MAX_TOKEN_LENGTH}`);
    }
    return { token, expiresIn: opts.ttlSeconds };
  };
}
