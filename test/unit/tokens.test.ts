import { SignJWT } from 'jose';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SigningKey } from '../../src/tokens/keys.js';
import { MAX_TOKEN_LENGTH } from '../../src/tokens/limits.js';
import { createTokenIssuer, TokenTooLargeError } from '../../src/tokens/sign.js';
import type { TokenRefusal } from '../../src/tokens/refusal.js';
import { createTokenVerifier, type Verification } from '../../src/tokens/verify.js';
import { decodePayload, signRaw } from '../fixtures/jws.js';
import { testKey, secretSource } from '../fixtures/signer.js';
import { mint, rawSegments, rs256Token, tamper, unsignedToken } from '../fixtures/tokens.js';

/** 2030-01-01T00:00:00Z: the frozen "now" of every test here. */
const NOW_MS = Date.UTC(2030, 0, 1);
const NOW_S = NOW_MS / 1000;
const SKEW_S = 30;
const TTL_S = 900;
const HS256 = { alg: 'HS256', typ: 'JWT' };

let key: SigningKey;
beforeAll(async () => {
  key = await testKey();
});

// jose and the fixtures read Date; freeze only Date so promises and crypto run as usual.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW_MS);
});
afterEach(() => {
  vi.useRealTimers();
});

const verifier = (opts: { audience?: string; now?: () => number } = {}) =>
  createTokenVerifier({ keys: secretSource(key), issuer: 'tokengate', clockSkewSeconds: SKEW_S, audience: opts.audience, now: opts.now ?? (() => NOW_MS) });
const issuer = (opts: { audience?: string; now?: () => number } = {}) =>
  createTokenIssuer({ keys: secretSource(key), issuer: 'tokengate', ttlSeconds: TTL_S, audience: opts.audience, now: opts.now ?? (() => NOW_MS) });

const refused = (reason?: TokenRefusal): Verification => (reason ? { ok: false, reason } : expect.objectContaining({ ok: false }));

/** A correctly signed HS256 token with exactly this payload (plus nothing the gateway adds). */
const signedWith = (payload: unknown) => signRaw(HS256, payload);
const claimsBase = { iss: 'tokengate', iat: NOW_S, exp: NOW_S + 300 };

describe('signing and verifying', () => {
  it('verifies a token it issued and returns the claims', async () => {
    const { token, expiresIn } = await issuer()({ sub: 'alice', roles: ['admin', 'user'], name: 'Alice' });
    expect(expiresIn).toBe(TTL_S);
    const result = await verifier()(token);
    expect(result).toEqual({
      ok: true,
      claims: { sub: 'alice', roles: ['admin', 'user'], name: 'Alice', iss: 'tokengate', iat: NOW_S, exp: NOW_S + TTL_S, jti: expect.any(String) },
    });
  });

  it('issues HS256 access tokens with typ at+jwt (RFC 9068)', async () => {
    const { token } = await issuer()({ sub: 'alice' });
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as unknown;
    expect(header).toEqual({ alg: 'HS256', typ: 'at+jwt' });
  });

  it('gives every token a different random jti', async () => {
    const issue = issuer();
    const [a, b] = await Promise.all([issue({ sub: 'alice' }), issue({ sub: 'alice' })]);
    const jtiA = decodePayload(a.token).jti;
    expect(jtiA).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(jtiA).not.toBe(decodePayload(b.token).jti);
  });

  it('overrides upstream-supplied iat, exp, nbf, jti, iss and aud with its own', async () => {
    const { token } = await issuer()({ sub: 'alice', iat: 1, exp: 9_999_999_999, nbf: NOW_S + 3600, jti: 'chosen', iss: 'evil', aud: 'evil' });
    const payload = decodePayload(token);
    expect(payload).toMatchObject({ sub: 'alice', iat: NOW_S, exp: NOW_S + TTL_S, iss: 'tokengate' });
    expect(payload.jti).not.toBe('chosen');
    expect(payload).not.toHaveProperty('nbf');
    expect(payload).not.toHaveProperty('aud');
  });

  it('puts its own audience over an upstream-supplied one when AUDIENCE is set', async () => {
    const { token } = await issuer({ audience: 'app' })({ sub: 'alice', aud: ['evil', 'app'] });
    expect(decodePayload(token).aud).toBe('app');
    expect(await verifier({ audience: 'app' })(token)).toMatchObject({ ok: true });
  });

  it('refuses to issue a token longer than any verifier accepts', async () => {
    await expect(issuer()({ sub: 'alice', blob: 'x'.repeat(MAX_TOKEN_LENGTH) })).rejects.toBeInstanceOf(TokenTooLargeError);
  });
});

