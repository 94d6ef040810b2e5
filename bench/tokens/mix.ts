import type { MixToken } from '../load/types.js';

/** The kinds of credential in a realistic mix, and the answer each must get through any setup. */
export const KIND_EXPECT = { valid: 0, expired: 401, forged: 401, malformed: 401 } as const;
export type TokenKind = keyof typeof KIND_EXPECT;

export type MixPlan = Record<TokenKind, number>;

/**
 * How many tokens of each kind: `valid` distinct valid ones, plus expired and invalid ones making
 * up their shares of the whole (0.05 = 5%); the invalid ones are split between a bad signature
 * and a malformed token.
 */
export function planMix(valid: number, shares: { expired: number; invalid: number }): MixPlan {
  if (!Number.isInteger(valid) || valid < 1) throw new RangeError('a mix needs at least one valid token');
  if (shares.expired < 0 || shares.invalid < 0 || shares.expired + shares.invalid >= 1) throw new RangeError('the shares must add up to less than 1');
  const total = Math.round(valid / (1 - shares.expired - shares.invalid));
  const expired = Math.round(total * shares.expired);
  const invalid = Math.max(0, total - valid - expired);
  const forged = Math.ceil(invalid / 2);
  return { valid, expired, forged, malformed: invalid - forged };
}

/** A small seeded generator (mulberry32), so every run sends the mix in the same order. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A copy of `items` in a seeded random order (Fisher-Yates): bad tokens are spread through the run, not bunched. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  const next = random(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * A credential that is not a well-formed token, made from a real one so it looks plausible:
 * two segments, a payload that is not JSON, or no JWT at all. Always header-safe text.
 */
export function malformedToken(real: string, i: number): string {
  const [header = '', payload = '', signature = ''] = real.split('.');
  switch (i % 3) {
    case 0:
      return `${header}.${payload}`;
    case 1:
      return `${header}.${Buffer.from(`not json ${i}`).toString('base64url')}.${signature}`;
    default:
      return `not-a-jwt-${i}`;
  }
}

/** `count` tokens of one kind, with the answer they must get. */
export const ofKind = (kind: TokenKind, tokens: readonly string[]): MixToken[] => tokens.map((token) => ({ token, kind, expect: KIND_EXPECT[kind] }));
