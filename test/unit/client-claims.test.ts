import { describe, expect, it } from 'vitest';
import { readClientClaims } from '../../src/service-clients/client-claims.js';
import { extractToken } from '../../src/tokens/extract.js';

const T = 1_893_456_000;

describe("reading a client token's claims", () => {
  it.each<[string, Record<string, unknown>, { username: string; time: number; nonce: string }]>([
    ["seeds/004's names", { username: 'billing', time: T, nonce: '1' }, { username: 'billing', time: T, nonce: '1' }],
    ['the standard names', { username: 'billing', iat: T, jti: 'n-1' }, { username: 'billing', time: T, nonce: 'n-1' }],
    ['time with jti', { username: 'billing', time: T, jti: 'n-1' }, { username: 'billing', time: T, nonce: 'n-1' }],
    ['both names of each, agreeing', { username: 'billing', time: T, iat: T, nonce: 'n-1', jti: 'n-1' }, { username: 'billing', time: T, nonce: 'n-1' }],
    [
      "a nonce as Python's str(random.random()) writes it",
      { username: 'billing', time: T, nonce: '0.8444218515250481' },
      { username: 'billing', time: T, nonce: '0.8444218515250481' },
    ],
    [
      "seeds/004's library: time.time() and random.random() as numbers",
      { username: 'billing', time: T + 0.25, nonce: 0.8444218515250481 },
      { username: 'billing', time: T + 0.25, nonce: '0.8444218515250481' },
    ],
    [
      'a uuid nonce and a dotted name',
      { username: 'svc.billing-2', time: T, nonce: '9b2f6c1e-1c1b-4c55-8f0e-6f5e4e8c2f10' },
      { username: 'svc.billing-2', time: T, nonce: '9b2f6c1e-1c1b-4c55-8f0e-6f5e4e8c2f10' },
    ],
    [
      'other claims beside them (ignored)',
      { username: 'billing', time: T, nonce: 'n', sub: 'someone', roles: ['admin'] },
      { username: 'billing', time: T, nonce: 'n' },
    ],
  ])('reads %s', (_case, payload, claims) => {
    expect(readClientClaims(payload)).toEqual({ ok: true, claims });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['no username', { time: T, nonce: 'n' }, 'bad_username'],
    ['an empty username', { username: '', time: T, nonce: 'n' }, 'bad_username'],
    ['a username with a slash', { username: '../keys/x', time: T, nonce: 'n' }, 'bad_username'],
    ['a username starting with a dot', { username: '.hidden', time: T, nonce: 'n' }, 'bad_username'],
    ['a username of 65 characters', { username: 'a'.repeat(65), time: T, nonce: 'n' }, 'bad_username'],
    ['a username with a space', { username: 'bill ing', time: T, nonce: 'n' }, 'bad_username'],
    ['a username with a colon', { username: 'bill:ing', time: T, nonce: 'n' }, 'bad_username'],
    ['a username with CR LF', { username: 'billing\r\nX-Auth-Roles: admin', time: T, nonce: 'n' }, 'bad_username'],
    ['a non-ASCII username', { username: 'bïlling', time: T, nonce: 'n' }, 'bad_username'],
    ['a username that is a number', { username: 7, time: T, nonce: 'n' }, 'bad_username'],
    ['no time and no iat', { username: 'billing', nonce: 'n' }, 'bad_time'],
    ['a time as a string', { username: 'billing', time: String(T), nonce: 'n' }, 'bad_time'],
    ['a negative time', { username: 'billing', time: -1, nonce: 'n' }, 'bad_time'],
    ['no nonce and no jti', { username: 'billing', time: T }, 'bad_nonce'],
    ['an empty nonce', { username: 'billing', time: T, nonce: '' }, 'bad_nonce'],
    ['a nonce of 129 characters', { username: 'billing', time: T, nonce: 'n'.repeat(129) }, 'bad_nonce'],
    ['a nonce with a space', { username: 'billing', time: T, nonce: 'a b' }, 'bad_nonce'],
    ['a nonce with a newline', { username: 'billing', time: T, nonce: 'a\nb' }, 'bad_nonce'],
    ['a nonce that is a boolean', { username: 'billing', time: T, nonce: true }, 'bad_nonce'],
    ['a nonce that is an object', { username: 'billing', time: T, nonce: { n: 1 } }, 'bad_nonce'],
    ['a time that is too large', { username: 'billing', time: 2 ** 60, nonce: 'n' }, 'bad_time'],
    ['time and iat that differ', { username: 'billing', time: T, iat: T - 60, nonce: 'n' }, 'conflicting_claims'],
    ['time and iat of different types', { username: 'billing', time: T, iat: String(T), nonce: 'n' }, 'conflicting_claims'],
    ['nonce and jti that differ', { username: 'billing', time: T, nonce: 'a', jti: 'b' }, 'conflicting_claims'],
  ])('refuses %s (%s)', (_case, payload, reason) => {
    expect(readClientClaims(payload)).toEqual({ ok: false, reason });
  });
});

describe('the Authorization scheme of a client token', () => {
  const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJ1c2VybmFtZSI6ImIifQ.c2ln';

  it.each(['JWT', 'jwt', 'Jwt'])('takes "%s <token>" as a client token, never a user\'s', (scheme) => {
    expect(extractToken({ authorization: [`${scheme} ${TOKEN}`] })).toEqual({ kind: 'client', token: TOKEN });
  });

  it.each([
    ['Bearer', `Bearer ${TOKEN}`],
    ['no scheme', TOKEN],
  ])("takes a token sent with %s as a user token, never a client's", (_case, header) => {
    expect(extractToken({ authorization: [header] })).toMatchObject({ kind: 'token', token: TOKEN });
  });

  it.each([
    ['the scheme alone', 'JWT'],
    ['a token with a space inside', `JWT ${TOKEN} more`],
    ['a non-ASCII token', 'JWT tökén'],
  ])('calls %s malformed', (_case, header) => {
    expect(extractToken({ authorization: [header] })).toMatchObject({ kind: 'malformed' });
  });

  it('refuses a client token beside a ?jwt= one, or two client tokens', () => {
    expect(extractToken({ authorization: [`JWT ${TOKEN}`], originalUri: `/p?jwt=${TOKEN}` })).toMatchObject({ kind: 'malformed' });
    expect(extractToken({ authorization: [`JWT ${TOKEN}`, `JWT ${TOKEN}`] })).toMatchObject({ kind: 'malformed' });
  });
});