describe('verifying refuses', () => {
  it('a token signed with alg none and no signature', async () => {
    expect(await verifier()(unsignedToken({ sub: 'alice', iss: 'tokengate', exp: NOW_S + 300 }))).toEqual(refused());
  });

  it('a token with alg none that carries a signature segment anyway', async () => {
    const token = signRaw({ alg: 'none', typ: 'JWT' }, { sub: 'alice', ...claimsBase });
    expect(await verifier()(token)).toEqual(refused('ERR_JOSE_ALG_NOT_ALLOWED'));
  });

  it.each(['HS384', 'HS512'] as const)('a token signed with %s, even with the right secret', async (alg) => {
    expect(await verifier()(await mint(undefined, { alg }))).toEqual(refused('ERR_JOSE_ALG_NOT_ALLOWED'));
  });

  it('a token signed with RS256 (no kid: only the HS256 secret could verify it)', async () => {
    expect(await verifier()(await rs256Token())).toEqual(refused('alg_mismatch'));
  });

  it('a token signed with another secret', async () => {
    const token = await mint(undefined, { secret: 'another-secret-0123456789abcdefghijklmnop' });
    expect(await verifier()(token)).toEqual(refused('ERR_JWS_SIGNATURE_VERIFICATION_FAILED'));
  });

  it('a tampered token', async () => {
    const token = await mint();
    expect(await verifier()(token)).toMatchObject({ ok: true });
    expect(await verifier()(tamper(token))).toEqual(refused('ERR_JWS_SIGNATURE_VERIFICATION_FAILED'));
  });

  it('a token that expired longer ago than the clock skew', async () => {
    expect(await verifier()(await mint(undefined, { expiresIn: -(SKEW_S + 1) }))).toEqual(refused('ERR_JWT_EXPIRED'));
  });

  it('a token it issued, once its lifetime and the clock skew have passed', async () => {
    const { token } = await issuer()({ sub: 'alice' });
    const later = verifier({ now: () => NOW_MS + (TTL_S + SKEW_S + 1) * 1000 });
    expect(await later(token)).toEqual(refused('ERR_JWT_EXPIRED'));
  });

  it('a token without exp', async () => {
    expect(await verifier()(await mint(undefined, { expiresIn: null }))).toEqual(refused('ERR_JWT_CLAIM_VALIDATION_FAILED'));
  });

  it('a token that is not valid yet beyond the clock skew (nbf)', async () => {
    expect(await verifier()(await mint(undefined, { notBeforeIn: SKEW_S + 1 }))).toEqual(refused('ERR_JWT_CLAIM_VALIDATION_FAILED'));
  });

  it.each([
    ['another issuer', 'someone-else'],
    ['no issuer', null],
  ])('a token with %s', async (_case, iss) => {
    expect(await verifier()(await mint(undefined, { issuer: iss }))).toEqual(refused('ERR_JWT_CLAIM_VALIDATION_FAILED'));
  });

  it('a token without aud when an audience is configured', async () => {
    expect(await verifier({ audience: 'app' })(await mint())).toEqual(refused('ERR_JWT_CLAIM_VALIDATION_FAILED'));
  });

  it('a token for another audience', async () => {
    expect(await verifier({ audience: 'app' })(await mint(undefined, { audience: 'other-app' }))).toEqual(refused('ERR_JWT_CLAIM_VALIDATION_FAILED'));
  });

  it('a correctly signed token longer than the limit, before any crypto', async () => {
    const token = await mint({ sub: 'alice', pad: 'x'.repeat(MAX_TOKEN_LENGTH) });
    expect(token.length).toBeGreaterThan(MAX_TOKEN_LENGTH);
    expect(await verifier()(token)).toEqual(refused('token_too_long'));
  });

  it.each([
    ['one segment', 'abc'],
    ['two segments', 'abc.def'],
    ['four segments', 'a.b.c.d'],
    ['an empty segment', 'a..c'],
    ['a JWE (five segments)', 'a.b.c.d.e'],
    ['padding characters', 'YQ==.YQ==.YQ=='],
    ['standard base64 characters', 'a+b.c/d.e'],
    ['an empty string', ''],
  ])('a token with %s', async (_case, token) => {
    expect(await verifier()(token)).toEqual(refused());
  });

  it.each([
    ['a header that is not JSON', () => rawSegments('not json', { sub: 'alice', ...claimsBase })],
    ['a header that is a JSON array', () => signRaw([HS256], { sub: 'alice', ...claimsBase })],
    ['a payload that is not JSON', () => signRaw(HS256, 'not json')],
    ['a payload that is an array', () => signedWith([{ sub: 'alice', ...claimsBase }])],
    ['a payload that is a number', () => signedWith(42)],
    ['a payload that is a string', () => signedWith('"alice"')],
    ['a payload that is null', () => signedWith(null)],
    ['a payload that is true', () => signedWith(true)],
  ])('a correctly signed token with %s', async (_case, make) => {
    expect(await verifier()(make())).toEqual(refused());
  });

  it.each<[string, unknown]>([
    ['CR LF (header injection)', 'alice\r\nX-Auth-Roles: admin'],
    ['LF', 'alice\nadmin'],
    ['CR', 'alice\radmin'],
    ['a NUL byte', 'alice\u0000'],
    ['a tab', 'ali\tce'],
    ['DEL', 'alice\u007f'],
    ['non-ASCII letters', 'alïce'],
    ['non-Latin script', 'アリス'],
    ['a leading space', ' alice'],
    ['a trailing space', 'alice '],
    ['nothing', ''],
    ['257 characters', 'a'.repeat(257)],
    ['a number', 42],
    ['null', null],
    ['an array', ['alice']],
  ])('a token whose sub holds %s', async (_case, sub) => {
    expect(await verifier()(signedWith({ sub, ...claimsBase }))).toEqual(refused('unsafe_claims'));
  });

  it('a token without sub', async () => {
    expect(await verifier()(signedWith({ roles: ['admin'], ...claimsBase }))).toEqual(refused('unsafe_claims'));
  });

  it.each<[string, unknown]>([
    ['a string, not an array', 'admin'],
    ['a comma inside a role', ['admin,root']],
    ['a space inside a role', ['admin user']],
    ['a CR LF inside a role', ['admin\r\nX-Evil: 1']],
    ['a non-ASCII role', ['ädmin']],
    ['an empty role', ['']],
    ['a number', [1]],
    ['an object', { 0: 'admin' }],
    ['65 roles', Array.from({ length: 65 }, (_, i) => `r${i}`)],
    ['a 65-character role', ['r'.repeat(65)]],
  ])('a token whose roles are %s', async (_case, roles) => {
    expect(await verifier()(signedWith({ sub: 'alice', roles, ...claimsBase }))).toEqual(refused('unsafe_claims'));
  });
});

