import { describe, expect, it } from 'vitest';
import { claimHeaderValues, nginxClaimLines, parseClaimHeaders } from '../../src/auth/claim-headers.js';

describe('CLAIM_HEADERS', () => {
  it('reads claim:header pairs, the header after the last colon', () => {
    expect(parseClaimHeaders('email:X-Auth-Email, https://example.com/team:X-Auth-Team,')).toEqual({
      ok: true,
      headers: [
        { claim: 'email', header: 'X-Auth-Email' },
        { claim: 'https://example.com/team', header: 'X-Auth-Team' },
      ],
    });
    expect(parseClaimHeaders('')).toEqual({ ok: true, headers: [] });
  });

  it.each([
    ['no header', 'email', /write claim:X-Auth-Name/],
    ['no claim', ':X-Auth-Email', /write claim:X-Auth-Name/],
    ['a header outside X-Auth-*', 'email:X-Email', /must be X-Auth-<Name>/],
    ['a header with an underscore', 'email:X-Auth-E_mail', /must be X-Auth-<Name>/],
    ['a header with CR LF', 'email:X-Auth-Email\r\nX-Evil', /must be X-Auth-<Name>/],
    ["one of the gateway's own headers", 'sub:x-auth-sub', /gateway's own headers/],
    ['the same header twice', 'email:X-Auth-Mail,mail:X-AUTH-MAIL', /given twice/],
    ['a claim with a space', 'e mail:X-Auth-Email', /write claim:X-Auth-Name/],
  ])('refuses %s, naming the entry', (_case, list, message) => {
    const parsed = parseClaimHeaders(list);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems.join('\n')).toMatch(message);
  });

  it('reports every bad entry at once', () => {
    const parsed = parseClaimHeaders('a:X-B,c:X-Auth-Sub');
    expect(parsed.ok ? [] : parsed.problems).toHaveLength(2);
  });
});

describe('claim values as headers', () => {
  const headers = [
    { claim: 'email', header: 'X-Auth-Email' },
    { claim: 'groups', header: 'X-Auth-Groups' },
    { claim: 'level', header: 'X-Auth-Level' },
  ];

  it('writes strings, numbers, booleans and arrays of them; a missing claim sends nothing', () => {
    expect(claimHeaderValues({ email: 'alice@example.com', groups: ['ops', 'dev', 7, true], level: 3 }, headers)).toEqual({
      ok: true,
      values: { 'X-Auth-Email': 'alice@example.com', 'X-Auth-Groups': 'ops,dev,7,true', 'X-Auth-Level': '3' },
    });
    expect(claimHeaderValues({ sub: 'alice' }, headers)).toEqual({ ok: true, values: {} });
  });

  it.each([
    ['CR LF (header injection)', 'alice@example.com\r\nX-Auth-Sub: root'],
    ['a lone LF', 'a\nb'],
    ['a NUL', 'a\u0000b'],
    ['a tab', 'a\tb'],
    ['DEL', 'a\u007fb'],
    ['non-ASCII', 'zoë@example.com'],
    ['a leading space', ' alice'],
    ['an object', { address: 'x' }],
    ['null', null],
    ['an array element holding a comma (a second value in disguise)', ['ops', 'dev,admin']],
    ['an array of objects', [{}]],
    ['NaN', Number.NaN],
    ['a 2 KiB value', 'a'.repeat(2048)],
  ])('never writes %s: it names the claim', (_case, value) => {
    expect(claimHeaderValues({ email: value }, headers)).toEqual({ ok: false, claim: 'email' });
  });

  it('gives nginx two lines per header, variables named after the header', () => {
    expect(
      nginxClaimLines([{ claim: 'email', header: 'X-Auth-Email' }])
        .split('\n')
        .slice(1, 3),
    ).toEqual(['auth_request_set $tokengate_claim_email $upstream_http_x_auth_email;', 'proxy_set_header X-Auth-Email $tokengate_claim_email;']);
  });
});
