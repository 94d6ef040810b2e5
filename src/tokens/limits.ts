/** The longest token the gateway issues or accepts; it must fit nginx's default 8 KiB header buffers. */
export const MAX_TOKEN_LENGTH = 4096;
/**
 * The longest client-signed token (`Authorization: JWT`) accepted: an RS256 signature of an 8192-bit
 * key is 1366 characters, and the claims are three short values. Refused before any parsing.
 */
export const MAX_CLIENT_TOKEN_LENGTH = 2048;

/** Three base64url segments: any other shape is refused before any crypto (with the spelling rule, in `token-shape.ts`). */
export const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * The longest lifetime `tokengate mint` gives a token: a month. A minted token has no session, so
 * only a user's revocation ends it early, and that revocation is kept this long too.
 */
export const MAX_MINTED_TTL_S = 30 * 86400;
