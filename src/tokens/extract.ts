/** Where the token was found, or why none could be used. */
export type Extracted =
  | { kind: 'token'; token: string; from: 'authorization' | 'query' }
  | { kind: 'none' }
  | { kind: 'malformed'; reason: string };

export interface CredentialSources {
  /** Every `Authorization` header the request carried, in order. */
  authorization: readonly string[];
  /** The client's original request URI (`X-Original-URI` behind nginx), for `?jwt=`. */
  originalUri?: string | undefined;
}

const TOKEN_CHARS = /^[\x21-\x7e]+$/;

/**
 * Finds the bearer token: `Authorization: Bearer <t>` (scheme case-insensitive), a bare
 * `Authorization: <t>` as the OpenResty recipe sent it, else `?jwt=<t>` in the original URI.
 */
export function extractToken(src: CredentialSources): Extracted {
  if (src.authorization.length > 1) return { kind: 'malformed', reason: 'several Authorization headers' };
  const header = src.authorization[0];
  if (header !== undefined) return fromAuthorization(header);
  return fromQuery(src.originalUri);
}

function fromAuthorization(value: string): Extracted {
  const trimmed = value.trim();
  if (trimmed === '') return { kind: 'malformed', reason: 'empty Authorization header' };
  // `Bearer` alone is a scheme without its token, not a bare token.
  if (trimmed.toLowerCase() === 'bearer') return { kind: 'malformed', reason: 'empty bearer token' };
  const space = trimmed.search(/[ \t]/);
  if (space === -1) {
    return TOKEN_CHARS.test(trimmed) ? { kind: 'token', token: trimmed, from: 'authorization' } : { kind: 'malformed', reason: 'bad characters' };
  }
  const scheme = trimmed.slice(0, space);
  const token = trimmed.slice(space + 1).trim();
  if (scheme.toLowerCase() !== 'bearer') return { kind: 'malformed', reason: 'unsupported scheme' };
  if (!TOKEN_CHARS.test(token)) return { kind: 'malformed', reason: 'bad bearer token' };
  return { kind: 'token', token, from: 'authorization' };
}

function fromQuery(uri: string | undefined): Extracted {
  if (uri === undefined) return { kind: 'none' };
  const q = uri.indexOf('?');
  if (q === -1) return { kind: 'none' };
  // The literal name `jwt=`, not a percent-decoded one: nginx strips exactly this parameter
  // before proxying, so a token accepted here never reaches the app under another spelling.
  const values = uri
    .slice(q + 1)
    .split('&')
    .filter((part) => part.startsWith('jwt='))
    .map((part) => part.slice(4));
  if (values.length === 0) return { kind: 'none' };
  if (values.length > 1) return { kind: 'malformed', reason: 'several jwt parameters' };
  const token = values[0] ?? '';
  if (!TOKEN_CHARS.test(token)) return { kind: 'malformed', reason: 'bad jwt parameter' };
  return { kind: 'token', token, from: 'query' };
}
