import { isBrowserNavigation, type Decision, type RequestChecker, type RequestCredentials } from '../auth/check-request.js';
import type { Authorizer } from './authorize.js';

const PUBLIC: Decision = { status: 204, public: true, headers: {} };

/**
 * Puts the policy around the identity check: a public path passes without identity (no token is
 * read, no header is written), and a valid identity the policy refuses gets 403 rather than 401,
 * so a browser is not sent to sign in again. No identity on any other path is the checker's 401.
 */
export function enforcePolicy(check: RequestChecker, authorize: Authorizer): RequestChecker {
  return async (src: RequestCredentials): Promise<Decision> => {
    // The client's own X-Auth-* headers are refused on every path, public ones too.
    if (src.identityHeaderNames.length > 0) return check(src);
    const verdict = authorize(src.originalMethod, src.originalUri);
    if (verdict.public) return PUBLIC;
    const decision = await check(src);
    if (decision.status !== 204 || !('claims' in decision) || verdict.permits(decision.claims, decision.kind)) return decision;
    // Rotated cookies still go out: the browser must keep its refreshed session. Whoever gets
    // the login redirect on a 401 gets a page on a 403.
    return { status: 403, reason: 'forbidden', page: isBrowserNavigation(src), cookies: decision.cookies };
  };
}

/** The checker as is without a policy (POLICY_FILE unset), else with the policy around it. */
export function withPolicy(check: RequestChecker, authorize: Authorizer | undefined): RequestChecker {
  return authorize === undefined ? check : enforcePolicy(check, authorize);
}
