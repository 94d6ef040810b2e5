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
  return async (src: RequestCredentials): Promise<Decision> => {
    // X-Auth-* is the gateway's namespace. A client that sends any such header is refused, so
    // no spelling or extra name can reach the app, even through a location that does not
    // overwrite the three the template sets.
    if (src.identityHeaderNames.length > 0) return { status: 401, challenge: challenge('invalid_request'), reason: 'client sent X-Auth-* headers' };
    const found = extractToken(src);
    if (found.kind === 'none') return { status: 401, challenge: challenge(), reason: 'no_token' };
    if (found.kind === 'malformed') return { status: 401, challenge: challenge('invalid_request'), reason: found.reason };
    const result = await verify(found.token);
    if (!result.ok) return { status: 401, challenge: challenge('invalid_token'), reason: result.reason };
    return { status: 204, headers: identityHeaders(result.claims), sub: result.claims.sub };
  };
}

export type RequestChecker = ReturnType<typeof createRequestChecker>;

/** What the decision reads from a request: its credentials and any identity headers it tried to send. */
export interface RequestCredentials extends CredentialSources {
  /** Names of headers in the gateway's `X-Auth-*` namespace (any case, `-` or `_`) the client sent. */
  identityHeaderNames: readonly string[];
}

const IDENTITY_NAMESPACE = /^x[-_]auth[-_]/i;

/**
 * Reads the credentials from Node's raw header list, which keeps every `Authorization` header
 * (Node's parsed headers keep only the first) and every header name as the client spelled it.
 */
export function requestCredentials(rawHeaders: readonly string[], originalUri: string | undefined): RequestCredentials {
  const authorization: string[] = [];
  const identityHeaderNames: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.toLowerCase() === 'authorization') authorization.push(rawHeaders[i + 1]!);
    else if (IDENTITY_NAMESPACE.test(name)) identityHeaderNames.push(name);
  }
  return { authorization, identityHeaderNames, originalUri };
}
