import { describe, expect, it } from 'vitest';
import type { TokenKeys } from '../../src/signing-keys/token-keys.js';
import { MAX_TOKEN_LENGTH } from '../../src/tokens/limits.js';
import { cachedVerifier, MAX_CACHED_TOKEN_LENGTH } from '../../src/tokens/verified-cache.js';
import type { Verification } from '../../src/tokens/verify.js';
import { respellings, withPart } from '../fixtures/spellings.js';

const NOW_MS = Date.UTC(2030, 0, 1);
const EXP_S = NOW_MS / 1000 + 300;

/** Keys are compared by identity only: a stand-in object is enough. */
const someKeys = () => ({}) as TokenKeys;

/**
 * A stand-in token named `name` (canonical base64url text: length not 1 mod 4, unused bits
 * clear): the cache refuses anything else before its lookup.
 */
const jws = (name: string) => `${name}.e30.c2lnbg`;
const nameOf = (token: string) => token.slice(0, token.indexOf('.'));

/** An inner verifier that counts its calls (by token name) and accepts tokens whose name starts with `ok`. */
function counting(exp = EXP_S) {
  const calls: string[] = [];
  const verify = async (token: string): Promise<Verification> => {
    calls.push(nameOf(token));
    return token.startsWith('ok')
      ? { ok: true, claims: { sub: token, roles: ['user'], exp, nested: { a: [1] } } }
      : { ok: false, reason: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' };
  };
  return { calls, verify };
}

function setup(opts: { max?: number; exp?: number } = {}) {
  const inner = counting(opts.exp);
  const clock = { ms: NOW_MS };
  let keys = someKeys();
  const lookups: boolean[] = [];
  const cached = cachedVerifier(inner.verify, { max: opts.max ?? 100, keys: () => keys, now: () => clock.ms, onLookup: (hit) => lookups.push(hit) });
  const verify = (name: string) => cached(jws(name));
  return { verify, cached, calls: inner.calls, clock, lookups, reloadKeys: () => (keys = someKeys()) };
}

describe('cachedVerifier', () => {
  it('checks a token once, then answers the same claims from memory and counts the hit', async () => {
    const t = setup();
    const first = await t.verify('ok-alice');
    const second = await t.verify('ok-alice');
    expect(first).toEqual({ ok: true, claims: expect.objectContaining({ sub: jws('ok-alice') }) });
    expect(second).toEqual(first);
    expect(t.calls).toEqual(['ok-alice']);
    expect(t.lookups).toEqual([false, true]);
  });

  it('never remembers a refusal', async () => {
    const t = setup();
    expect(await t.verify('nope')).toEqual({ ok: false, reason: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
    await t.verify('nope');
    expect(t.calls).toEqual(['nope', 'nope']);
    expect(t.lookups).toEqual([false, false]);
  });

  it('keys on the exact token string', async () => {
    const t = setup();
    await t.verify('ok-alice');
    await t.verify('ok-Alice');
    await t.verify('ok-ALICE');
    expect(t.calls).toEqual(['ok-alice', 'ok-Alice', 'ok-ALICE']);
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
    await t.verify('ok-later');
    await t.verify('ok-later');
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
    await verify(jws('ok-alice'));
    await verify(jws('ok-alice'));
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
    const long = `ok${'x'.repeat(MAX_CACHED_TOKEN_LENGTH - 2)}`;
    await t.verify(long);
    await t.verify(long);
    expect(t.calls).toHaveLength(2);
  });

  it('is the inner verifier itself when off (max 0)', () => {
    const inner = counting();
    expect(cachedVerifier(inner.verify, { max: 0, keys: someKeys })).toBe(inner.verify);
  });

  it('never serves a respelling from the entry of its canonical token: refused before the lookup, the inner verifier not asked', async () => {
    const t = setup();
    const canonical = jws('ok-alice');
    expect((await t.cached(canonical)).ok).toBe(true);
    // The stand-in verifier would accept these; the cache must not ask it, nor look them up.
    const others = [...respellings(canonical, 'payload'), ...respellings(canonical, 'signature')];
    expect(others).toHaveLength(3 + 15);
    for (const other of others) expect(await t.cached(other)).toEqual({ ok: false, reason: 'non_canonical' });
    expect((await t.cached(canonical)).ok).toBe(true);
    expect(t.calls).toEqual(['ok-alice']);
    expect(t.lookups).toEqual([false, true]);
  });

  it.each([
    ['a part 1 more than a multiple of 4 long', withPart(jws('ok-alice'), 'header', (h) => `${h}A`), 'non_canonical'],
    ['padding', withPart(jws('ok-alice'), 'signature', (s) => `${s}=`), 'malformed'],
    ['not three parts', 'ok-alice', 'malformed'],
    ['over the longest token accepted', jws(`ok${'x'.repeat(MAX_TOKEN_LENGTH)}`), 'token_too_long'],
  ])('refuses a token with %s before the lookup, as the verifier would', async (_case, token, reason) => {
    const t = setup();
    expect(await t.cached(token)).toEqual({ ok: false, reason });
    expect(t.calls).toEqual([]);
    expect(t.lookups).toEqual([]);
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
