import { hkdfSync } from 'node:crypto';
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

/** A caller's credential: a JWT naming `actor`, for `Authorization: Bearer`. */
export function signAdminToken(key: Uint8Array, actor: string, nowMs: number = Date.now()): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'tokengate-admin+jwt' })
    .setSubject(ACTOR.test(actor) ? actor : 'unknown')
    .setAudience(AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ADMIN_TOKEN_TTL_S)
    .sign(key);
}

/**
 * The caller named by an admin API credential, or undefined when it is not one: signed with the
 * admin key (HS256 only), for the admin API, unexpired and not issued in the future (beyond
 * `skewS`), and never good for longer than ADMIN_TOKEN_TTL_S whatever it says. A user's or a
 * client's token never passes: neither is signed with this key, nor has this audience.
 */
export async function verifyAdminToken(key: Uint8Array, token: string, skewS: number, nowMs: number = Date.now()): Promise<string | undefined> {
  if (token.length > 1024) return undefined;
  try {
    const { payload, protectedHeader } = await jwtVerify(token, key, {
      algorithms: ['HS256'],
      audience: AUDIENCE,
      typ: 'tokengate-admin+jwt',
      requiredClaims: ['sub', 'iat', 'exp'],
      maxTokenAge: ADMIN_TOKEN_TTL_S + skewS,
      clockTolerance: skewS,
      currentDate: new Date(nowMs),
    });
    if (protectedHeader.alg !== 'HS256' || typeof payload.sub !== 'string' || !ACTOR.test(payload.sub)) return undefined;
    if ((payload.iat ?? Infinity) > nowMs / 1000 + skewS) return undefined;
    return payload.sub;
  } catch {
    return undefined;
  }
}
