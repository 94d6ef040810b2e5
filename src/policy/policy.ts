import { compareSpecificity, matchesPattern, splitPath, type Pattern } from './pattern.js';
import type { Requirement } from './requirement.js';
import type { PolicyFile } from './schema.js';

/** One rule of the file, ready to match. */
export interface Rule {
  /** Its position in the file's `rules` (from 0), as logs and messages name it. */
  index: number;
  pattern: Pattern;
  /** Absent: every method. */
  methods?: ReadonlySet<string> | undefined;
  requirement: Requirement;
}

/** The rule a request falls under; no rule is the policy's `default`. */
export interface Match {
  rule?: Rule | undefined;
  requirement: Requirement;
}

/** A loaded policy: rules sorted most specific first. */
export interface Policy {
  rules: readonly Rule[];
  default: Requirement;
  caseSensitive: boolean;
  /** The request's rule: `path` normalised (`http/normalize-path.ts`); `method` undefined matches no rule that lists methods. */
  match(method: string | undefined, path: string): Match;
}

/** The policy ready to match, or why the checked file still cannot be one. */
export type CompiledPolicy = { ok: true; policy: Policy } | { ok: false; problems: string[] };

/** Sorts the rules and refuses one that another with the same pattern and methods would always hide. */
export function compilePolicy(file: PolicyFile): CompiledPolicy {
  const fold = (s: string) => (file.caseSensitive ? s : s.toLowerCase());
  const rules: Rule[] = file.rules.map((spec, index) => ({
    index,
    pattern: { ...spec.pattern, segments: spec.pattern.segments.map(fold) },
    methods: spec.methods,
    requirement: spec.requirement,
  }));
  const problems: string[] = [];
  const seen = new Map<string, number>();
  for (const rule of rules) {
    const key = JSON.stringify([rule.pattern.segments, rule.pattern.rest, rule.methods ? [...rule.methods].sort() : null]);
    const earlier = seen.get(key);
    if (earlier === undefined) seen.set(key, rule.index);
    else problems.push(`rules[${rule.index}]: the same path and methods as rules[${earlier}], so it could never apply`);
  }
  if (problems.length > 0) return { ok: false, problems };
  // Most specific pattern first; then a rule that names methods before one that does not; then file order.
  rules.sort((a, b) => compareSpecificity(a.pattern, b.pattern) || Number(b.methods !== undefined) - Number(a.methods !== undefined) || a.index - b.index);
  const fallback: Match = { requirement: file.default };
  return {
    ok: true,
    policy: {
      rules,
      default: file.default,
      caseSensitive: file.caseSensitive,
      match(method, path) {
        const segments = splitPath(fold(path));
        for (const rule of rules) {
          if (rule.methods !== undefined && (method === undefined || !rule.methods.has(method))) continue;
          if (matchesPattern(rule.pattern, segments)) return { rule, requirement: rule.requirement };
        }
        return fallback;
      },
    },
  };
}
