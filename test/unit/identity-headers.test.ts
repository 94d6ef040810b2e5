import { describe, expect, it } from 'vitest';
import { identityHeaders } from '../../src/auth/identity-headers.js';

describe('identity headers', () => {
  const claims = { sub: 'alice', roles: ['admin', 'user'], name: 'Zoë «Alice» Liddell', iss: 'tokengate', exp: 1_900_000_000 };

  it('puts the subject into X-Auth-Sub', () => {
    expect(identityHeaders(claims)['X-Auth-Sub']).toBe('alice');
  });

  it('joins the roles with commas into X-Auth-Roles', () => {
    expect(identityHeaders(claims)['X-Auth-Roles']).toBe('admin,user');
  });

  it('sends an empty X-Auth-Roles when the token has no roles', () => {
    expect(identityHeaders({ sub: 'bob' })['X-Auth-Roles']).toBe('');
  });

  it('encodes the whole payload as base64url JSON in X-Auth-Claims', () => {
    const value = identityHeaders(claims)['X-Auth-Claims'];
    expect(value).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(JSON.parse(Buffer.from(value, 'base64url').toString('utf8'))).toEqual(claims);
  });

  it('keeps every header value plain ASCII even when a claim is not', () => {
    for (const value of Object.values(identityHeaders(claims))) expect(value).toMatch(/^[\x20-\x7e]*$/);
  });
});
