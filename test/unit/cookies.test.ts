import { beforeAll, describe, expect, it } from 'vitest';
import { ALL_COOKIE_NAMES, createCookieJar, CSRF_COOKIE_TTL_S } from '../../src/session/cookies.js';
import type { SessionTokens } from '../../src/session/sessions.js';
import { createTokenIssuer } from '../../src/tokens/sign.js';
import { testKey, secretSource } from '../fixtures/signer.js';

const NOW_MS = Date.UTC(2030, 0, 1);
const ACCESS_TTL_S = 900;
const REFRESH_TTL_S = 604_800;
const CSRF = 'csrf-nonce.1893456000.mac';

let tokens: SessionTokens;
beforeAll(async () => {
  const issue = createTokenIssuer({ keys: secretSource(await testKey()), issuer: 'tokengate', ttlSeconds: ACCESS_TTL_S, now: () => NOW_MS });
  const own = { sid: 'session-1' };
  tokens = {
    sid: 'session-1',
    access: await issue({ sub: 'alice' }, { own }),
    refresh: await issue({ sub: 'alice' }, { kind: 'refresh', own, ttlSeconds: REFRESH_TTL_S }),
  };
});

interface SetCookie {
  name: string;
  value: string;
  /** Attribute names lowercased; `true` for flags such as HttpOnly. */
  attributes: Record<string, string | true>;
}

/** Splits a Set-Cookie value into its pair and attributes, failing on a repeated attribute. */
function parseSetCookie(header: string): SetCookie {
  const [pair, ...rest] = header.split(';').map((part) => part.trim());
  const eq = pair!.indexOf('=');
  const attributes: Record<string, string | true> = {};
  for (const part of rest) {
    const i = part.indexOf('=');
    const name = (i === -1 ? part : part.slice(0, i)).toLowerCase();
    expect(attributes, `attribute ${name} twice in ${header}`).not.toHaveProperty(name);
    attributes[name] = i === -1 ? true : part.slice(i + 1);
  }
  return { name: pair!.slice(0, eq), value: pair!.slice(eq + 1), attributes };
}

const secureJar = createCookieJar({ secure: true });
const plainJar = createCookieJar({ secure: false });

describe('cookie names', () => {
  it.each([
    ['secure', secureJar, { access: '__Host-tg_access', refresh: '__Host-tg_refresh', csrf: '__Host-tg_csrf' }],
    ['plain-http', plainJar, { access: 'tg_access', refresh: 'tg_refresh', csrf: 'tg_csrf' }],
  ])('a %s jar names its cookies with the __Host- prefix only when secure', (_case, jar, names) => {
    expect(jar.names).toEqual(names);
  });

  it('lists both spellings of every name, for stripping', () => {
    expect([...ALL_COOKIE_NAMES].sort()).toEqual(['__Host-tg_access', '__Host-tg_csrf', '__Host-tg_refresh', 'tg_access', 'tg_csrf', 'tg_refresh']);
  });
});

describe('setting the session cookies', () => {
  it('writes exactly these Set-Cookie values for a secure jar', () => {
    expect(secureJar.session(tokens)).toEqual({
      access: `__Host-tg_access=${tokens.access.token}; Max-Age=${ACCESS_TTL_S}; Path=/; HttpOnly; Secure; SameSite=Lax`,
      refresh: `__Host-tg_refresh=${tokens.refresh.token}; Max-Age=${REFRESH_TTL_S}; Path=/; HttpOnly; Secure; SameSite=Strict`,
    });
  });

  it('writes exactly these Set-Cookie values for a plain-http jar', () => {
    expect(plainJar.session(tokens)).toEqual({
      access: `tg_access=${tokens.access.token}; Max-Age=${ACCESS_TTL_S}; Path=/; HttpOnly; SameSite=Lax`,
      refresh: `tg_refresh=${tokens.refresh.token}; Max-Age=${REFRESH_TTL_S}; Path=/; HttpOnly; SameSite=Strict`,
    });
  });

  it.each([
    ['secure', 'access', true, 'Lax', ACCESS_TTL_S],
    ['secure', 'refresh', true, 'Strict', REFRESH_TTL_S],
    ['plain-http', 'access', false, 'Lax', ACCESS_TTL_S],
    ['plain-http', 'refresh', false, 'Strict', REFRESH_TTL_S],
  ] as const)('a %s %s cookie: HttpOnly, Path=/, no Domain, SameSite and Max-Age as its token', (_case, which, secure, sameSite, maxAge) => {
    const jar = secure ? secureJar : plainJar;
    const cookie = parseSetCookie(jar.session(tokens)[which]);
    expect(cookie.name).toBe(jar.names[which]);
    expect(cookie.name.startsWith('__Host-')).toBe(secure);
    expect(cookie.value).toBe(tokens[which].token);
    const expected: Record<string, string | true> = { 'max-age': String(maxAge), path: '/', httponly: true, samesite: sameSite };
    if (secure) expected.secure = true;
    expect(cookie.attributes).toEqual(expected);
  });

  it.each([
    ['secure', secureJar, true],
    ['plain-http', plainJar, false],
  ] as const)('a %s CSRF cookie: HttpOnly, SameSite=Strict, Path=/, an hour long', (_case, jar, secure) => {
    const cookie = parseSetCookie(jar.csrf(CSRF));
    expect(cookie).toEqual({
      name: jar.names.csrf,
      value: CSRF,
      attributes: { 'max-age': String(CSRF_COOKIE_TTL_S), path: '/', httponly: true, samesite: 'Strict', ...(secure ? { secure: true } : {}) },
    });
  });
});