describe('verifying accepts', () => {
  it('a token minted elsewhere with the same secret and HS256', async () => {
    expect(await verifier()(await mint({ sub: 'alice', roles: ['admin', 'user'] }))).toMatchObject({
      ok: true,
      claims: { sub: 'alice', roles: ['admin', 'user'] },
    });
  });

  it('a token that expired within the clock skew', async () => {
    expect(await verifier()(await mint(undefined, { expiresIn: -(SKEW_S - 1) }))).toMatchObject({ ok: true });
  });

  it('a token it issued, just before its lifetime and the clock skew have passed', async () => {
    const { token } = await issuer()({ sub: 'alice' });
    const later = verifier({ now: () => NOW_MS + (TTL_S + SKEW_S - 1) * 1000 });
    expect(await later(token)).toMatchObject({ ok: true });
  });

  it('a token whose nbf is in the future but within the clock skew', async () => {
    expect(await verifier()(await mint(undefined, { notBeforeIn: SKEW_S - 1 }))).toMatchObject({ ok: true });
  });

  it('a token for the configured audience', async () => {
    expect(await verifier({ audience: 'app' })(await mint(undefined, { audience: 'app' }))).toMatchObject({ ok: true });
  });

  it('a token without roles, and one with an empty roles array', async () => {
    expect(await verifier()(signedWith({ sub: 'svc', ...claimsBase }))).toMatchObject({ ok: true, claims: { sub: 'svc' } });
    expect(await verifier()(signedWith({ sub: 'svc', roles: [], ...claimsBase }))).toMatchObject({ ok: true, claims: { roles: [] } });
  });

  it('a token with roles under a __proto__ key, without taking them as roles', async () => {
    const token = signRaw(HS256, `{"sub":"alice","__proto__":{"roles":["admin\\r\\nX: y"]},"iss":"tokengate","exp":${NOW_S + 300}}`);
    const result = await verifier()(token);
    expect(result.ok).toBe(true);
    expect(result.ok && result.claims.roles).toBeUndefined();
  });

  it('a sub of printable ASCII with inner spaces, up to 256 characters', async () => {
    const sub = `a b@c.d!${'x'.repeat(248)}`;
    expect(sub).toHaveLength(256);
    expect(await verifier()(signedWith({ sub, ...claimsBase }))).toMatchObject({ ok: true, claims: { sub } });
  });

  it('the longest token within the length limit', async () => {
    // Grow the payload until the next character would pass the limit, then check both sides of it.
    const make = (n: number) =>
      new SignJWT({ sub: 'alice', pad: 'x'.repeat(n) })
        .setProtectedHeader(HS256)
        .setIssuer('tokengate')
        .setExpirationTime(NOW_S + 300)
        .sign(key);
    let n = Math.floor((MAX_TOKEN_LENGTH * 3) / 4) - 200;
    expect((await make(n)).length).toBeLessThanOrEqual(MAX_TOKEN_LENGTH);
    while ((await make(n + 1)).length <= MAX_TOKEN_LENGTH) n++;
    const longest = await make(n);
    expect(longest.length).toBeGreaterThan(MAX_TOKEN_LENGTH - 3);
    expect(await verifier()(longest)).toMatchObject({ ok: true });
    expect(await verifier()(await make(n + 1))).toEqual(refused('token_too_long'));
  });
});
