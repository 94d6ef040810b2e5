import { describe, expect, it } from 'vitest';
import { encodePath, isAuthenticatePath, normalizePath } from '../../src/http/normalize-path.js';
import { splitJwtParams } from '../../src/tokens/query-token.js';
import { withoutJwtParam } from '../../src/front/without-jwt-param.js';

describe('normalizePath, as nginx resolves a path before choosing a location', () => {
  it.each([
    ['/check', '/check'],
    ['//check', '/check'],
    ['/a//b///c', '/a/b/c'],
    ['/x/../check', '/check'],
    ['/./check', '/check'],
    ['/%2e/check', '/check'],
    ['/x/%2E%2E/check', '/check'],
    ['/%61uthenticate', '/authenticate'],
    ['/a%2Fb', '/a/b'],
    ['/api/', '/api/'],
    ['/a/b/..', '/a/'],
    ['/a/.', '/a/'],
    ['/', '/'],
    ['/caf%C3%A9', '/café'],
  ])('turns %s into %s', (raw, normalized) => {
    expect(normalizePath(raw)).toBe(normalized);
  });

  it.each([
    ['a path climbing above the root', '/../etc/passwd'],
    ['a deeper climb', '/a/../../b'],
    ['a bad escape', '/admin/%ZZ'],
    ['a truncated escape', '/a%2'],
    ['a NUL byte', '/a%00b'],
    ['no leading slash', 'check'],
  ])('refuses %s', (_case, raw) => {
    expect(normalizePath(raw)).toBeUndefined();
  });
});

describe('encodePath', () => {
  it('escapes what would change the meaning of the request line', () => {
    expect(encodePath('/a b/?x#y%')).toBe('/a%20b/%3Fx%23y%25');
  });

  it('round-trips through normalizePath', () => {
    for (const path of ['/check', '/a b/c', '/café', '/x?y', '/100%']) expect(normalizePath(encodePath(path))).toBe(path);
  });
});

describe('isAuthenticatePath', () => {
  it.each(['/authenticate', '/AUTHENTICATE', '/authenticate/', '/authenticate/x', '/authenticate;jsessionid=1', '/authenticate.json'])('matches %s', (p) => {
    expect(isAuthenticatePath(p)).toBe(true);
  });

  it.each(['/authenticated', '/authenticates', '/api/authenticate', '/authenticatex', '/'])('leaves %s alone', (p) => {
    expect(isAuthenticatePath(p)).toBe(false);
  });
});

describe('splitJwtParams', () => {
  it.each<[string, string[], string]>([
    ['/p', [], '/p'],
    ['/p?jwt=a.b.c', ['a.b.c'], '/p'],
    ['/p?x=1&jwt=a.b.c&y=2', ['a.b.c'], '/p?x=1&y=2'],
    ['/p?jwt=a&jwt=b', ['a', 'b'], '/p'],
    ['/p?xjwt=1&JWT=2&%6Awt=3', [], '/p?xjwt=1&JWT=2&%6Awt=3'],
    ['/p?&&jwt=a&', ['a'], '/p'],
  ])('splits %s', (target, tokens, rest) => {
    expect(splitJwtParams(target)).toEqual({ tokens, rest });
  });
});

// What nginx's `$tokengate_args` map leaves of the query: one `jwt=` cut, nothing else touched.
describe('withoutJwtParam', () => {
  it.each<[string, string]>([
    ['/p', '/p'],
    ['/p?', '/p'],
    ['/p?jwt=a.b.c', '/p'],
    ['/p?jwt=a.b.c&x=1', '/p?x=1'],
    ['/p?x=1&jwt=a.b.c&y=2', '/p?x=1&y=2'],
    ['/p?x=1&jwt=a.b.c', '/p?x=1'],
    ['/p?a=1&&b=2&', '/p?a=1&&b=2&'],
    ['/p?a=1&&jwt=t&b=2&', '/p?a=1&&b=2&'],
    ['/p?xjwt=1&JWT=2&%6Awt=3&a=jwt=4', '/p?xjwt=1&JWT=2&%6Awt=3&a=jwt=4'],
  ])('sends %s on as %s', (target, sent) => {
    expect(withoutJwtParam(target)).toBe(sent);
  });
});
