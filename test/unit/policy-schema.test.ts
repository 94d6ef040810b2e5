import { describe, expect, it } from 'vitest';
import { parsePolicyText } from '../../src/policy/load-policy.js';

/** The problems a policy text has; none when it loads. */
function problems(text: string): string[] {
  const parsed = parsePolicyText(text);
  return parsed.ok ? [] : parsed.problems;
}

describe('policy files that cannot be used', () => {
  it.each([
    ['an empty file', '', ['policy: the policy must be a mapping with rules (and optionally default and caseSensitive)']],
    ['a list instead of a mapping', '- path: /x', ['policy: the policy must be a mapping with rules']],
    ['no rules', 'default: deny', ['rules: must be a list of rules']],
    ['an unknown top-level key', 'rules: []\ndefualt: public', ['policy: unknown key "defualt" (a policy has default, caseSensitive and rules)']],
    ['a bad default', 'default: allow\nrules: []', ['default: must be public, authenticated or deny']],
    ['caseSensitive as a word', 'caseSensitive: "no"\nrules: []', ['caseSensitive: must be true or false']],
    ['a rule without path', 'rules: [{ allow: public }]', ['rules[0].path: must be a string such as /admin/**']],
    ['a bad pattern', 'rules: [{ path: /a/**/b, allow: public }]', ['rules[0].path: ** may only be the last segment (got "/a/**/b")']],
    [
      'a rule without requirement',
      'rules: [{ path: /x }]',
      ['rules[0]: needs allow (public, authenticated or deny), or conditions: anyRole, allRoles, claims'],
    ],
    [
      'allow and conditions together',
      'rules: [{ path: /x, allow: public, anyRole: [a] }]',
      ['rules[0]: has both allow and conditions (anyRole, allRoles, claims, identity): give one or the other'],
    ],
    [
      'a misspelt condition',
      'rules: [{ path: /x, anyrole: [admin] }]',
      ['rules[0]: unknown key "anyrole" (a rule has path, methods, and allow or anyRole, allRoles, claims)', 'rules[0]: needs allow'],
    ],
    ['a bad allow', 'rules: [{ path: /x, allow: admin }]', ['rules[0].allow: must be public, authenticated or deny']],
    ['roles as a string', 'rules: [{ path: /x, anyRole: admin }]', ['rules[0].anyRole: must be a list of roles']],
    ['an empty role list', 'rules: [{ path: /x, allRoles: [] }]', ['rules[0].allRoles: must list at least one role']],
    [
      'a role with a comma',
      'rules: [{ path: /x, anyRole: ["a,b"] }]',
      ['rules[0].anyRole[0]: a role is 1 to 64 printable ASCII characters without spaces or commas'],
    ],
    [
      'an empty method list',
      'rules: [{ path: /x, methods: [], allow: public }]',
      ['rules[0].methods: must list at least one method; leave it out for every method'],
    ],
    ['a bad method', 'rules: [{ path: /x, methods: ["GET /"], allow: public }]', ['rules[0].methods[0]: must be an HTTP method name such as GET']],
    ['claims as a list', 'rules: [{ path: /x, claims: [tenant] }]', ['rules[0].claims: must map claim names to values']],
    ['no claims at all', 'rules: [{ path: /x, claims: {} }]', ['rules[0].claims: must name at least one claim']],
    ['roles as a claim', 'rules: [{ path: /x, claims: { roles: admin } }]', ['rules[0].claims.roles: roles is a list: use anyRole or allRoles']],
    [
      'a claim value that is a list',
      'rules: [{ path: /x, claims: { team: [a] } }]',
      ['rules[0].claims.team: a claim value must be a string, a number or true/false'],
    ],
    [
      'a rule that can never apply',
      'rules:\n  - { path: /x, allow: public }\n  - { path: /x, allow: deny }',
      ['rules[1]: the same path and methods as rules[0], so it could never apply'],
    ],
    [
      'the same methods twice',
      'rules:\n  - { path: /x, methods: [GET, POST], allow: public }\n  - { path: /x, methods: [POST, GET], allow: deny }',
      ['rules[1]: the same path and methods as rules[0]'],
    ],
    ['a duplicate key', 'rules: []\nrules: []', ['Map keys must be unique at line 2, column 1']],
  ])('%s', (_case, text, expected) => {
    const found = problems(text);
    expect(found).toHaveLength(expected.length);
    expected.forEach((want, i) => {
      expect(found[i]).toContain(want);
    });
  });

  it.each([
    ['YAML', 'rules: [{ path: /x', 'end with a } at line 1, column 19'],
    ['JSON', '{"rules": [}', 'end with a ] at line 1, column 12'],
  ])('reports broken %s with its line and column', (_case, text, where) => {
    expect(problems(text)[0]).toContain(where);
  });

  it('refuses a __proto__ claim rather than setting a prototype', () => {
    expect(problems('rules: [{ path: /x, claims: { __proto__: x } }]')).toEqual(['rules[0].claims: must name at least one claim']);
  });

  it('lists every problem at once, each where it is', () => {
    const found = problems(`
default: maybe
rules:
  - { path: admin, anyRole: [admin] }
  - { path: /ok, allow: public }
  - { path: /x/*.txt, allow: everyone }
`);
    expect(found).toEqual([
      'default: must be public, authenticated or deny',
      'rules[0].path: must start with / (got "admin")',
      'rules[2].path: * stands for a whole segment; "*.txt" is not supported (got "/x/*.txt")',
      'rules[2].allow: must be public, authenticated or deny',
    ]);
  });

  it('refuses a file of aliases that would blow up, instead of expanding it', () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      ...Array.from(
        { length: 9 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`,
      ),
      'rules: []',
    ].join('\n');
    expect(problems(bomb)).toEqual([expect.stringContaining('Excessive alias count')]);
  });
});

describe('policy files that load', () => {
  it.each([
    ['YAML', 'rules:\n  - path: /admin/**\n    anyRole: [admin]\n'],
    ['JSON', '{"default": "authenticated", "rules": [{"path": "/admin/**", "anyRole": ["admin"]}]}'],
    ['no rules at all (everything gets the default)', 'default: authenticated\nrules: []'],
  ])('%s', (_case, text) => {
    expect(problems(text)).toEqual([]);
  });
});
