import { describe, expect, it } from 'vitest';
import { createClientVerifier } from '../../src/service-clients/verify-client.js';
import { MemoryStore } from '../../src/store/memory.js';
import { MAX_TOKEN_LENGTH } from '../../src/tokens/limits.js';
import { createTokenIssuer } from '../../src/tokens/sign.js';
import { checkTokenShape, nonCanonicalPart } from '../../src/tokens/token-shape.js';
import { createTokenVerifier } from '../../src/tokens/verify.js';
import { clientClaims, clientKeyPair, clientToken, registryOf } from '../fixtures/client-keys.js';
import { signRaw } from '../fixtures/jws.js';
import { secretSource, useTestKey } from '../fixtures/signer.js';
import { BASE64URL, PART_INDEX, respellings, withPart, type PartName } from '../fixtures/spellings.js';

const NOW_MS = Date.UTC(2030, 0, 1);
const NOW_S = NOW_MS / 1000;
const PARTS = Object.keys(PART_INDEX) as PartName[];

/** Canonical base64url of `n` fixed bytes: length ≡ 0 (n ≡ 0 mod 3), 2 (n ≡ 1) or 3 (n ≡ 2) mod 4. */
const encoded = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff)).toString('base64url');
/** A token of canonical parts made of 6, 7 and 8 bytes: one part of each length class (0, 2 and 3 mod 4). */
const CANONICAL = [encoded(6), encoded(7), encoded(8)].join('.');
/** The same, with the parts rotated so each part name meets each length class. */
const rotations = [CANONICAL, [encoded(7), encoded(8), encoded(6)].join('.'), [encoded(8), encoded(6), encoded(7)].join('.')];

describe('checkTokenShape', () => {
  it.each(rotations)('passes a canonical token (%s)', (token) => {
    expect(checkTokenShape(token, MAX_TOKEN_LENGTH)).toBeUndefined();
  });

  const respelt = rotations.flatMap((token) =>
    PARTS.flatMap((part) => respellings(token, part).map((t) => [part, token.split('.')[PART_INDEX[part]]!.length % 4, t] as const)),
  );
  it.each(respelt)('refuses the %s (length ≡ %i mod 4) with its last character respelt within its group: %s', (_part, _rest, token) => {
    expect(checkTokenShape(token, MAX_TOKEN_LENGTH)).toBe('non_canonical');
  });

  it('has every other spelling of every length class in that table (15 when ≡ 2, 3 when ≡ 3, none when ≡ 0)', () => {
    expect(respelt.filter(([, rest]) => rest === 2)).toHaveLength(3 * 15);
    expect(respelt.filter(([, rest]) => rest === 3)).toHaveLength(3 * 3);
    expect(respelt.filter(([, rest]) => rest === 0)).toHaveLength(0);
  });

  it.each(PARTS)('refuses a %s whose length is 1 more than a multiple of 4 (no encoder writes one)', (part) => {
    expect(
      checkTokenShape(
        withPart(CANONICAL, part, () => `${encoded(6)}A`),
        MAX_TOKEN_LENGTH,
      ),
    ).toBe('non_canonical');
    expect(
      checkTokenShape(
        withPart(CANONICAL, part, () => 'A'),
        MAX_TOKEN_LENGTH,
      ),
    ).toBe('non_canonical');
  });

  it.each(
    PARTS.flatMap(
      (part) =>
        [
          [part, 'padding =', () => `${encoded(7)}==`],
          [part, 'padding = after a full group', (t: string) => `${t}=`],
          [part, "the standard alphabet's +", (t: string) => `+${t.slice(1)}`],
          [part, "the standard alphabet's /", (t: string) => `${t.slice(0, -1)}/`],
          [part, 'an empty part', () => ''],
        ] as const,
    ),
  )('refuses a %s with %s as malformed', (part, _case, change) => {
    expect(checkTokenShape(withPart(CANONICAL, part, change), MAX_TOKEN_LENGTH)).toBe('malformed');
  });

  it.each([
    ['two parts', `${encoded(6)}.${encoded(6)}`],
    ['four parts', `${CANONICAL}.${encoded(6)}`],
    ['a space', `${CANONICAL} `],
  ])('refuses %s as malformed', (_case, token) => {
    expect(checkTokenShape(token, MAX_TOKEN_LENGTH)).toBe('malformed');
  });

  it('refuses a token over the limit before looking at its spelling', () => {
    expect(checkTokenShape(`${CANONICAL}A`, CANONICAL.length)).toBe('token_too_long');
    expect(checkTokenShape(CANONICAL, CANONICAL.length)).toBeUndefined();
  });

  it('agrees with decoding and re-encoding, for every last character of parts of 2 to 9 characters in each place', () => {
    for (const part of PARTS) {
      for (let length = 2; length <= 9; length++) {
        for (const last of BASE64URL) {
          const text = `${'Q'.repeat(length - 1)}${last}`;
          const roundTrip = Buffer.from(text, 'base64url').toString('base64url') === text;
          expect(
            checkTokenShape(
              withPart(CANONICAL, part, () => text),
              MAX_TOKEN_LENGTH,
            ) === undefined,
            `${part} ${text}`,
          ).toBe(roundTrip);
        }
      }
    }
  });
});

