import { describe, expect, it } from 'vitest';
import { parsePolicyText } from '../../src/policy/load-policy.js';
import type { Policy } from '../../src/policy/policy.js';
import { meets } from '../../src/policy/requirement.js';

function policy(yaml: string): Policy {
  const parsed = parsePolicyText(yaml);
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.policy;
}

/** Which rule (by its pattern, or `default`) a request falls under. */
const ruleOf = (p: Policy, method: string | undefined, path: string) => p.match(method, path).rule?.pattern.text ?? 'default';

const ALICE = { sub: 'alice', roles: ['admin', 'user'], tenant: 'acme', level: 3, staff: true };
const BOB = { sub: 'bob', roles: ['user'], tenant: 'acme', level: '3' };
const NOBODY = { sub: 'carol' };

describe('the rule a request falls under', () => {
  const demo = policy(`
rules:
  - { path: /**, allow: authenticated }
  - { path: /admin/**, anyRole: [admin] }
  - { path: /admin/public/**, allow: public }
  - { path: /admin/*, methods: [DELETE], allow: deny }
  - { path: /admin/reports, allRoles: [admin, auditor] }
  - { path: /api/*/items, allow: authenticated }
  - { path: /api/v1/**, anyRole: [v1] }
`);

  it.each([
    ['GET', '/admin', '/admin/**'],
    ['GET', '/admin/', '/admin/**'],
    ['GET', '/admin/users', '/admin/**'],
    ['DELETE', '/admin/users', '/admin/*'],
    ['DELETE', '/admin/users/7', '/admin/**'],
    ['GET', '/admin/reports', '/admin/reports'],
    ['DELETE', '/admin/reports', '/admin/reports'],
    ['GET', '/admin/public/logo.png', '/admin/public/**'],
    ['GET', '/anything/else', '/**'],
    ['GET', '/', '/**'],
    // Left to right: the literal `v1` beats `*` at the second segment.
    ['GET', '/api/v1/items', '/api/v1/**'],
    ['GET', '/api/v2/items', '/api/*/items'],
    // A method-bound rule never applies when the method is unknown.
    [undefined, '/admin/users', '/admin/**'],
  ])('%s %s falls under %s', (method, path, rule) => {
    expect(ruleOf(demo, method, path)).toBe(rule);
  });

  it('is the default for a path no rule matches, deny unless the file says otherwise', () => {
    const p = policy('rules: [{ path: /api/**, allow: authenticated }]');
    expect(p.match('GET', '/other')).toEqual({ requirement: { kind: 'deny' } });
    expect(policy('default: authenticated\nrules: []').match('GET', '/other').requirement).toEqual({ kind: 'authenticated' });
    expect(policy('default: public\nrules: []').match('GET', '/other').requirement).toEqual({ kind: 'public' });
  });

  it('prefers, at equal specificity, a rule that names methods, then the first in the file', () => {
    const p = policy(`
rules:
  - { path: /doc/**, allow: authenticated }
  - { path: /doc/**, methods: [PUT, POST], anyRole: [writer] }
  - { path: /doc/**, methods: [POST], anyRole: [poster] }
`);
    expect(p.match('POST', '/doc/1').rule?.index).toBe(1);
    expect(p.match('PUT', '/doc/1').rule?.index).toBe(1);
    expect(p.match('GET', '/doc/1').rule?.index).toBe(0);
  });

  it('lets HEAD through wherever GET is listed, as nginx limit_except does, and reads methods in any case', () => {
    const p = policy('rules: [{ path: /r, methods: [get], allow: public }]');
    expect(ruleOf(p, 'GET', '/r')).toBe('/r');
    expect(ruleOf(p, 'HEAD', '/r')).toBe('/r');
    expect(ruleOf(p, 'POST', '/r')).toBe('default');
  });

  it('is case-sensitive by default, as nginx locations are', () => {
    const p = policy('rules: [{ path: /admin/**, anyRole: [admin] }]');
    expect(ruleOf(p, 'GET', '/ADMIN/x')).toBe('default');
    expect(ruleOf(p, 'GET', '/Admin')).toBe('default');
  });

  it('folds case on both sides with caseSensitive: false', () => {
    const p = policy('caseSensitive: false\nrules: [{ path: /Admin/**, anyRole: [admin] }]');
    for (const path of ['/admin', '/ADMIN/x', '/aDmIn/']) expect(ruleOf(p, 'GET', path)).toBe('/Admin/**');
  });
});

describe('requirements', () => {
  const requirementOf = (rule: string) => policy(`rules: [${rule}]`).match('GET', '/x').requirement;

  it.each<[string, string, Record<string, boolean>]>([
    ['public', '{ path: /x, allow: public }', { ALICE: true, BOB: true, NOBODY: true }],
    ['any identity', '{ path: /x, allow: authenticated }', { ALICE: true, BOB: true, NOBODY: true }],
    ['nobody', '{ path: /x, allow: deny }', { ALICE: false, BOB: false, NOBODY: false }],
    ['one of the roles', '{ path: /x, anyRole: [admin, auditor] }', { ALICE: true, BOB: false, NOBODY: false }],
    ['every role', '{ path: /x, allRoles: [admin, user] }', { ALICE: true, BOB: false, NOBODY: false }],
    ['every role, one missing', '{ path: /x, allRoles: [admin, auditor] }', { ALICE: false, BOB: false, NOBODY: false }],
    ['a claim equal to a string', '{ path: /x, claims: { tenant: acme } }', { ALICE: true, BOB: true, NOBODY: false }],
    ['a number, never its string', '{ path: /x, claims: { level: 3 } }', { ALICE: true, BOB: false, NOBODY: false }],
    ['a boolean', '{ path: /x, claims: { staff: true } }', { ALICE: true, BOB: false, NOBODY: false }],
    ['sub itself', '{ path: /x, claims: { sub: bob } }', { ALICE: false, BOB: true, NOBODY: false }],
    ['roles and a claim together', '{ path: /x, anyRole: [user], claims: { level: 3 } }', { ALICE: true, BOB: false, NOBODY: false }],
  ])('%s', (_name, rule, expected) => {
    const requirement = requirementOf(rule);
    expect({ ALICE: meets(requirement, ALICE, 'user'), BOB: meets(requirement, BOB, 'user'), NOBODY: meets(requirement, NOBODY, 'user') }).toEqual(expected);
  });

  it('tells a client from a user of the same name with identity', () => {
    const clientOnly = requirementOf('{ path: /x, identity: client, claims: { sub: billing } }');
    expect(meets(clientOnly, { sub: 'billing' }, 'client')).toBe(true);
    expect(meets(clientOnly, { sub: 'billing' }, 'user')).toBe(false);
    expect(meets(requirementOf('{ path: /x, identity: user }'), { sub: 'billing' }, 'client')).toBe(false);
  });

  it('finds no claim on the prototype', () => {
    expect(meets(requirementOf('{ path: /x, claims: { constructor: x } }'), { sub: 'mallory' }, 'user')).toBe(false);
    expect(meets(requirementOf('{ path: /x, claims: { toString: x } }'), { sub: 'mallory' }, 'user')).toBe(false);
  });

  it('never takes a roles claim that is not a list for one', () => {
    expect(meets(requirementOf('{ path: /x, anyRole: [admin] }'), { sub: 'mallory', roles: 'admin' as unknown as string[] }, 'user')).toBe(false);
  });
});
