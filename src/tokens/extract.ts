import { splitJwtParams } from './query-token.js';

/**
 * Why the credentials are malformed (several tokens, a bad scheme...): an `invalid_request`, whatever
 * the token. Logged as they are, so they read as sentences.
 */
export type MalformedRequest =
  | 'several Authorization headers'
  | 'several jwt parameters'
  | 'a token in both the header and the query'
  | 'bad jwt parameter'
  | 'empty Authorization header'
  | 'empty bearer token'
  | 'empty client token'
  | 'bad characters'
  | 'bad client token'
  | 'unsupported scheme'
  | 'bad bearer token';

/** Where the token was found, or why none could be used. */
export type Extracted =
  | { kind: 'token'; token: string; from: 'authorization' | 'query' }
  /** `Authorization: JWT <t>`: signed by a registered client with its own key, never a user's token. */
  | { kind: 'client'; token: string }
  | { kind: 'none' }
  | { kind: 'malformed'; reason: MalformedRequest };

export interface CredentialSources {
  /** Every `Authorization` header the request carried, in order. */
  authorization: readonly string[];
  /** The client's original request URI (`X-Original-URI` behind nginx), for `?jwt=`. */
  originalUri?: string | undefined;
}

const TOKEN_CHARS = /^[\x21-\x7e]+$/;

/**
 * Finds the bearer token: `Authorization: Bearer <t>` (scheme case-insensitive), a bare
 * `Authorization: <t>` as the OpenResty recipe sent it, or `?jwt=<t>` in the original URI; or a
 * client's own token, `Authorization: JWT <t>` (seeds/004), which is never taken for a user's.
 * One token, one place (RFC 6750 §2): several headers, several `jwt=`, or a header and a
 * `jwt=` together are malformed, so no second token can ride along to the app.
 */
export function extractToken(src: CredentialSources): Extracted {
  if (src.authorization.length > 1) return { kind: 'malformed', reason: 'several Authorization headers' };
  const queryTokens = src.originalUri === undefined ? [] : splitJwtParams(src.originalUri).tokens;
  if (queryTokens.length > 1) return { kind: 'malformed', reason: 'several jwt parameters' };
  const header = src.authorization[0];
  if (header !== undefined && queryTokens.length > 0) return { kind: 'malformed', reason: 'a token in both the header and the query' };
  if (header !== undefined) return fromAuthorization(header);
  const token = queryTokens[0];
  if (token === undefined) return { kind: 'none' };
  if (!TOKEN_CHARS.test(token)) return { kind: 'malformed', reason: 'bad jwt parameter' };
  return { kind: 'token', token, from: 'query' };
}

function fromAuthorization(value: string): Extracted {
  const trimmed = value.trim();
  if (trimmed === '') return { kind: 'malformed', reason: 'empty Authorization header' };
  // `Bearer` alone is a scheme without its token, not a bare token.
  if (trimmed.toLowerCase() === 'bearer') return { kind: 'malformed', reason: 'empty bearer token' };
  if (trimmed.toLowerCase() === 'jwt') return { kind: 'malformed', reason: 'empty client token' };
  const space = trimmed.search(/[ \t]/);
  if (space === -1) {
    return TOKEN_CHARS.test(trimmed) ? { kind: 'token', token: trimmed, from: 'authorization' } : { kind: 'malformed', reason: 'bad characters' };
  }
  const scheme = trimmed.slice(0, space);
  const token = trimmed.slice(space + 1).trim();
  if (scheme.toLowerCase() === 'jwt') return TOKEN_CHARS.test(token) ? { kind: 'client', token } : { kind: 'malformed', reason: 'bad client token' };
  if (scheme.toLowerCase() !== 'bearer') return { kind: 'malformed', reason: 'unsupported scheme' };
  if (!TOKEN_CHARS.test(token)) return { kind: 'malformed', reason: 'bad bearer token' };
  return { kind: 'token', token, from: 'authorization' };
}
