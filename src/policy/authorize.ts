import type { Logger } from '../log/logger.js';
import { normalizePath } from '../front/normalize-path.js';
import type { Match, Policy } from './policy.js';
import { meets, type Claims } from './requirement.js';

/** What the policy says about one request, before and after the identity is known. */
export interface Verdict {
  /** No identity needed: the request passes without identity headers. */
  public: boolean;
  /** Whether this valid identity may pass; logs the decision with the rule that made it. */
  permits(claims: Claims & { sub: string }): boolean;
}

/** The policy's verdict for a request, from its method and original URI (`X-Original-URI`). */
export type Authorizer = (method: string | undefined, originalUri: string | undefined) => Verdict;

const MAX_LOGGED_PATH = 256;

/**
 * The path rules are matched on: the URI without query or fragment (as nginx cuts them before
 * choosing a location), normalised as nginx does. Undefined for one nginx would refuse.
 */
export function policyPath(originalUri: string | undefined): string | undefined {
  if (originalUri === undefined) return undefined;
  const end = originalUri.search(/[?#]/);
  return normalizePath(end === -1 ? originalUri : originalUri.slice(0, end));
}

/** A path that cannot be normalised matches no rule and is refused to everyone. */
const UNREADABLE: Match = { requirement: { kind: 'deny' } };

/** Judges requests by the policy of the moment, logging refusals at info and passes at debug. */
export function createAuthorizer(opts: { policy: () => Policy; logger: Logger }): Authorizer {
  return (rawMethod, originalUri) => {
    const method = rawMethod?.toUpperCase();
    const path = policyPath(originalUri);
    const match = path === undefined ? UNREADABLE : opts.policy().match(method, path);
    const fields = (sub: string | undefined) => ({
      sub,
      method: method?.slice(0, 16),
      // The normalised path only: never the query, which may hold `?jwt=<token>`.
      path: path === undefined ? undefined : path.length > MAX_LOGGED_PATH ? `${path.slice(0, MAX_LOGGED_PATH)}...` : path,
      rule: match.rule?.pattern.text ?? (path === undefined ? 'unreadable path' : 'default'),
      ruleIndex: match.rule?.index,
      requirement: match.requirement.kind,
    });
    const isPublic = match.requirement.kind === 'public';
    // The hot path: nothing is built for a debug line unless debug is on.
    if (isPublic && opts.logger.isLevelEnabled('debug')) opts.logger.debug(fields(undefined), 'policy: public path');
    return {
      public: isPublic,
      permits(claims) {
        const ok = meets(match.requirement, claims);
        if (!ok) opts.logger.info(fields(claims.sub), 'policy refused');
        else if (opts.logger.isLevelEnabled('debug')) opts.logger.debug(fields(claims.sub), 'policy allowed');
        return ok;
      },
    };
  };
}
