import type { IdentityClaims } from '../tokens/claims.js';

/** Who `/verify` let through: a user (a token the gateway signed) or a registered client (a token it signed itself). */
export type IdentityKind = 'user' | 'client';

/** The headers nginx copies to the upstream; names match the nginx template's `auth_request_set`. */
export interface IdentityHeaders {
  'X-Auth-Sub': string;
  'X-Auth-Roles': string;
  'X-Auth-Claims': string;
  'X-Auth-Kind': IdentityKind;
}

/** Sub and roles are already checked header-safe by the claims schema; the full payload goes base64url. */
export function identityHeaders(claims: IdentityClaims & Record<string, unknown>, kind: IdentityKind = 'user'): IdentityHeaders {
  return {
    'X-Auth-Sub': claims.sub,
    'X-Auth-Roles': (claims.roles ?? []).join(','),
    'X-Auth-Claims': Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url'),
    // Always set, users too: the app can tell the two apart without guessing from the claims.
    'X-Auth-Kind': kind,
  };
}
