import type { Logger } from '../log/logger.js';
import { normalizePath } from '../http/normalize-path.js';
import { loggedPath } from '../log/logged-path.js';
import type { Match, Policy } from './policy.js';
import { meets, type Claims } from './requirement.js';
import type { IdentityKind } from '../auth/identity-headers.js';

/** What the policy says about one request, before and after the identity is known. */
export interface Verdict {
  /** No identity needed: the request passes without identity headers. */
  public: boolean;
  /** Whether this valid identity (a user's, or a client's own token) may pass; logs the decision with the rule that made it. */
  permits(claims: Claims & { sub: string }, kind: IdentityKind): boolean;
}

/** The policy's verdict for a request, from its method and original URI (`X-Original-URI`). */
export type Authorizer = (method: string | undefined, originalUri: string | undefined) => Verdict;

/**
 * The path rules are matched on: the URI without query or fragment (as nginx cuts them before
 * choosing a location), normalised as nginx does. Undefined for one nginx would refuse.
 */
export function policyPath(originalUri: string | undefined): string | undefined {
  if (originalUri === undefined) return undefined;
  const uri = asUtf8(originalUri);
  if (uri === undefined) return undefined;
  const end = uri.search(/[?#]/);
  const path = end === -1 ? uri : uri.slice(0, end);
  // `..;x` and `.;x`: servlet containers drop `;params` and climb, nginx does not. Matches no rule.
  if (SEMICOLON_DOT_SEGMENT.test(safeDecode(path))) return undefined;
  return normalizePath(path);
}

const SEMICOLON_DOT_SEGMENT = /(?:^|\/)\.\.?;/;
const safeDecode = (path: string): string => {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
};

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Node reads header bytes as latin1, so a raw UTF-8 `/café` arrives as `/cafÃ©` while the app gets
 * the bytes themselves: the path is read back as UTF-8, and bytes that are not UTF-8 match no rule.
 */
function asUtf8(value: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(value)) return value;
  try {
    return UTF8.decode(Buffer.from(value, 'latin1'));
  } catch {
    return undefined;
  }
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
      path: path === undefined ? undefined : loggedPath(path),
      rule: match.rule?.pattern.text ?? (path === undefined ? 'unreadable path' : 'default'),
      ruleIndex: match.rule?.index,
      requirement: match.requirement.kind,
    });
    const isPublic = match.requirement.kind === 'public';
    // The hot path: nothing is built for a debug line unless debug is on.
    if (isPublic && opts.logger.isLevelEnabled('debug')) opts.logger.debug(fields(undefined), 'policy: public path');
    return {
      public: isPublic,
      permits(claims, kind) {
        const ok = meets(match.requirement, claims, kind);
        if (!ok) opts.logger.info({ ...fields(claims.sub), kind }, 'policy refused');
        else if (opts.logger.isLevelEnabled('debug')) opts.logger.debug({ ...fields(claims.sub), kind }, 'policy allowed');
        return ok;
      },
    };
  };
}
