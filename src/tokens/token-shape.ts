import { COMPACT_JWS } from './limits.js';

/** Why a token's text was refused before any decoding or crypto; stable codes for logs and metrics. */
export type ShapeRefusal = 'token_too_long' | 'malformed' | 'non_canonical';

/** The three parts of a compact JWS, in order. */
export type TokenPart = 'header' | 'payload' | 'signature';

const PARTS: readonly TokenPart[] = ['header', 'payload', 'signature'];

/**
 * The one shape check of every token the gateway accepts (access, refresh, cookie, `?jwt=` and
 * client tokens), run before any decoding, crypto or cache lookup: at most `maxLength`
 * characters, three base64url parts, and each part in its one canonical spelling.
 *
 * Canonical matters because base64url decoders ignore the unused low bits of a part's last
 * character: without this check one signature has up to 16 spellings that all verify, and
 * anything keyed on the token's text (the verified-token cache, nginx's auth cache, OpenResty's
 * shared dictionary) would hold one entry per spelling of a single token.
 */
export function checkTokenShape(token: string, maxLength: number): ShapeRefusal | undefined {
  if (token.length > maxLength) return 'token_too_long';
  if (!COMPACT_JWS.test(token)) return 'malformed';
  // The pattern holds exactly two dots, so the parts are found without splitting (no allocation).
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  const canonical = canonicalPart(token, 0, first) && canonicalPart(token, first + 1, second) && canonicalPart(token, second + 1, token.length);
  return canonical ? undefined : 'non_canonical';
}

/** Why a part of a token is not canonical: a length no encoder produces, or unused bits set in its last character. */
export type NonCanonical =
  | { part: TokenPart; problem: 'length'; length: number }
  /** `last` as sent, and `canonicalLast` as an encoder writes it (the unused bits cleared): the same bytes. */
  | { part: TokenPart; problem: 'unused_bits'; last: string; canonicalLast: string };

/**
 * Which part of a token is spelt non-canonically, and how; undefined when the token is not three
 * base64url parts at all, or is canonical. For explaining a `non_canonical` refusal
 * (`tokengate verify`), never on the hot path.
 */
export function nonCanonicalPart(token: string): NonCanonical | undefined {
  if (!COMPACT_JWS.test(token)) return undefined;
  for (const [i, text] of token.split('.').entries()) {
    if (canonicalPart(text, 0, text.length)) continue;
    const part = PARTS[i]!;
    if (text.length % 4 === 1) return { part, problem: 'length', length: text.length };
    const last = text.at(-1)!;
    return { part, problem: 'unused_bits', last, canonicalLast: ALPHABET[sextet(last.charCodeAt(0)) & ~unusedBits(text.length)]! };
  }
  return undefined;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Whether `text[start, end)`, already known to hold only base64url characters without padding,
 * is what an encoder writes. Equivalent to decoding and re-encoding and comparing, but this runs
 * on every `/verify`: the round trip would allocate two buffers and a string per part per
 * request, while the only freedom base64url leaves is in the last character, so its length
 * class and the index of that one character decide.
 */
function canonicalPart(text: string, start: number, end: number): boolean {
  const length = end - start;
  // A lone character carries 6 bits, less than a byte: no encoder ends a part that way.
  if (length % 4 === 1) return false;
  return (sextet(text.charCodeAt(end - 1)) & unusedBits(length)) === 0;
}

/**
 * The bits of the last character that carry no data: 2 leftover bytes fill 16 of 18 bits (low 2
 * unused), 1 leftover byte fills 8 of 12 (low 4 unused), and a full group leaves none.
 */
function unusedBits(length: number): number {
  const rest = length % 4;
  return rest === 2 ? 0x0f : rest === 3 ? 0x03 : 0;
}

/** The 6-bit value of a base64url character (A–Z, a–z, 0–9, `-`, `_`), from its code alone. */
function sextet(code: number): number {
  if (code >= 97) return code - 71; // a-z: 26-51
  if (code === 95) return 63; // _
  if (code >= 65) return code - 65; // A-Z: 0-25
  if (code === 45) return 62; // -
  return code + 4; // 0-9: 52-61
}
