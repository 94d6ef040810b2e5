import { describe, expect, it } from 'vitest';
import { createAuthorizer, policyPath } from '../../src/policy/authorize.js';
import { parsePolicyText } from '../../src/policy/load-policy.js';
import type { Policy } from '../../src/policy/policy.js';
import { capturingLogger } from '../fixtures/signer.js';

const DEMO = `
default: deny
rules:
  - { path: /admin/**, anyRole: [admin] }
  - { path: /api/**, allow: authenticated }
  - { path: /public/**, allow: public }
`;

function demoPolicy(): Policy {
  const parsed = parsePolicyText(DEMO);
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.policy;
}

const BOB = { sub: 'bob', roles: ['user'] };
const ALICE = { sub: 'alice', roles: ['admin', 'user'] };

describe('policyPath: the path rules see', () => {
  it.each([
    ['/admin/../admin/x', '/admin/x'],
    ['/%61dmin/', '/admin/'],
    ['//admin', '/admin'],
    ['/ADMIN/', '/ADMIN/'],
    ['/public/..%2fadmin', '/admin'],
    ['/public/%2e%2e/admin', '/admin'],
    ['/public/./../admin', '/admin'],
    ['/admin?x=/public', '/admin'],
    ['/public?x=/../admin', '/public'],
    ['/admin%23/public', '/admin#/public'],
    // A raw `#` ends the path, as nginx reads it.
    ['/public#/../admin', '/public'],
    ['/admin/..', '/'],
    // Raw UTF-8 arrives as latin1 text from Node; it is judged as the UTF-8 the app receives.
    [Buffer.from('/café/x', 'utf8').toString('latin1'), '/café/x'],
    ['/caf%C3%A9/x', '/café/x'],
  ])('%s is %s', (uri, path) => {
    expect(policyPath(uri)).toBe(path);
  });

  it.each([
    ['a bad escape', '/admin/%ZZ'],
    ['a NUL', '/admin%00'],
    ['a climb above the root', '/../admin'],
    ['escaped bytes that are not UTF-8', '/%c3%28'],
    ['raw bytes that are not UTF-8', '/caf\xe9'],
    ['a backslash', '/public/..\\admin'],
    ['an escaped backslash', '/public/..%5Cadmin'],
    ['a dot-segment with ;params', '/public/..;/admin'],
    ['an escaped dot-segment with ;params', '/public/%2e%2e;x/admin'],
    ['a single-dot segment with ;params', '/public/.;/x'],
    ['no URI at all', undefined],
  ])('is none for %s', (_case, uri) => {
    expect(policyPath(uri)).toBeUndefined();
  });
});

describe('createAuthorizer', () => {
  it.each<[string, string, string | undefined, boolean, { bob: boolean; alice: boolean }]>([
    ['an admin path', 'GET', '/admin/x', false, { bob: false, alice: true }],
    ['an admin path through a dot-dot trick', 'GET', '/public/..%2fadmin', false, { bob: false, alice: true }],
    ['an API path', 'POST', '/api/upload?jwt=abc', false, { bob: true, alice: true }],
    ['a public path', 'GET', '/public/logo.png', true, { bob: true, alice: true }],
    ['an unmatched path', 'GET', '/elsewhere', false, { bob: false, alice: false }],
    ['a path nginx would refuse', 'GET', '/public/%ZZ', false, { bob: false, alice: false }],
    ['no original URI', 'GET', undefined, false, { bob: false, alice: false }],
  ])('judges %s', (_case, method, uri, isPublic, who) => {
    const authorize = createAuthorizer({ policy: demoPolicy, logger: capturingLogger().logger });
    const verdict = authorize(method, uri);
    expect(verdict.public).toBe(isPublic);
    expect({ bob: verdict.permits(BOB, 'user'), alice: verdict.permits(ALICE, 'user') }).toEqual(who);
  });

  it('logs a refusal at info with the rule, the method and the normalised path, never the query', () => {
    const { logger, lines } = capturingLogger();
    createAuthorizer({ policy: demoPolicy, logger })('GET', '/%61dmin/users?jwt=secret.token.here').permits(BOB, 'user');
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'policy refused',
        sub: 'bob',
        method: 'GET',
        path: '/admin/users',
        rule: '/admin/**',
        ruleIndex: 0,
        requirement: 'conditions',
      }),
    ]);
    expect(lines.join('')).not.toContain('secret');
  });

  it('names the default and an unreadable path as the rule', () => {
    const { logger, lines } = capturingLogger();
    const authorize = createAuthorizer({ policy: demoPolicy, logger });
    authorize('GET', '/elsewhere').permits(ALICE, 'user');
    authorize('GET', '/a/%ZZ').permits(ALICE, 'user');
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ msg: 'policy refused', rule: 'default', path: '/elsewhere', requirement: 'deny' }),
      expect.objectContaining({ msg: 'policy refused', rule: 'unreadable path', requirement: 'deny' }),
    ]);
  });

  it('logs a pass at debug only', () => {
    const { logger, lines } = capturingLogger();
    createAuthorizer({ policy: demoPolicy, logger })('GET', '/admin').permits(ALICE, 'user');
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ level: 20, msg: 'policy allowed', sub: 'alice', rule: '/admin/**' }),
    ]);
    logger.level = 'info';
    createAuthorizer({ policy: demoPolicy, logger })('GET', '/admin').permits(ALICE, 'user');
    expect(lines).toHaveLength(1);
  });

  it('reads the policy of the moment on every request', () => {
    let policy = demoPolicy();
    const authorize = createAuthorizer({ policy: () => policy, logger: capturingLogger().logger });
    expect(authorize('GET', '/elsewhere').permits(BOB, 'user')).toBe(false);
    const open = parsePolicyText('default: authenticated\nrules: []');
    if (!open.ok) throw new Error('bad test policy');
    policy = open.policy;
    expect(authorize('GET', '/elsewhere').permits(BOB, 'user')).toBe(true);
  });
});
