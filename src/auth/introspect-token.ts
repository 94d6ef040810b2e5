import type { Sessions } from '../session/sessions.js';
import type { Verification, VerifiedClaims } from '../tokens/verify.js';
import { claimHeaderValues, type ClaimHeader } from './claim-headers.js';
import { verifyUnrevoked } from './check-request.js';
import type { AccessRefusal } from './refusal-reason.js';

/** What introspection says of a token: active with its claims, or inactive and why (the why is never sent). */
export type Introspection = { active: true; claims: VerifiedClaims } | { active: false; reason: AccessRefusal | 'unsafe_claim_header' };

export interface IntrospectorParts {
  /** The signer's access-token verifier (`core.verifyAccess`): the one `/verify` uses. */
  verifyAccess: (token: string) => Promise<Verification>;
  sessions: Pick<Sessions, 'isRevoked'>;
  /** CLAIM_HEADERS: `/verify` refuses a token whose claim cannot be written into its header. */
  claimHeaders: readonly ClaimHeader[];
}

/**
 * The verdict `/verify` gives the same string as a bearer token, step for step (`verifyUnrevoked`,
 * then `allow`'s claim-header check, in check-request.ts): a valid access token, not revoked (by `jti`, session, or whatever
 * else `isRevoked` honours), whose CLAIM_HEADERS claims can be written. Anything else, a refresh
 * token included, is inactive. Throws only when the store cannot answer, as `/verify` does.
 */
export function createIntrospector(parts: IntrospectorParts): (token: string) => Promise<Introspection> {
  return async (token) => {
    const result = await verifyUnrevoked({ verify: parts.verifyAccess, sessions: parts.sessions }, token);
    if (!result.ok) return { active: false, reason: result.reason };
    if (!claimHeaderValues(result.claims, parts.claimHeaders).ok) return { active: false, reason: 'unsafe_claim_header' };
    return { active: true, claims: result.claims };
  };
}
