import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMinter, defaultTokenSettings, type Minter } from '../../bench/tokens/mint.js';
import { KIND_EXPECT, malformedToken, planMix, shuffled } from '../../bench/tokens/mix.js';
import { createFreshPool } from '../../bench/tokens/pool.js';
import { secretKeys } from '../../src/signing-keys/token-keys.js';
import { importHmacKey } from '../../src/tokens/keys.js';
import { COMPACT_JWS } from '../../src/tokens/limits.js';
import { createTokenVerifier } from '../../src/tokens/verify.js';
import { TEST_SECRET } from '../fixtures/config.js';

describe('planning a token mix', () => {
  it('adds 5% expired and 5% invalid tokens to the valid ones, the invalid split between forged and malformed', () => {
    expect(planMix(9000, { expired: 0.05, invalid: 0.05 })).toEqual({ valid: 9000, expired: 500, forged: 250, malformed: 250 });
    expect(planMix(10000, { expired: 0.05, invalid: 0.05 })).toEqual({ valid: 10000, expired: 556, forged: 278, malformed: 277 });
  });

  it('can be all valid', () => {
    expect(planMix(3, { expired: 0, invalid: 0 })).toEqual({ valid: 3, expired: 0, forged: 0, malformed: 0 });
  });

  it.each([
    [0, { expired: 0.05, invalid: 0.05 }],
    [1.5, { expired: 0.05, invalid: 0.05 }],
    [10, { expired: 0.6, invalid: 0.4 }],
    [10, { expired: -0.1, invalid: 0 }],
  ])('refuses %s valid tokens with shares %j', (valid, shares) => {
    expect(() => planMix(valid, shares)).toThrow(RangeError);
  });

  it('expects 2xx for a valid token and 401 for every other kind', () => {
    expect(KIND_EXPECT).toEqual({ valid: 0, expired: 401, forged: 401, malformed: 401 });
  });
});

describe('shuffling and malformed tokens', () => {
  it('shuffles the same way for the same seed, keeping every item', () => {
    const items = Array.from({ length: 100 }, (_, i) => i);
    const once = shuffled(items, 7);
    expect(shuffled(items, 7)).toEqual(once);
    expect(shuffled(items, 8)).not.toEqual(once);
    expect([...once].sort((a, b) => a - b)).toEqual(items);
    expect(once).not.toEqual(items);
  });

  it.each([0, 1, 2])('makes malformed token %i header-safe and not a compact JWS', (i) => {
    const t = malformedToken('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln', i);
    expect(t).toMatch(/^[\x21-\x7e]+$/);
    // Either not three segments, or three whose payload is no JSON.
    const payload = t.split('.')[1] ?? '';
    if (COMPACT_JWS.test(t)) expect(() => JSON.parse(Buffer.from(payload, 'base64url').toString())).toThrow();
  });
});

describe('minting with the product’s own issuer', () => {
  let dir: string;
  let minter: Minter;
  const settings = defaultTokenSettings();
  let verify: ReturnType<typeof createTokenVerifier>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bench-mint-'));
    const file = join(dir, 'jwt-secret');
    writeFileSync(file, `${TEST_SECRET}\n`, { mode: 0o600 });
    minter = await createMinter(file, settings);
    const key = await importHmacKey(new TextEncoder().encode(TEST_SECRET));
    verify = createTokenVerifier({ keys: () => secretKeys(key), issuer: settings.issuer, audience: settings.audience, clockSkewSeconds: settings.clockSkewS });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('mints tokens the signer’s own verifier takes or refuses exactly as their kind says', async () => {
    const mix = await minter.mix({ valid: 3, expired: 2, forged: 2, malformed: 3 }, 1);
    expect(mix).toHaveLength(10);
    const verdicts = await Promise.all(mix.map(async (t) => [t.kind, await verify(t.token)] as const));
    for (const [kind, v] of verdicts) {
      if (kind === 'valid') expect(v).toMatchObject({ ok: true, claims: { roles: ['user'] } });
      else expect(v.ok).toBe(false);
    }
    expect(verdicts.filter(([k]) => k === 'expired').map(([, v]) => v)).toEqual([
      { ok: false, reason: 'ERR_JWT_EXPIRED' },
      { ok: false, reason: 'ERR_JWT_EXPIRED' },
    ]);
    expect(verdicts.filter(([k]) => k === 'forged').map(([, v]) => v)).toEqual([
      { ok: false, reason: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' },
      { ok: false, reason: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' },
    ]);
  });

  it('gives every valid token a user of its own', async () => {
    const tokens = await minter.valid(50, 'mem-user');
    const subs = await Promise.all(
      tokens.map(async (t) => {
        const v = await verify(t.token);
        return v.ok ? v.claims.sub : undefined;
      }),
    );
    expect(new Set(subs).size).toBe(50);
    expect(subs[0]).toBe('mem-user-000000');
  });
});

describe('the first-sight pool', () => {
  /** A minter that numbers its tokens by user, and counts what it was asked for. */
  const fakeMinter = () => {
    const asked: number[] = [];
    return {
      asked,
      valid: async (count: number, prefix: string) => {
        asked.push(count);
        return Array.from({ length: count }, (_, i) => ({ token: `${prefix}-${i}`, kind: 'valid', expect: 0 }));
      },
    };
  };

  it('gives each round its own tokens, none sent twice, and mints more only when asked for more', async () => {
    const minter = fakeMinter();
    const pool = createFreshPool(minter, 60_000, () => 1000);
    const lists = await pool.rounds(3, 4);
    expect(lists.map((l) => l.length)).toEqual([4, 4, 4]);
    expect(new Set(lists.flat().map((t) => t.token)).size).toBe(12);
    // The same lists again (the wrk files are written once per list), and a smaller ask mints nothing.
    expect(await pool.rounds(3, 4)).toBe(lists);
    await pool.rounds(2, 5);
    const more = await pool.rounds(3, 6);
    expect(minter.asked).toEqual([12, 6]);
    expect(new Set(more.flat().map((t) => t.token)).size).toBe(18);
  });

  it('mints all anew once its tokens are older than it allows', async () => {
    const minter = fakeMinter();
    let now = 1000;
    const pool = createFreshPool(minter, 60_000, () => now);
    const first = await pool.rounds(1, 2);
    now += 60_001;
    const second = await pool.rounds(1, 2);
    expect(minter.asked).toEqual([2, 2]);
    expect(second[0]!.map((t) => t.token)).not.toEqual(first[0]!.map((t) => t.token));
  });
});
