import { extractToken, type CredentialSources } from '../tokens/extract.js';
import type { Verification } from '../tokens/verify.js';
import { identityHeaders, type IdentityHeaders } from './identity-headers.js';

/** What `/verify` answers: 204 with identity, or 401 with the `WWW-Authenticate` challenge. */
export type Decision =
  | { status: 204; headers: IdentityHeaders; sub: string }
  | { status: 401; challenge: string; reason: string };

const REALM = 'realm="tokengate"';

/** RFC 6750 §3: no error code when no credentials were sent at all. */
const challenge = (error?: 'invalid_token' | 'invalid_request') =>
  error ? `Bearer ${REALM}, error="${error}"` : `Bearer ${REALM}`;

/** The whole `/verify` decision, shared by the signer route and the embedded front. */
export function createRequestChecker(verify: (token: string) => Promise<Verification>) {
  return async (src: CredentialSources): Promise<Decision> => {
    const found = extractToken(src);
    if (found.kind === 'none') return { status: 401, challenge: challenge(), reason: 'no_token' };
    if (found.kind === 'malformed') return { status: 401, challenge: challenge('invalid_request'), reason: found.reason };
    const result = await verify(found.token);
    if (!result.ok) return { status: 401, challenge: challenge('invalid_token'), reason: result.reason };
    return { status: 204, headers: identityHeaders(result.claims), sub: result.claims.sub };
  };
}

export type RequestChecker = ReturnType<typeof createRequestChecker>;

/** Reads every `Authorization` header from Node's raw header list (Node keeps only the first otherwise). */
export function authorizationHeaders(rawHeaders: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === 'authorization') out.push(rawHeaders[i + 1]!);
  }
  return out;
}
