import type { IdentityClaims } from '../tokens/claims.js';

/** The headers nginx copies to the upstream; names match the nginx template's `auth_request_set`. */
export interface IdentityHeaders {
  'X-Auth-Sub': string;
  'X-Auth-Roles': string;
  'X-Auth-Claims': string;
}

/** Sub and roles are already checked header-safe by the claims schema; the full payload goes base64url. */
export function identityHeaders(claims: IdentityClaims & Record<string, unknown>): IdentityHeaders {
  return {
    'X-Auth-Sub': claims.sub,
    'X-Auth-Roles': (claims.roles ?? []).join(','),
    'X-Auth-Claims': Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url'),
  };
}
