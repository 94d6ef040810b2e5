import { describe, expect, it } from 'vitest';
import { extractToken } from '../../src/tokens/extract.js';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln';

describe('token extraction', () => {
  describe('from the Authorization header', () => {
    it.each(['Bearer', 'bearer', 'BEARER', 'bEaReR'])('takes the token after the %s scheme (any case)', (scheme) => {
      expect(extractToken({ authorization: [`${scheme} ${TOKEN}`] })).toEqual({ kind: 'token', token: TOKEN, from: 'authorization' });
    });

    it('takes a bare token without a scheme, as the OpenResty recipe sent it', () => {
      expect(extractToken({ authorization: [TOKEN] })).toEqual({ kind: 'token', token: TOKEN, from: 'authorization' });
    });

    it.each([
      ['surrounding spaces', `  Bearer ${TOKEN}  `],
      ['several spaces after the scheme', `Bearer    ${TOKEN}`],
      ['a tab after the scheme', `Bearer\t${TOKEN}`],
    ])('tolerates %s', (_case, header) => {
      expect(extractToken({ authorization: [header] })).toEqual({ kind: 'token', token: TOKEN, from: 'authorization' });
    });

    it('refuses several Authorization headers, even when each one holds a good token', () => {
      expect(extractToken({ authorization: [`Bearer ${TOKEN}`, `Bearer ${TOKEN}`] })).toMatchObject({ kind: 'malformed' });
    });

    it.each([
      ['an empty header', ''],
      ['a header of spaces', '   '],
      ['the Basic scheme', 'Basic YWxpY2U6d29uZGVybGFuZA=='],
      ['the Digest scheme', `Digest ${TOKEN}`],
      ['a token with a space inside', 'Bearer abc def'],
      ['a NUL byte in a bearer token', `Bearer ${TOKEN}\u0000`],
      ['a NUL byte in a bare token', `${TOKEN}\u0000x`],
      ['a DEL character', `Bearer ${TOKEN}\u007f`],
      ['a non-ASCII bearer token', 'Bearer tökén'],
      ['a non-ASCII bare token', 'tökén'],
    ])('calls %s malformed', (_case, header) => {
      expect(extractToken({ authorization: [header] })).toMatchObject({ kind: 'malformed' });
    });

    // RFC 6750: a scheme without credentials is a malformed request, not a token called "Bearer".
    it('calls a Bearer scheme with nothing after it malformed', () => {
      expect(extractToken({ authorization: ['Bearer'] })).toMatchObject({ kind: 'malformed' });
    });

    // RFC 6750 §2: one method per request. A second token must not ride along to the app.
    it.each([
      ['a header and a jwt parameter', [`Bearer ${TOKEN}`], '/p?jwt=other.token.here'],
      ['a header and two jwt parameters', [`Bearer ${TOKEN}`], `/p?jwt=${TOKEN}&jwt=x.y.z`],
      ['a bare header and a jwt parameter', [TOKEN], `/p?a=1&jwt=${TOKEN}`],
    ])('calls %s malformed', (_case, authorization, originalUri) => {
      expect(extractToken({ authorization, originalUri })).toMatchObject({ kind: 'malformed' });
    });
  });

  describe('from ?jwt= in the original URI', () => {
    it.each([`/p?jwt=${TOKEN}`, `/p?a=1&jwt=${TOKEN}`, `/p?jwt=${TOKEN}&b=2`, `/?x=&jwt=${TOKEN}&y`])('takes the token from %s', (uri) => {
      expect(extractToken({ authorization: [], originalUri: uri })).toEqual({ kind: 'token', token: TOKEN, from: 'query' });
    });

    it.each([
      ['no original URI', undefined],
      ['a URI without a query', '/p'],
      ['an empty query', '/p?'],
      ['another parameter only', '/p?token=abc'],
      ['the name in upper case', `/p?JWT=${TOKEN}`],
      ['a percent-encoded name', `/p?%6Awt=${TOKEN}`],
      ['a longer name ending in jwt', `/p?xjwt=${TOKEN}`],
      ['the name without a value', '/p?jwt'],
      ['jwt= only in the path', `/jwt=${TOKEN}`],
    ])('finds no token with %s', (_case, uri) => {
      expect(extractToken({ authorization: [], originalUri: uri })).toEqual({ kind: 'none' });
    });

    it.each([
      ['an empty value', '/p?jwt='],
      ['two jwt parameters', `/p?jwt=${TOKEN}&jwt=${TOKEN}`],
      ['a space in the value', '/p?jwt=abc def'],
      ['a non-ASCII value', '/p?jwt=tökén'],
      ['a control character in the value', '/p?jwt=abc\u0001def'],
    ])('calls %s malformed', (_case, uri) => {
      expect(extractToken({ authorization: [], originalUri: uri })).toMatchObject({ kind: 'malformed' });
    });
  });
});
