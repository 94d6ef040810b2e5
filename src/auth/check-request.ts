import { extractToken, type CredentialSources } from '../tokens/extract.js';
import type { Verification, VerifiedClaims } from '../tokens/verify.js';
import type { Sessions } from '../session/sessions.js';
import type { CookieJar, SessionCookies } from '../session/cookies.js';
import { identityClaims } from '../tokens/claims.js';
import { acceptsHtml } from '../http/accepts-html.js';
import { identityHeaders, type IdentityHeaders, type IdentityKind } from './identity-headers.js';
import type { ClientVerification } from '../service-clients/verify-client.js';
import { claimHeaderValues, type ClaimHeader } from './claim-headers.js';
import type { SessionClient } from '../store/store.js';
import { FORBIDDEN_HEADER, type AccessRefusal, type RefusalReason } from './refusal-reason.js';

/**
 * What `/verify` answers: 204 with identity (or, on a public path of the policy, without), 401
 * with the `WWW-Authenticate` challenge and a login URL for browsers, or 403 for a valid identity
 * the policy refuses (a page for browsers, never a login loop); with cookies to set (a silent
 * refresh) or to clear (a dead session).
 */
export type Decision =
  | {
      status: 204;
      headers: IdentityHeaders & Readonly<Record<string, string>>;
      sub: string;
      kind: IdentityKind;
      claims: Parameters<typeof identityHeaders>[0];
      cookies?: SessionCookies | undefined;
      /**
       * Set only when an access token alone decided (no refresh, no server's one-time token):
       * its `exp`, which bounds how long the answer may be reused (AUTH_CACHE_TTL_S).
       */
      reusableUntilS?: number;
      /**
       * The access token came from the URL (`?jwt=`): a cache keyed on the headers alone (the
       * OpenResty front without a policy) must not keep this answer, since its key would not hold
       * the token that decided it.
       */
      fromQuery?: boolean;
    }
  | { status: 204; public: true; headers: Readonly<Record<string, never>>; cookies?: undefined }
  | { status: 401; challenge: string; reason: RefusalReason; location?: string | undefined; cookies?: SessionCookies | undefined }
  | { status: 403; reason: 'forbidden'; page: boolean; cookies?: SessionCookies | undefined };

export interface CheckerParts {
  verify: (token: string) => Promise<Verification>;
  sessions: Sessions;
  cookies: CookieJar;
  /** The absolute login URL that brings a browser back to `originalUri` afterwards. */
  loginLocation: (originalUri: string | undefined) => string;
  /** CLAIM_HEADERS: claims sent as headers of their own. */
  claimHeaders?: readonly ClaimHeader[];
  /** Checks an `Authorization: JWT` token signed by a registered client; absent, every such token is refused. */
  verifyClient?: (token: string) => Promise<ClientVerification>;
}

const REALM = 'realm="tokengate"';

/** RFC 6750 §3: no error code when no credentials were sent at all. */
const challenge = (error?: 'invalid_token' | 'invalid_request') => (error ? `Bearer ${REALM}, error="${error}"` : `Bearer ${REALM}`);