describe('nonCanonicalPart', () => {
  it.each([
    [
      'a respelt signature',
      withPart(CANONICAL, 'signature', (t) => `${t.slice(0, -1)}${BASE64URL[BASE64URL.indexOf(t.at(-1)!) | 1]}`),
      { part: 'signature', problem: 'unused_bits' },
    ],
    ['a payload of 9 characters', withPart(CANONICAL, 'payload', () => `${encoded(6)}A`), { part: 'payload', problem: 'length', length: 9 }],
    ['a header ending in B instead of A', withPart(CANONICAL, 'header', () => 'QB'), { part: 'header', problem: 'unused_bits', last: 'B', canonicalLast: 'A' }],
  ])('names the part and the problem of %s', (_case, token, expected) => {
    expect(nonCanonicalPart(token)).toEqual(expect.objectContaining(expected));
  });

  it.each([
    ['a canonical token', CANONICAL],
    ['a malformed one', 'not-a-token'],
  ])('finds nothing in %s', (_case, token) => {
    expect(nonCanonicalPart(token)).toBeUndefined();
  });
});

describe('the verifiers refuse another spelling of a good token before any crypto', () => {
  const key = useTestKey();
  const verifier = () => createTokenVerifier({ keys: secretSource(key()), issuer: 'tokengate', clockSkewSeconds: 30, now: () => NOW_MS });

  /** A correctly signed HS256 token whose header and payload are both of the length class given. */
  function signedWithClasses(rest: 2 | 3): string {
    // One byte more moves the encoded length through every class but 1 within three steps.
    const fits = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url').length % 4 === rest;
    const padded = (base: object) => [0, 1, 2].map((n) => ({ ...base, pad: 'x'.repeat(n) })).find(fits)!;
    return signRaw(padded({ alg: 'HS256', typ: 'JWT' }), padded({ sub: 'alice', iss: 'tokengate', exp: NOW_S + 300 }));
  }

  it('an access token as the signer issues it: the original verifies, each respelt signature is non_canonical', async () => {
    const { token } = await createTokenIssuer({ keys: secretSource(key()), issuer: 'tokengate', ttlSeconds: 900, now: () => NOW_MS })({ sub: 'alice' });
    const verify = verifier();
    expect(await verify(token)).toEqual({ ok: true, claims: expect.objectContaining({ sub: 'alice' }) });
    // HS256: 32 bytes, 43 characters, the low 2 bits of the last one unused.
    const others = respellings(token, 'signature');
    expect(others).toHaveLength(3);
    for (const other of others) expect(await verify(other)).toEqual({ ok: false, reason: 'non_canonical' });
  });

  it.each([2, 3] as const)('a header or payload of length ≡ %i mod 4 respelt: non_canonical, not a bad signature', async (rest) => {
    const token = signedWithClasses(rest);
    const verify = verifier();
    expect((await verify(token)).ok).toBe(true);
    for (const part of ['header', 'payload'] as const) {
      for (const other of respellings(token, part)) expect(await verify(other)).toEqual({ ok: false, reason: 'non_canonical' });
    }
  });

  it('a refresh token', async () => {
    const issue = createTokenIssuer({ keys: secretSource(key()), issuer: 'tokengate', ttlSeconds: 900, now: () => NOW_MS });
    const { token } = await issue({ sub: 'alice' }, { kind: 'refresh', own: { sid: 's1' } });
    const verify = createTokenVerifier({ keys: secretSource(key()), kind: 'refresh', issuer: 'tokengate', clockSkewSeconds: 30, now: () => NOW_MS });
    expect((await verify(token)).ok).toBe(true);
    for (const other of respellings(token, 'signature')) expect(await verify(other)).toEqual({ ok: false, reason: 'non_canonical' });
  });

  it.each(['ES256', 'EdDSA', 'RS256'] as const)('a client token signed with %s: every respelling refused, and none uses up the nonce', async (alg) => {
    const pair = clientKeyPair(alg);
    const check = createClientVerifier({ clients: () => registryOf({ billing: pair }), store: new MemoryStore(() => NOW_S), windowS: 20, now: () => NOW_MS });
    const token = await clientToken(pair, clientClaims('billing', NOW_S));
    // 64 or 256 bytes: 86 or 342 characters, the low 4 bits of the last one unused.
    const others = respellings(token, 'signature');
    expect(others).toHaveLength(15);
    for (const other of others) expect(await check(other)).toEqual({ ok: false, reason: 'non_canonical' });
    expect(await check(token)).toEqual(expect.objectContaining({ ok: true, client: 'billing' }));
  });
});
