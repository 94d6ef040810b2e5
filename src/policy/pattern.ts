/**
 * A path pattern: `/` then segments, each a literal name, `*` (exactly one segment, never
 * empty) or, as the last one only, `**` (any number of segments, none included). A trailing
 * `/` is part of an exact path, as in nginx's `location =`: `/docs/` is not `/docs`.
 */
export interface Pattern {
  /** As written in the file, for logs and messages. */
  text: string;
  /** Literal names (folded to lower case when the policy is case-insensitive) and `*`; `''` is a trailing slash. */
  segments: readonly string[];
  /** Ends with `**`. */
  rest: boolean;
}

/** A parsed pattern, or why it cannot be one. */
export type PatternResult = { ok: true; pattern: Pattern } | { ok: false; problem: string };

const MAX_PATTERN_LENGTH = 1024;

/** Parses and checks a pattern as written in the policy file. */
export function parsePattern(text: string): PatternResult {
  const fail = (problem: string): PatternResult => ({ ok: false, problem });
  if (!text.startsWith('/')) return fail('must start with /');
  if (text.length > MAX_PATTERN_LENGTH) return fail(`must be at most ${MAX_PATTERN_LENGTH} characters`);
  // Rules see the decoded path without query or fragment, so these could never match anything.
  if (/[\x00-\x1f\x7f]/.test(text)) return fail('must not contain control characters');
  if (/[?#]/.test(text)) return fail('must not contain ? or #: the query string and fragment never take part in matching');
  if (text.includes('%')) return fail('must be written decoded (/café, not /caf%C3%A9): paths are matched after percent-decoding');
  const segments = text.slice(1).split('/');
  const rest = segments[segments.length - 1] === '**';
  if (rest) segments.pop();
  for (const [i, s] of segments.entries()) {
    if (s === '**') return fail('** may only be the last segment');
    if (s.includes('*') && s !== '*') return fail(`* stands for a whole segment; "${s}" is not supported`);
    if (s === '.' || s === '..') return fail('must not contain . or .. segments: paths are matched after they are resolved');
    // A trailing slash is an empty last segment; an empty one elsewhere is `//`, which paths never have.
    if (s === '' && (i < segments.length - 1 || rest)) return fail('must not contain //: paths are matched with duplicate slashes merged');
  }
  return { ok: true, pattern: { text, segments, rest } };
}

/** Splits a normalised path the way patterns are split: `/` is `['']`, `/a/` is `['a', '']`. */
export function splitPath(path: string): string[] {
  return path.slice(1).split('/');
}

/** Whether the pattern matches a path split by `splitPath` (already case-folded when the policy is case-insensitive). */
export function matchesPattern(pattern: Pattern, path: readonly string[]): boolean {
  const n = pattern.segments.length;
  if (pattern.rest ? path.length < n : path.length !== n) return false;
  for (let i = 0; i < n; i++) {
    const want = pattern.segments[i]!;
    const got = path[i]!;
    if (want === '*' ? got === '' : want !== got) return false;
  }
  return true;
}

/** What a segment position weighs when two patterns are compared: a literal (or an exact end) beats `*`, which beats `**`. */
const LITERAL = 3;
const ONE = 2;
const REST = 1;

/**
 * Orders patterns most specific first: compared segment by segment from the left, the first
 * position where they differ decides. Negative when `a` is more specific than `b`, 0 for a tie.
 */
export function compareSpecificity(a: Pattern, b: Pattern): number {
  const ka = weights(a);
  const kb = weights(b);
  for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
    if (ka[i] !== kb[i]) return kb[i]! - ka[i]!;
  }
  // Two patterns where one's weights begin the other's can never match the same path; any fixed order will do.
  return kb.length - ka.length;
}

function weights(p: Pattern): number[] {
  return [...p.segments.map((s) => (s === '*' ? ONE : LITERAL)), p.rest ? REST : LITERAL];
}
