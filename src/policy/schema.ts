import { z } from 'zod';
import { parsePattern, type Pattern } from './pattern.js';
import type { Requirement } from './requirement.js';

/** As a role in a token must be (`tokens/claims.ts`): a comma or a space could never match. */
const ROLE = /^[\x21-\x2b\x2d-\x7e]{1,64}$/;
const MAX_RULES = 1000;

const word = z.enum(['public', 'authenticated', 'deny'], { error: 'must be public, authenticated or deny' });

const pattern = z.string({ error: 'must be a string such as /admin/**' }).transform((text, ctx): Pattern => {
  const parsed = parsePattern(text);
  if (parsed.ok) return parsed.pattern;
  ctx.addIssue({ code: 'custom', message: `${parsed.problem} (got ${JSON.stringify(text)})` });
  return z.NEVER;
});

const methods = z
  .array(z.string().regex(/^[A-Za-z]{1,20}$/, 'must be an HTTP method name such as GET'), { error: 'must be a list of HTTP methods' })
  .min(1, 'must list at least one method; leave it out for every method')
  .transform((list) => {
    const set = new Set(list.map((m) => m.toUpperCase()));
    // As nginx's limit_except: whoever may GET may HEAD.
    if (set.has('GET')) set.add('HEAD');
    return set as ReadonlySet<string>;
  });

const roles = z
  .array(z.string().regex(ROLE, 'a role is 1 to 64 printable ASCII characters without spaces or commas'), { error: 'must be a list of roles' })
  .min(1, 'must list at least one role');

const claims = z
  .record(z.string().min(1).max(256), z.union([z.string(), z.number(), z.boolean()], { error: 'a claim value must be a string, a number or true/false' }), {
    error: (issue) => (issue.code === 'invalid_type' ? 'must map claim names to values' : undefined),
  })
  .refine((map) => Object.keys(map).length > 0, 'must name at least one claim')
  .refine((map) => !Object.hasOwn(map, 'roles'), { message: 'roles is a list: use anyRole or allRoles', path: ['roles'] });

const rule = z
  .strictObject({
    path: pattern,
    methods: methods.optional(),
    allow: word.optional(),
    anyRole: roles.optional(),
    allRoles: roles.optional(),
    claims: claims.optional(),
    identity: z.enum(['user', 'client'], { error: 'must be user or client' }).optional(),
  })
  .transform((r, ctx) => {
    const conditions = r.anyRole !== undefined || r.allRoles !== undefined || r.claims !== undefined || r.identity !== undefined;
    if (r.allow !== undefined && conditions) {
      ctx.addIssue({ code: 'custom', message: 'has both allow and conditions (anyRole, allRoles, claims, identity): give one or the other' });
      return z.NEVER;
    }
    if (r.allow === undefined && !conditions) {
      ctx.addIssue({ code: 'custom', message: 'needs allow (public, authenticated or deny), or conditions: anyRole, allRoles, claims, identity' });
      return z.NEVER;
    }
    const requirement: Requirement =
      r.allow !== undefined ? { kind: r.allow } : { kind: 'conditions', anyRole: r.anyRole, allRoles: r.allRoles, claims: r.claims, identity: r.identity };
    return { pattern: r.path, methods: r.methods, requirement };
  });

/** The policy file, as parsed from YAML or JSON. */
export const policyFile = z.strictObject(
  {
    default: word.default('deny').transform((kind): Requirement => ({ kind })),
    caseSensitive: z.boolean({ error: 'must be true or false' }).default(true),
    rules: z.array(rule, { error: 'must be a list of rules' }).max(MAX_RULES, `at most ${MAX_RULES} rules`),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'the policy must be a mapping with rules (and optionally default and caseSensitive)' : undefined) },
);

/** The policy file once checked: patterns parsed, requirements built. */
export type PolicyFile = z.output<typeof policyFile>;
