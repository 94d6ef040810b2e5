/**
 * The JOSE `typ` of each kind of token the gateway signs. The header is covered by the
 * signature, so a refresh token can never be passed off as an access token or the reverse.
 */
export const TOKEN_TYPES = { access: 'at+jwt', refresh: 'tokengate-refresh+jwt' } as const;

export type TokenKind = keyof typeof TOKEN_TYPES;

/** `typ` values an access token may carry: ours, none, or plain `JWT` (tokens from the OpenResty era). */
const ACCESS_TYPS = new Set([undefined, 'jwt', 'at+jwt']);

/** Whether a verified header's `typ` fits the kind expected (RFC 8725 §3.11; `application/` is optional). */
export function typFits(kind: TokenKind, typ: unknown): boolean {
  if (typ !== undefined && typeof typ !== 'string') return false;
  const normalised = typ?.toLowerCase().replace(/^application\//, '');
  return kind === 'access' ? ACCESS_TYPS.has(normalised) : normalised === TOKEN_TYPES.refresh;
}
