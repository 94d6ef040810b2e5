import { hkdfSync, randomBytes } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';

/** The HKDF `info` the admin API key is derived from the signing secret with (the signer and the CLI both). */
export const ADMIN_KEY_PURPOSE = 'tokengate admin api v1';

/** The admin API's callers' tokens: this audience, HS256 under the derived key, and short-lived. */
const AUDIENCE = 'tokengate-admin-api';
/** A caller's token is good for this long; the CLI signs one per call. */
export const ADMIN_TOKEN_TTL_S = 60;
/** Who may be named as the caller (audit logs show it): a short printable name. */
const ACTOR = /^[\x21-\x7e]{1,64}$/;

/** The admin API key for a signing secret, as the signer derives it. */
export function adminKeyFor(secret: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, new Uint8Array(0), ADMIN_KEY_PURPOSE, 32));
}

/** The one request a credential is for: its method and its path as sent (query included). */
export interface AdminRequest {
  method: string;
  path: string;
}

/** What a good credential says: who, and its one-time id (the API claims it once, like a client's nonce). */
export interface AdminCaller {
  actor: string;
  jti: string;
}

/**
 * A caller's credential for one request: a JWT naming `actor`, bound to `request` (`htm`, `htu`,
 * as in DPoP) and with a fresh `jti`, for `Authorization: Bearer`. Seen on the wire, it is good
 * for that request only, once.
 */
export function signAdminToken(key: Uint8Array, actor: string, request: AdminRequest, nowMs: number = Date.now()): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({ htm: request.method, htu: request.path })
    .setJti(randomBytes(16).toString('base64url'))
    .setProtectedHeader({ alg: 'HS256', typ: 'tokengate-admin+jwt' })
    .setSubject(ACTOR.test(actor) ? actor : 'unknown')
    .setAudience(AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ADMIN_TOKEN_TTL_S)
    .sign(key);
}

/**
 * The caller named by an admin API credential, or undefined when it is not one: signed with the
 * admin key (HS256 only), for the admin API and for this very request (method and path),
 * unexpired and not issued in the future (beyond `skewS`), and never good for longer than
 * ADMIN_TOKEN_TTL_S whatever it says. A user's or a client's token never passes: neither is
 * signed with this key, nor has this audience. The caller must still claim its `jti` once.
 */
export async function verifyAdminToken(
  key: Uint8Array,
  token: string,
  skewS: number,
  request: AdminRequest,
  nowMs: number = Date.now(),
): Promise<AdminCaller | undefined> {
  if (token.length > 1024) return undefined;
  try {
    const { payload, protectedHeader } = await jwtVerify(token, key, {
      algorithms: ['HS256'],
      audience: AUDIENCE,
      typ: 'tokengate-admin+jwt',
      requiredClaims: ['sub', 'iat', 'exp', 'jti', 'htm', 'htu'],
      maxTokenAge: ADMIN_TOKEN_TTL_S + skewS,
      clockTolerance: skewS,
      currentDate: new Date(nowMs),
    });
    if (protectedHeader.alg !== 'HS256' || typeof payload.sub !== 'string' || !ACTOR.test(payload.sub)) return undefined;
    if ((payload.iat ?? Infinity) > nowMs / 1000 + skewS) return undefined;
    if (payload.htm !== request.method || payload.htu !== request.path) return undefined;
    if (typeof payload.jti !== 'string' || !/^[A-Za-z0-9_-]{16,64}$/.test(payload.jti)) return undefined;
    return { actor: payload.sub, jti: payload.jti };
  } catch {
    return undefined;
  }
}

/**
 * The store's nonce namespace for admin credentials: a registered client's name never holds `:`,
 * so no client nonce shares its keys. A `jti` is remembered longer than any credential verifies.
 */
export const ADMIN_NONCE_CLIENT = 'tokengate-admin:';
export const adminNonceTtlS = (skewS: number) => ADMIN_TOKEN_TTL_S + 2 * skewS + 1;
