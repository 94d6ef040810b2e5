import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import type { KeysSource } from '../signing-keys/token-keys.js';
import { GATEWAY_CLAIMS } from './claims.js';
import { TOKEN_TYPES, type TokenKind } from './types.js';
import { MAX_TOKEN_LENGTH } from './limits.js';

export interface IssuerOptions {
  /** The keys of the moment; the active one signs (read per token, so a reload applies at once). */
  keys: KeysSource;
  issuer: string;
  audience?: string | undefined;
  ttlSeconds: number;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
}

export interface IssuedToken {
  token: string;
  /** Seconds until `exp`. */
  expiresIn: number;
  jti: string;
  /** `exp`, unix seconds. */
  expiresAt: number;
}

export interface IssueOptions {
  /** Access (default) or refresh; sets the `typ` header. */
  kind?: TokenKind;
  /** Gateway-owned claims put after the caller's, such as the session id `sid`. */
  own?: Record<string, string>;
  /** Ends the token earlier than its usual lifetime (unix seconds), e.g. at the session end. */
  notAfter?: number;
  /** Lifetime for this token instead of the issuer's, in seconds. */
  ttlSeconds?: number;
  /** A `jti` chosen by the caller (a store already knows it); random by default. */
  jti?: string;
}

/** The token would be longer than any verifier accepts. */
export class TokenTooLargeError extends Error {
  override name = 'TokenTooLargeError';
}

/** 128 random bits, base64url: a token id no one can guess. */
export const newJti = (): string => randomBytes(16).toString('base64url');

export type TokenIssuer = (claims: Record<string, unknown>, options?: IssueOptions) => Promise<IssuedToken>;

/** Builds the signer; `alg` comes from the active key, and `iss`, `aud` and lifetime are pinned here, not per call. */
export function createTokenIssuer(opts: IssuerOptions): TokenIssuer {
  const now = opts.now ?? Date.now;
  return async (claims, options = {}) => {
    const payload: Record<string, unknown> = { ...claims };
    for (const name of GATEWAY_CLAIMS) delete payload[name];
    Object.assign(payload, options.own);
    const iat = Math.floor(now() / 1000);
    const exp = Math.min(iat + (options.ttlSeconds ?? opts.ttlSeconds), options.notAfter ?? Infinity);
    const jti = options.jti ?? newJti();
    const signer = opts.keys().signer;
    const header = { alg: signer.alg, typ: TOKEN_TYPES[options.kind ?? 'access'], ...(signer.kid !== undefined ? { kid: signer.kid } : {}) };
    const jwt = new SignJWT(payload).setProtectedHeader(header).setIssuedAt(iat).setExpirationTime(exp).setJti(jti).setIssuer(opts.issuer);
    if (opts.audience !== undefined) jwt.setAudience(opts.audience);
    const token = await jwt.sign(signer.key);
    if (token.length > MAX_TOKEN_LENGTH) {
      throw new TokenTooLargeError(`the claims make a ${token.length}-character token; the limit is ${MAX_TOKEN_LENGTH}`);
    }
    return { token, expiresIn: exp - iat, jti, expiresAt: exp };
  };
}