describe('clearing the session cookies', () => {
  it.each([
    ['secure', secureJar],
    ['plain-http', plainJar],
  ] as const)('a %s jar clears each cookie with the attributes it was set with, Max-Age=0 and an epoch Expires', (_case, jar) => {
    const set = jar.session(tokens);
    const cleared = jar.cleared();
    for (const which of ['access', 'refresh'] as const) {
      const before = parseSetCookie(set[which]);
      const after = parseSetCookie(cleared[which]);
      expect(after.name).toBe(before.name);
      expect(after.value).toBe('');
      expect(after.attributes).toEqual({ ...before.attributes, 'max-age': '0', expires: 'Thu, 01 Jan 1970 00:00:00 GMT' });
    }
  });
});

describe('reading the Cookie header', () => {
  it('reads its three cookies among others', () => {
    const header = `theme=dark; __Host-tg_access=${tokens.access.token}; lang=en; __Host-tg_refresh=${tokens.refresh.token}; __Host-tg_csrf=${CSRF}; z=1`;
    expect(secureJar.read(header)).toEqual({ access: tokens.access.token, refresh: tokens.refresh.token, csrf: CSRF });
  });

  it('reads back what it set', () => {
    const set = plainJar.session(tokens);
    const header = [set.access, set.refresh].map((c) => c.split(';')[0]).join('; ');
    expect(plainJar.read(header)).toEqual({ access: tokens.access.token, refresh: tokens.refresh.token, csrf: undefined });
  });

  it.each([
    ['a secure jar, the unprefixed names', secureJar, 'tg_access=a; tg_refresh=r; tg_csrf=c'],
    ['a plain-http jar, the prefixed names', plainJar, '__Host-tg_access=a; __Host-tg_refresh=r; __Host-tg_csrf=c'],
    ['a secure jar, another case', secureJar, '__host-tg_access=a; __HOST-TG_REFRESH=r; __Host-TG_csrf=c'],
    ['a plain-http jar, another case', plainJar, 'TG_ACCESS=a; Tg_Refresh=r; tg_CSRF=c'],
    ['a plain-http jar, names that only contain ours', plainJar, 'xtg_access=a; tg_refresh_old=r; my-tg_csrf=c'],
    ['a plain-http jar, other prefixes', plainJar, '__Secure-tg_access=a; __Host-tg_refresh=r'],
  ])('ignores other spellings: %s', (_case, jar, header) => {
    expect(jar.read(header)).toEqual({ access: undefined, refresh: undefined, csrf: undefined });
  });

  it.each([
    ['undefined', undefined],
    ['an empty header', ''],
    ['one character', 'a'],
    ['only separators', ';;; ;'],
    ['only an equals sign', '='],
    ['a bare name', 'tg_access'],
    ['a value without a name', '=tg_access'],
    ['a NUL byte', '\u0000'],
    ['control characters', '\r\n\t'],
    ['a huge run of semicolons', ';'.repeat(100_000)],
    ['a huge run of equals signs', '='.repeat(100_000)],
  ])('reads %s as no cookies, without throwing', (_case, header) => {
    for (const jar of [secureJar, plainJar]) {
      const read = jar.read(header);
      expect([read.access, read.refresh, read.csrf]).toEqual([undefined, undefined, undefined]);
    }
  });

  it('reads a value that is not valid percent-encoding as it came, without throwing', () => {
    expect(plainJar.read('tg_access=%E0%A4%A; tg_refresh=%ZZ')).toMatchObject({ access: '%E0%A4%A', refresh: '%ZZ' });
  });
});
