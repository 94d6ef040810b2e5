import { describe, expect, it } from 'vitest';
import type { TokenKeys } from '../../src/keys/token-keys.js';
import { cachedVerifier, MAX_CACHED_TOKEN_LENGTH } from '../../src/tokens/verified-cache.js';
import type { Verification } from '../../src/tokens/verify.js';

const NOW_MS = Date.UTC(2030, 0, 1);
const EXP_S = NOW_MS / 1000 + 300;

/** Keys are compared by identity only: a stand-in object is enough. */
const someKeys = () => ({}) as TokenKeys;

/** An inner verifier that counts its calls and accepts tokens starting with `ok`. */
function counting(exp = EXP_S) {
  const calls: string[] = [];
  const verify = async (token: string): Promise<Verification> => {
    calls.push(token);
    return token.startsWith('ok') ? { ok: true, claims: { sub: token, roles: ['user'], exp, nested: { a: [1] } } } : { ok: false, reason: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' };
  };
  return { calls, verify };
}

function setup(opts: { max?: number; exp?: number } = {}) {
  const inner = counting(opts.exp);
  const clock = { ms: NOW_MS };
  let keys = someKeys();
  const lookups: boolean[] = [];
  const verify = cachedVerifier(inner.verify, { max: opts.max ?? 100, keys: () => keys, now: () => clock.ms, onLookup: (hit) => lookups.push(hit) });
  return { verify, calls: inner.calls, clock, lookups, reloadKeys: () => (keys = someKeys()) };
}

describe('cachedVerifier', () => {
  it('checks a token once, then answers the same claims from memory and counts the hit', async () => {
    const t = setup();
    const first = await t.verify('ok-alice');
    const second = await t.verify('ok-alice');
    expect(first).toEqual({ ok: true, claims: expect.objectContaining({ sub: 'ok-alice' }) });
    expect(second).toEqual(first);
    expect(t.calls).toEqual(['ok-alice']);
    expect(t.lookups).toEqual([false, true]);
  });

  it('never remembers a refusal', async () => {
    const t = setup();
    expect(await t.verify('bad')).toEqual({ ok: false, reason: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
    await t.verify('bad');
    expect(t.calls).toEqual(['bad', 'bad']);
    expect(t.lookups).toEqual([false, false]);
  });

  it('keys on the exact token string', async () => {
    const t = setup();
    await t.verify('ok-alice');
    await t.verify('ok-alice ');
    await t.verify('ok-Alice');
    expect(t.calls).toEqual(['ok-alice', 'ok-alice ', 'ok-Alice']);
  });

  it('never uses an entry at or past the token exp: the full check decides again', async () => {
    const t = setup();
    await t.verify('ok-alice');
    t.clock.ms = EXP_S * 1000 - 1;
    await t.verify('ok-alice');
    expect(t.calls).toHaveLength(1);
    t.clock.ms = EXP_S * 1000;
    await t.verify('ok-alice');
    expect(t.calls).toHaveLength(2);
  });

  it('does not keep a token the full check accepted at or past its exp (inside the clock skew)', async () => {
    const t = setup({ exp: NOW_MS / 1000 - 5 });
    await t.verify('ok-late');
    await t.verify('ok-late');
    expect(t.calls).toHaveLength(2);
  });

  it('checks again after the keys changed (a reload, a retired key)', async () => {
    const t = setup();
    await t.verify('ok-alice');
    t.reloadKeys();
    await t.verify('ok-alice');
    await t.verify('ok-alice');
    expect(t.calls).toHaveLength(2);
  });

  it('labels a result with the keys read before the check, so a reload during it is not missed', async () => {
    const inner = counting();
    let keys = someKeys();
    const verify = cachedVerifier(
      async (token) => {
        const result = await inner.verify(token);
        keys = someKeys(); // reloaded while this token was being checked
        return result;
      },
      { max: 10, keys: () => keys, now: () => NOW_MS },
    );
    await verify('ok-alice');
    await verify('ok-alice');
    expect(inner.calls).toHaveLength(2);
  });

  it('holds at most `max` tokens, dropping the least recently used', async () => {
    const t = setup({ max: 2 });
    await t.verify('ok-1');
    await t.verify('ok-2');
    await t.verify('ok-1'); // ok-2 is now the least recently used
    await t.verify('ok-3');
    await t.verify('ok-1');
    expect(t.calls).toEqual(['ok-1', 'ok-2', 'ok-3']);
    await t.verify('ok-2');
    expect(t.calls).toEqual(['ok-1', 'ok-2', 'ok-3', 'ok-2']);
  });

  it('does not keep tokens longer than the cap', async () => {
    const t = setup();
    const long = `ok${'x'.repeat(MAX_CACHED_TOKEN_LENGTH - 1)}`;
    await t.verify(long);
    await t.verify(long);
    expect(t.calls).toHaveLength(2);
  });

  it('is the inner verifier itself when off (max 0)', () => {
    const inner = counting();
    expect(cachedVerifier(inner.verify, { max: 0, keys: someKeys })).toBe(inner.verify);
  });

  it('hands out claims nobody can change, nested ones included', async () => {
    const t = setup();
    const result = await t.verify('ok-alice');
    if (!result.ok) throw new Error('expected ok');
    expect(Object.isFrozen(result.claims)).toBe(true);
    expect(Object.isFrozen(result.claims.roles)).toBe(true);
    expect(Object.isFrozen((result.claims.nested as { a: number[] }).a)).toBe(true);
  });
});
