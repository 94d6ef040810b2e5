import { describe, expect, it } from 'vitest';
import { createCsrf, isCrossSite } from '../../src/browser/csrf.js';

/** 2030-01-01T00:00:00Z: the injected "now" of every test here. */
const NOW_MS = Date.UTC(2030, 0, 1);
const NOW_S = NOW_MS / 1000;
const KEY = new Uint8Array(32).fill(7);
const OTHER_KEY = new Uint8Array(32).fill(8);
const SESSION = 'session-4f2a';

/** A CSRF pair whose clock the test moves; every token here is minted at NOW_MS. */
function setup(opts: { key?: Uint8Array; ttlSeconds?: number } = {}) {
  let at = NOW_MS;
  const csrf = createCsrf({ key: opts.key ?? KEY, ttlSeconds: opts.ttlSeconds, now: () => at });
  return { csrf, advance: (seconds: number) => void (at = NOW_MS + seconds * 1000) };
}

const { csrf } = setup();
const good = csrf.issue();
const bound = csrf.issue(SESSION);
const [nonce, expiry, mac] = good.split('.') as [string, string, string];

/** The same character position changed to another base64url character. */
const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);

describe('issuing', () => {
  it('mints nonce.expiry.mac with a 16-byte nonce, the expiry in unix seconds and a 32-byte MAC', () => {
    expect(good).toMatch(/^[A-Za-z0-9_-]{22}\.\d+\.[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(nonce, 'base64url')).toHaveLength(16);
    expect(Buffer.from(mac, 'base64url')).toHaveLength(32);
    expect(Number(expiry)).toBe(NOW_S + 3600);
  });

  it('mints a different token every time', () => {
    const tokens = new Set(Array.from({ length: 50 }, () => csrf.issue()));
    expect(tokens.size).toBe(50);
  });

  it.each([
    ['a key shorter than 32 bytes', { key: new Uint8Array(31) }],
    ['an empty key', { key: new Uint8Array(0) }],
    ['a string key', { key: 'x'.repeat(64) as unknown as Uint8Array }],
    ['a zero TTL', { key: KEY, ttlSeconds: 0 }],
    ['a negative TTL', { key: KEY, ttlSeconds: -1 }],
    ['a fractional TTL', { key: KEY, ttlSeconds: 1.5 }],
    ['a NaN TTL', { key: KEY, ttlSeconds: Number.NaN }],
  ])('refuses to build with %s', (_, opts) => {
    expect(() => createCsrf(opts)).toThrow(RangeError);
  });

  it('keeps its own copy of the key', () => {
    const key = new Uint8Array(KEY);
    const own = createCsrf({ key, now: () => NOW_MS });
    const token = own.issue();
    key.fill(0);
    expect(own.verify(token, token)).toBe(true);
  });
});

describe('verifying', () => {
  it.each([
    ['a matching form and cookie token', good, good, undefined],
    ['a session-bound token with its session', bound, bound, SESSION],
    ['a token bound to an empty string with that binding', csrf.issue(''), undefined, ''],
  ])('accepts %s', (_, form, cookie, binding) => {
    expect(csrf.verify(form, cookie ?? form, binding)).toBe(true);
  });

  it('accepts a token until the last second of its lifetime', () => {
    const { csrf: timed, advance } = setup();
    const token = timed.issue();
    advance(3599);
    expect(timed.verify(token, token)).toBe(true);
  });

  it('honours a custom TTL', () => {
    const { csrf: timed, advance } = setup({ ttlSeconds: 60 });
    const token = timed.issue();
    advance(59);
    expect(timed.verify(token, token)).toBe(true);
    advance(60);
    expect(timed.verify(token, token)).toBe(false);
  });

  it.each([
    ['the expiry second itself', 3600],
    ['one second after expiry', 3601],
    ['a day after expiry', 86_400],
  ])('refuses an expired token at %s', (_, seconds) => {
    const { csrf: timed, advance } = setup();
    const token = timed.issue();
    advance(seconds);
    expect(timed.verify(token, token)).toBe(false);
  });

  const tamperedNonce = `${flip(nonce, 0)}.${expiry}.${mac}`;
  const tamperedExpiry = `${nonce}.${Number(expiry) + 86_400}.${mac}`;
  const tamperedMac = `${nonce}.${expiry}.${flip(mac, 5)}`;
  const foreign = setup({ key: OTHER_KEY }).csrf.issue();
  const longToken = `${nonce}.${expiry}.${mac}${'A'.repeat(257)}`;

  it.each<[string, unknown, unknown, string?]>([
    ['a form token that differs from the cookie', csrf.issue(), good],
    ['a cookie token that differs from the form', good, csrf.issue()],
    ['a missing form token', undefined, good],
    ['a missing cookie token', good, undefined],
    ['both tokens missing', undefined, undefined],
    ['empty tokens', '', ''],
    ['a tampered nonce', tamperedNonce, tamperedNonce],
    ['a tampered expiry', tamperedExpiry, tamperedExpiry],
    ['a tampered MAC', tamperedMac, tamperedMac],
    ['a MAC from another token', `${nonce}.${expiry}.${bound.split('.')[2]}`, `${nonce}.${expiry}.${bound.split('.')[2]}`],
    ['a token signed with another key', foreign, foreign],
    ['a bound token checked for another session', bound, bound, 'session-other'],
    ['a bound token checked without a binding', bound, bound],
    ['an unbound token checked with a binding', good, good, SESSION],
    ['a token bound to an empty string checked without a binding', csrf.issue(''), undefined],
    ['numbers', 42, 42],
    ['null', null, null],
    ['objects', { token: good }, { token: good }],
    ['arrays', [good], [good]],
    ['Buffers', Buffer.from(good), Buffer.from(good)],
    ['String objects', new String(good), new String(good)],
    ['an over-long token', longToken, longToken],
    ['a token padded past 256 characters', `${good}${' '.repeat(257 - good.length)}`, `${good}${' '.repeat(257 - good.length)}`],
    ['surrounding whitespace', ` ${good} `, ` ${good} `],
    ['a trailing newline', `${good}\n`, `${good}\n`],
    ['a missing segment', `${nonce}.${expiry}`, `${nonce}.${expiry}`],
    ['an extra segment', `${good}.x`, `${good}.x`],
    ['a leading-zero expiry', `${nonce}.0${expiry}.${mac}`, `${nonce}.0${expiry}.${mac}`],
    ['a negative expiry', `${nonce}.-${expiry}.${mac}`, `${nonce}.-${expiry}.${mac}`],
    ['a short nonce', `${nonce.slice(1)}.${expiry}.${mac}`, `${nonce.slice(1)}.${expiry}.${mac}`],
    ['padded base64', `${nonce}==.${expiry}.${mac}=`, `${nonce}==.${expiry}.${mac}=`],
    ['standard base64 characters', `${nonce.slice(0, -1)}+.${expiry}.${mac.slice(0, -1)}/`, `${nonce.slice(0, -1)}+.${expiry}.${mac.slice(0, -1)}/`],
    ['non-ASCII characters', `${nonce.slice(0, -1)}é.${expiry}.${mac}`, `${nonce.slice(0, -1)}é.${expiry}.${mac}`],
    ['dots only', '..', '..'],
    ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln'],
  ])('refuses %s', (_, form, cookie, binding) => {
    expect(csrf.verify(form, cookie, binding)).toBe(false);
  });

  it.each<[string, unknown]>([
    [
      'a throwing getter object',
      {
        get length() {
          throw new Error('boom');
        },
      },
    ],
    [
      'a revoked proxy',
      (() => {
        const p = Proxy.revocable({}, {});
        p.revoke();
        return p.proxy;
      })(),
    ],
    ['a symbol', Symbol('token')],
    ['a bigint', 10n],
  ])('never throws, even for %s', (_, hostile) => {
    expect(() => csrf.verify(hostile, hostile)).not.toThrow();
    expect(csrf.verify(hostile, good)).toBe(false);
  });

  it('never throws when the clock does', () => {
    const working = createCsrf({ key: KEY, now: () => NOW_MS });
    const token = working.issue();
    const failing = createCsrf({
      key: KEY,
      now: () => {
        throw new Error('clock');
      },
    });
    expect(failing.verify(token, token)).toBe(false);
  });
});

describe('isCrossSite', () => {
  const PUBLIC = 'https://login.example.com';

  // Each header value carries its own verdict; Sec-Fetch-Site, when sent, overrules Origin.
  const FETCH_SITE: [string | undefined, boolean][] = [
    [undefined, false],
    ['same-origin', false],
    ['same-site', true],
    ['cross-site', true],
    ['none', true],
    ['', true],
    ['SAME-ORIGIN', true],
  ];
  const ORIGIN: [string | undefined, boolean][] = [
    [undefined, false],
    [PUBLIC, false],
    ['null', true],
    ['', true],
    ['https://evil.example', true],
    ['https://app.example.com', true],
    ['http://login.example.com', true],
    ['https://login.example.com:8443', true],
    ['https://login.example.com/', true],
    ['https://login.example.com.evil.example', true],
  ];
  const rows = FETCH_SITE.flatMap(([secFetchSite, siteRefuses]) =>
    ORIGIN.map(([origin, originRefuses]) => ({ secFetchSite, origin, refused: secFetchSite !== undefined ? siteRefuses : originRefuses })),
  );

  it.each(rows)('Sec-Fetch-Site $secFetchSite with Origin $origin → refused: $refused', ({ secFetchSite, origin, refused }) => {
    expect(isCrossSite({ secFetchSite, origin }, PUBLIC)).toBe(refused);
  });

  it('lets a request with neither header through, since the token still protects it', () => {
    expect(isCrossSite({}, PUBLIC)).toBe(false);
  });
});