/** The whole `/verify` decision, shared by the signer route and the embedded front. */
export function createRequestChecker(parts: CheckerParts) {
  const allow = (claims: Parameters<typeof identityHeaders>[0], cookies?: SessionCookies, kind: IdentityKind = 'user'): Decision => {
    const extra = claimHeaderValues(claims, parts.claimHeaders ?? []);
    // A claim that cannot be written raw is never written: refused, and no login page (it would loop).
    if (!extra.ok) return { status: 401, challenge: challenge('invalid_token'), reason: 'unsafe_claim_header', cookies };
    return { status: 204, headers: { ...extra.values, ...identityHeaders(claims, kind) }, sub: claims.sub, kind, claims, cookies };
  };
  /** A valid access token's answer, which may be reused until the token's `exp`. */
  const allowToken = (claims: VerifiedClaims, fromQuery = false): Decision => {
    const decision = allow(claims);
    if (decision.status !== 204 || !('kind' in decision)) return decision;
    return fromQuery ? { ...decision, reusableUntilS: claims.exp, fromQuery } : { ...decision, reusableUntilS: claims.exp };
  };

  const access = (token: string) => verifyUnrevoked(parts, token);

  return async (src: RequestCredentials): Promise<Decision> => {
    // X-Auth-* is the gateway's namespace. A client that sends any such header is refused, so
    // no spelling or extra name can reach the app, even through a location that does not
    // overwrite the three the template sets.
    if (src.identityHeaderNames.length > 0) return { status: 401, challenge: challenge('invalid_request'), reason: FORBIDDEN_HEADER };
    // Browsers navigating are sent to the login page; API clients get the bare 401.
    const browser = isBrowserNavigation(src);
    const deny = (reason: RefusalReason, error?: 'invalid_token' | 'invalid_request', cookies?: SessionCookies): Decision => ({
      status: 401,
      challenge: challenge(error),
      reason,
      location: browser ? parts.loginLocation(src.originalUri) : undefined,
      cookies,
    });

    const found = extractToken(src);
    if (found.kind === 'malformed') return deny(found.reason, 'invalid_request');
    if (found.kind === 'token') {
      const result = await access(found.token);
      return result.ok ? allowToken(result.claims, found.from === 'query') : deny(result.reason, 'invalid_token');
    }
    // `Authorization: JWT <t>`: a server's own signed token (seeds/004), never a user's. Every
    // refusal, an unknown client as a bad signature, gets the same challenge.
    if (found.kind === 'client') {
      const result = parts.verifyClient ? await parts.verifyClient(found.token) : { ok: false as const, reason: 'unknown_client' as const };
      return result.ok ? allow(result.claims, undefined, 'client') : { status: 401, challenge: `JWT ${REALM}, error="invalid_token"`, reason: result.reason };
    }

    // No token in the header or the URL: the browser session's cookies.
    const jar = parts.cookies.read(src.cookie);
    if (jar.access === undefined && jar.refresh === undefined) return deny('no_token');
    if (jar.access !== undefined) {
      const result = await access(jar.access);
      if (result.ok) return allowToken(result.claims);
      if (jar.refresh === undefined) return deny(result.reason, 'invalid_token', parts.cookies.cleared());
    }
    const refreshed = await parts.sessions.refresh(jar.refresh!, src.client?.());
    if (refreshed.kind === 'refused') return deny(refreshed.reason, 'invalid_token', parts.cookies.cleared());
    // Claims were checked at login; parsing again keeps the header-safety promise in one place.
    const claims = identityClaims.parse(refreshed.claims);
    return refreshed.kind === 'rotated' ? allow(claims, parts.cookies.session(refreshed.tokens)) : allow(claims);
  };
}

export type RequestChecker = ReturnType<typeof createRequestChecker>;

/** An access token's verdict once revocation is checked too. */
export type Unrevoked = { ok: true; claims: VerifiedClaims } | { ok: false; reason: AccessRefusal };

/**
 * An access token's verdict as `/verify` reads a bearer token: its claims when valid and not
 * revoked (by `jti`, session or user), else why not. Introspection asks the same question.
 */
export async function verifyUnrevoked(parts: Pick<CheckerParts, 'verify'> & { sessions: Pick<Sessions, 'isRevoked'> }, token: string): Promise<Unrevoked> {
  const result = await parts.verify(token);
  if (!result.ok) return result;
  if (await parts.sessions.isRevoked(result.claims)) return { ok: false, reason: 'revoked' };
  return result;
}

/** A browser navigating (HTML wanted, no `Authorization`): it gets pages and redirects, not bare statuses. */
export function isBrowserNavigation(src: RequestCredentials): boolean {
  return src.authorization.length === 0 && acceptsHtml(src.accept);
}

/** What the decision reads from a request. */
export interface RequestCredentials extends CredentialSources {
  /** Names of headers in the gateway's `X-Auth-*` namespace (any case, `-` or `_`) the client sent. */
  identityHeaderNames: readonly string[];
  /** Every `Cookie` header, joined as one. */
  cookie?: string | undefined;
  accept?: string | undefined;
  /** The method of the request being checked (`X-Original-Method`), for the policy. */
  originalMethod?: string | undefined;
  /** Where the request came from, for the session list; asked only when a refresh rotates. */
  client?: (() => SessionClient) | undefined;
}

const IDENTITY_NAMESPACE = /^x[-_]auth[-_]/i;

/**
 * Reads the credentials from Node's raw header list, which keeps every `Authorization` header
 * (Node's parsed headers keep only the first) and every header name as the client spelled it.
 */
export function requestCredentials(
  rawHeaders: readonly string[],
  originalUri: string | undefined,
  originalMethod?: string,
  client?: () => SessionClient,
): RequestCredentials {
  const authorization: string[] = [];
  const identityHeaderNames: string[] = [];
  const cookies: string[] = [];
  let accept: string | undefined;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!;
    if (name === 'authorization') authorization.push(value);
    else if (name === 'cookie') cookies.push(value);
    else if (name === 'accept') accept = accept === undefined ? value : `${accept}, ${value}`;
    else if (IDENTITY_NAMESPACE.test(name)) identityHeaderNames.push(rawHeaders[i]!);
  }
  return { authorization, identityHeaderNames, originalUri, originalMethod, cookie: cookies.length > 0 ? cookies.join('; ') : undefined, accept, client };
}
