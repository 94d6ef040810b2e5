import { decodeProtectedHeader } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSessions, type RefreshOutcome, type SessionTokens } from '../../src/session/sessions.js';
import { MAX_MINTED_TTL_S } from '../../src/tokens/limits.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { SigningKey } from '../../src/tokens/keys.js';
import { createTokenIssuer } from '../../src/tokens/sign.js';
import { createTokenVerifier, type VerifiedClaims } from '../../src/tokens/verify.js';
import { decodePayload, signRaw } from '../fixtures/jws.js';
import { testKey, secretSource } from '../fixtures/signer.js';

/** 2030-01-01T00:00:00Z: the login time of every test here. */
const LOGIN_MS = Date.UTC(2030, 0, 1);
const LOGIN_S = LOGIN_MS / 1000;
const ACCESS_TTL_S = 900;
const REFRESH_TTL_S = 86_400;
const SESSION_MAX_AGE_S = 3 * 86_400;
const GRACE_S = 10;
const SKEW_S = 30;
const SESSION_END_S = LOGIN_S + SESSION_MAX_AGE_S;
const CLAIMS = { sub: 'alice', roles: ['admin', 'user'], name: 'Alice' };

let key: SigningKey;
beforeAll(async () => {
  key = await testKey();
});

const stores: MemoryStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

/** Sessions over a memory store, both verifiers, and one clock the test moves. */
function setup(opts: { graceS?: number; refreshTtlS?: number } = {}) {
  let at = LOGIN_MS;
  const now = () => at;
  const store = new MemoryStore(() => Math.floor(at / 1000));
  stores.push(store);
  const verifierOptions = { keys: secretSource(key), issuer: 'tokengate', clockSkewSeconds: SKEW_S, now };
  const verifyAccess = createTokenVerifier(verifierOptions);
  const verifyRefresh = createTokenVerifier({ ...verifierOptions, kind: 'refresh' });
  const issue = createTokenIssuer({ keys: secretSource(key), issuer: 'tokengate', ttlSeconds: ACCESS_TTL_S, now });
  const sessions = createSessions({
    issue,
    verifyRefresh,
    store,
    accessTtlS: ACCESS_TTL_S,
    refreshTtlS: opts.refreshTtlS ?? REFRESH_TTL_S,
    sessionMaxAgeS: SESSION_MAX_AGE_S,
    graceS: opts.graceS ?? GRACE_S,
    clockSkewS: SKEW_S,
    now,
  });
  /** The verified claims of an access token, which must still verify. */
  const accessClaims = async (token: string): Promise<VerifiedClaims> => {
    const result = await verifyAccess(token);
    if (!result.ok) throw new Error(`access token refused: ${result.reason}`);
    return result.claims;
  };
  /** Seconds (from now to `untilS`) at which the token still verifies yet is not revoked. */
  const acceptedAfterRevocation = async (token: string, untilS: number): Promise<number[]> => {
    const accepted: number[] = [];
    for (; at / 1000 <= untilS; at += 1000) {
      const result = await verifyAccess(token);
      if (result.ok && !(await sessions.isRevoked(result.claims))) accepted.push(at / 1000);
    }
    return accepted;
  };
  return {
    sessions,
    store,
    issue,
    acceptedAfterRevocation,
    verifyAccess,
    verifyRefresh,
    accessClaims,
    nowS: () => Math.floor(at / 1000),
    advance: (seconds: number) => void (at += seconds * 1000),
    at: (unixS: number) => void (at = unixS * 1000),
  };
}

/** The new tokens of a refresh that must have rotated. */
function rotated(outcome: RefreshOutcome): SessionTokens {
  if (outcome.kind !== 'rotated') throw new Error(`expected a rotation, got ${JSON.stringify(outcome)}`);
  return outcome.tokens;
}

describe('starting a session', () => {
  it('issues an access and a refresh token with their own typ, one sid and distinct jtis', async () => {
    const { sessions } = setup();
    const tokens = await sessions.start(CLAIMS);
    expect(decodeProtectedHeader(tokens.access.token)).toEqual({ alg: 'HS256', typ: 'at+jwt' });
    expect(decodeProtectedHeader(tokens.refresh.token)).toEqual({ alg: 'HS256', typ: 'tokengate-refresh+jwt' });
    const access = decodePayload(tokens.access.token);
    const refresh = decodePayload(tokens.refresh.token);
    expect(access).toMatchObject({ ...CLAIMS, sid: tokens.sid, jti: tokens.access.jti, iat: LOGIN_S, exp: LOGIN_S + ACCESS_TTL_S });
    expect(refresh).toMatchObject({ sub: 'alice', sid: tokens.sid, jti: tokens.refresh.jti, iat: LOGIN_S, exp: LOGIN_S + REFRESH_TTL_S });
    expect(tokens.access.jti).not.toBe(tokens.refresh.jti);
    expect(tokens.sid).toMatch(/^[A-Za-z0-9_-]{16,}$/);
  });

  it('puts no identity beyond sub into the refresh token', async () => {
    const { sessions } = setup();
    const { refresh } = await sessions.start(CLAIMS);
    expect(Object.keys(decodePayload(refresh.token)).sort()).toEqual(['exp', 'iat', 'iss', 'jti', 'sid', 'sub']);
  });

  it('ignores a sid the upstream put into the claims', async () => {
    const { sessions } = setup();
    const tokens = await sessions.start({ ...CLAIMS, sid: 'chosen-by-upstream' });
    expect(tokens.sid).not.toBe('chosen-by-upstream');
    expect(decodePayload(tokens.access.token).sid).toBe(tokens.sid);
  });

  it('gives every session its own sid', async () => {
    const { sessions } = setup();
    const [a, b] = await Promise.all([sessions.start(CLAIMS), sessions.start(CLAIMS)]);
    expect(a.sid).not.toBe(b.sid);
  });
});

describe('keeping the two kinds of token apart', () => {
  const base = { sub: 'alice', iss: 'tokengate', iat: LOGIN_S, exp: LOGIN_S + 300, sid: 'sid-1', jti: 'jti-1' };

  it('refuses a refresh token as an access token', async () => {
    const { sessions, verifyAccess } = setup();
    const { refresh } = await sessions.start(CLAIMS);
    expect(await verifyAccess(refresh.token)).toEqual({ ok: false, reason: 'wrong_token_type' });
  });

  it('refuses an access token as a refresh token', async () => {
    const { sessions, verifyRefresh } = setup();
    const { access } = await sessions.start(CLAIMS);
    expect(await verifyRefresh(access.token)).toEqual({ ok: false, reason: 'wrong_token_type' });
    expect(await sessions.refresh(access.token)).toEqual({ kind: 'refused', reason: 'wrong_token_type' });
  });

  it.each([
    ['no typ', { alg: 'HS256' }],
    ['typ JWT', { alg: 'HS256', typ: 'JWT' }],
    ['typ at+jwt', { alg: 'HS256', typ: 'at+jwt' }],
  ])('refuses a correctly signed token with %s, sid and jti as a refresh token', async (_case, header) => {
    const { sessions, verifyRefresh } = setup();
    const token = signRaw(header, base);
    expect(await verifyRefresh(token)).toEqual({ ok: false, reason: 'wrong_token_type' });
    expect(await sessions.refresh(token)).toEqual({ kind: 'refused', reason: 'wrong_token_type' });
  });
});

describe('refreshing', () => {
  it('rotates: a new pair in the same session with the identity of the login', async () => {
    const { sessions, advance } = setup();
    const first = await sessions.start(CLAIMS);
    advance(600);
    const outcome = await sessions.refresh(first.refresh.token);
    expect(outcome).toMatchObject({ kind: 'rotated', claims: CLAIMS });
    const next = rotated(outcome);
    expect(next.sid).toBe(first.sid);
    expect(next.refresh.jti).not.toBe(first.refresh.jti);
    expect(next.access.jti).not.toBe(first.access.jti);
    expect(decodePayload(next.access.token)).toMatchObject({ ...CLAIMS, sid: first.sid, iat: LOGIN_S + 600 });
  });

  it('takes the new refresh token once', async () => {
    const { sessions, advance } = setup();
    const first = await sessions.start(CLAIMS);
    const second = rotated(await sessions.refresh(first.refresh.token));
    advance(GRACE_S + 1);
    expect((await sessions.refresh(second.refresh.token)).kind).toBe('rotated');
    advance(GRACE_S + 1);
    expect(await sessions.refresh(second.refresh.token)).toEqual({ kind: 'refused', reason: 'refresh_token_reused' });
  });

  it('gives a request just behind a rotation the identity but no tokens, and revokes nothing', async () => {
    const { sessions, accessClaims, advance } = setup();
    const first = await sessions.start(CLAIMS);
    const second = rotated(await sessions.refresh(first.refresh.token));
    advance(GRACE_S - 1);
    expect(await sessions.refresh(first.refresh.token)).toEqual({ kind: 'grace', claims: CLAIMS });
    expect(await sessions.isRevoked(await accessClaims(second.access.token))).toBe(false);
    expect((await sessions.refresh(second.refresh.token)).kind).toBe('rotated');
  });

  it('refuses a refresh token past its own lifetime while the session lives on', async () => {
    const { sessions, advance } = setup();
    const { refresh } = await sessions.start(CLAIMS);
    advance(REFRESH_TTL_S + SKEW_S + 1);
    expect(await sessions.refresh(refresh.token)).toEqual({ kind: 'refused', reason: 'ERR_JWT_EXPIRED' });
  });

  it('refuses a tampered refresh token', async () => {
    const { sessions } = setup();
    const { refresh } = await sessions.start(CLAIMS);
    const [h, , s] = refresh.token.split('.') as [string, string, string];
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...decodePayload(refresh.token), sid: 'other' })).toString('base64url')}.${s}`;
    expect(await sessions.refresh(forged)).toEqual({ kind: 'refused', reason: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  });

  it('names the session of a refresh token without using it', async () => {
    const { sessions } = setup();
    const { sid, refresh, access } = await sessions.start(CLAIMS);
    expect(await sessions.inspectRefresh(refresh.token)).toBe(sid);
    expect(await sessions.inspectRefresh(access.token)).toBeUndefined();
    expect((await sessions.refresh(refresh.token)).kind).toBe('rotated');
  });
});

describe('a refresh token used twice', () => {
  it('revokes the whole family and every access token issued in it', async () => {
    const { sessions, accessClaims, advance } = setup();
    const a = await sessions.start(CLAIMS);
    const b = rotated(await sessions.refresh(a.refresh.token));
    advance(60);
    const c = rotated(await sessions.refresh(b.refresh.token));
    const bystander = await sessions.start({ sub: 'bob' });
    advance(GRACE_S + 1);

    expect(await sessions.refresh(a.refresh.token)).toEqual({ kind: 'refused', reason: 'refresh_token_reused' });
    expect(await sessions.refresh(c.refresh.token)).toEqual({ kind: 'refused', reason: 'session_ended' });
    for (const tokens of [a, b, c]) expect(await sessions.isRevoked(await accessClaims(tokens.access.token))).toBe(true);
    expect(await sessions.isRevoked(await accessClaims(bystander.access.token))).toBe(false);
    expect((await sessions.refresh(bystander.refresh.token)).kind).toBe('rotated');
  });

  it('is reuse at once when the grace window is 0', async () => {
    const { sessions } = setup({ graceS: 0 });
    const first = await sessions.start(CLAIMS);
    rotated(await sessions.refresh(first.refresh.token));
    expect(await sessions.refresh(first.refresh.token)).toEqual({ kind: 'refused', reason: 'refresh_token_reused' });
  });
});

describe('the absolute session lifetime', () => {
  it('never lets a token outlive the session end, however often it is refreshed', async () => {
    const { sessions, advance, nowS } = setup();
    let tokens = await sessions.start(CLAIMS);
    // Refresh every 20 hours, then once more a minute before the end.
    while (nowS() + 20 * 3600 < SESSION_END_S) {
      advance(20 * 3600);
      tokens = rotated(await sessions.refresh(tokens.refresh.token));
      expect(decodePayload(tokens.refresh.token).exp).toBeLessThanOrEqual(SESSION_END_S);
      expect(decodePayload(tokens.access.token).exp).toBeLessThanOrEqual(SESSION_END_S);
    }
    advance(SESSION_END_S - 60 - nowS());
    tokens = rotated(await sessions.refresh(tokens.refresh.token));
    expect(decodePayload(tokens.refresh.token).exp).toBe(SESSION_END_S);
    expect(decodePayload(tokens.access.token).exp).toBe(SESSION_END_S);
    expect(tokens.refresh.expiresIn).toBe(60);
    expect(tokens.access.expiresIn).toBe(60);
  });

  it.each([
    ['at the session end', 0, 'session_ended'],
    ['within the clock skew after it', SKEW_S - 1, 'session_ended'],
    ['once the clock skew has passed', SKEW_S, 'ERR_JWT_EXPIRED'],
  ])('refuses a refresh token rotated just before the end, presented %s', async (_case, afterEndS, reason) => {
    const { sessions, at } = setup();
    let tokens = await sessions.start(CLAIMS);
    // Refreshed within each refresh token's lifetime, the last time a second before the end.
    for (const t of [LOGIN_S + 20 * 3600, LOGIN_S + 40 * 3600, LOGIN_S + 60 * 3600, SESSION_END_S - 1]) {
      at(t);
      tokens = rotated(await sessions.refresh(tokens.refresh.token));
    }
    const last = tokens;
    at(SESSION_END_S + afterEndS);
    expect(await sessions.refresh(last.refresh.token)).toEqual({ kind: 'refused', reason });
  });
});

describe('logging out', () => {
  it('revokes the access token until its exp and the whole session', async () => {
    const { sessions, store, accessClaims, advance } = setup();
    const tokens = await sessions.start(CLAIMS);
    const other = rotated(await sessions.refresh(tokens.refresh.token));
    advance(60);
    const claims = await accessClaims(tokens.access.token);
    await sessions.end(claims, tokens.sid);

    expect(await store.isRevoked(tokens.access.jti, undefined, tokens.access.expiresAt)).toBe(true);
    expect(await store.isRevoked(undefined, tokens.sid, tokens.access.expiresAt)).toBe(true);
    expect(await sessions.isRevoked(claims)).toBe(true);
    expect(await sessions.isRevoked(await accessClaims(other.access.token))).toBe(true);
  });

  it('refuses every access token of the session for as long as it would verify', async () => {
    const { sessions, verifyAccess, accessClaims, advance } = setup();
    const tokens = await sessions.start(CLAIMS);
    advance(300);
    const later = rotated(await sessions.refresh(tokens.refresh.token));
    await sessions.end(await accessClaims(tokens.access.token), tokens.sid);
    for (let s = 0; s <= ACCESS_TTL_S + SKEW_S + 1; s += 1) {
      for (const token of [tokens.access.token, later.access.token]) {
        const result = await verifyAccess(token);
        if (result.ok) expect(await sessions.isRevoked(result.claims)).toBe(true);
      }
      advance(1);
    }
  });

  it.each([
    ['the current refresh token', 'current'],
    ['the one rotated away, within the grace window', 'previous'],
  ] as const)('refuses %s afterwards', async (_case, which) => {
    const { sessions, accessClaims } = setup();
    const first = await sessions.start(CLAIMS);
    const second = rotated(await sessions.refresh(first.refresh.token));
    await sessions.end(await accessClaims(second.access.token), second.sid);
    const token = which === 'current' ? second.refresh.token : first.refresh.token;
    expect(await sessions.refresh(token)).toEqual({ kind: 'refused', reason: 'session_ended' });
  });

  it('ends the session named by the refresh cookie when no access token is left', async () => {
    const { sessions, accessClaims } = setup();
    const tokens = await sessions.start(CLAIMS);
    await sessions.end(undefined, await sessions.inspectRefresh(tokens.refresh.token));
    expect(await sessions.refresh(tokens.refresh.token)).toEqual({ kind: 'refused', reason: 'session_ended' });
    expect(await sessions.isRevoked(await accessClaims(tokens.access.token))).toBe(true);
  });
});

// The verifier accepts a token until exp + CLOCK_SKEW_S, so a revocation that ended at exp (or at
// the session end) would leave CLOCK_SKEW_S seconds in which a revoked token works again.
describe('revocations cover the clock skew the verifier allows', () => {
  it('refuses a logged-out access token without sid until its exp plus the clock skew', async () => {
    const { sessions, issue, verifyAccess, acceptedAfterRevocation } = setup();
    // A token minted without a session (the same secret, another issuer, or the OpenResty era).
    const legacy = await issue({ sub: 'alice' });
    const verified = await verifyAccess(legacy.token);
    expect(verified.ok && verified.claims.sid).toBeUndefined();
    await sessions.end(verified.ok ? verified.claims : undefined, undefined);
    expect(await acceptedAfterRevocation(legacy.token, legacy.expiresAt + SKEW_S)).toEqual([]);
  });

  it('refuses the last access token of a session revoked for reuse until the session end plus the clock skew', async () => {
    const { sessions, at, acceptedAfterRevocation } = setup({ refreshTtlS: SESSION_MAX_AGE_S });
    const first = await sessions.start({ sub: 'alice' });
    const sessionEnd = SESSION_END_S;
    at(sessionEnd - 60);
    const outcome = await sessions.refresh(first.refresh.token);
    const last = (outcome as { tokens: SessionTokens }).tokens;
    expect(last.access.expiresAt).toBe(sessionEnd);
    at(sessionEnd - 60 + GRACE_S + 1);
    expect(await sessions.refresh(first.refresh.token)).toEqual({ kind: 'refused', reason: 'refresh_token_reused' });
    expect(await acceptedAfterRevocation(last.access.token, sessionEnd + SKEW_S)).toEqual([]);
  });
});

describe('ending every session of a user', () => {
  it('refuses the access and refresh tokens they already hold, and passes a sign-in that comes after', async () => {
    const { sessions, accessClaims, advance } = setup();
    const first = await sessions.start(CLAIMS);
    advance(60);
    const second = await sessions.start(CLAIMS);
    const other = await sessions.start({ sub: 'bob' });
    advance(1);
    expect(await sessions.revokeUser('alice')).toEqual({ sessions: 2, notBeforeS: LOGIN_S + 61 });
    for (const tokens of [first, second]) {
      expect(await sessions.isRevoked(await accessClaims(tokens.access.token))).toBe(true);
      expect(await sessions.refresh(tokens.refresh.token)).toEqual({ kind: 'refused', reason: 'session_ended' });
    }
    expect(await sessions.isRevoked(await accessClaims(other.access.token))).toBe(false);
    expect(await sessions.list('alice')).toEqual([]);
    advance(1);
    const after = await sessions.start(CLAIMS);
    expect(await sessions.isRevoked(await accessClaims(after.access.token))).toBe(false);
    expect(rotated(await sessions.refresh(after.refresh.token)).access.token).toBeTruthy();
  });

  it('makes a sign-in within the very second of the revocation wait for the next one, so its tokens pass', async () => {
    let at = LOGIN_MS + 300;
    const slept: number[] = [];
    const store = new MemoryStore(() => Math.floor(at / 1000));
    stores.push(store);
    const now = () => at;
    const verifyAccess = createTokenVerifier({ keys: secretSource(key), issuer: 'tokengate', clockSkewSeconds: SKEW_S, now });
    const sessions = createSessions({
      issue: createTokenIssuer({ keys: secretSource(key), issuer: 'tokengate', ttlSeconds: ACCESS_TTL_S, now }),
      verifyRefresh: createTokenVerifier({ keys: secretSource(key), issuer: 'tokengate', clockSkewSeconds: SKEW_S, now, kind: 'refresh' }),
      store,
      accessTtlS: ACCESS_TTL_S,
      refreshTtlS: REFRESH_TTL_S,
      sessionMaxAgeS: SESSION_MAX_AGE_S,
      graceS: GRACE_S,
      clockSkewS: SKEW_S,
      now,
      sleep: async (ms) => {
        slept.push(ms);
        at += ms;
      },
    });
    await sessions.revokeUser('alice');
    const tokens = await sessions.start(CLAIMS);
    expect(slept).toEqual([701]);
    const verified = await verifyAccess(tokens.access.token);
    expect(verified.ok && verified.claims.iat).toBe(LOGIN_S + 1);
    expect(verified.ok && (await sessions.isRevoked(verified.claims))).toBe(false);
    // Nobody else waits.
    await sessions.start({ sub: 'bob' });
    expect(slept).toHaveLength(1);
  });

  it('keeps the revocation as long as any token issued before it could verify (a minted one lives up to 30 days), and no longer', async () => {
    const { sessions, store, issue, accessClaims, advance } = setup();
    const minted = await accessClaims((await issue({ sub: 'alice' }, { ttlSeconds: MAX_MINTED_TTL_S })).token);
    await sessions.revokeUser('alice');
    advance(MAX_MINTED_TTL_S);
    expect(await sessions.isRevoked(minted)).toBe(true);
    advance(SKEW_S + 301);
    store.sweep();
    expect(store.size().revokedSubjects).toBe(0);
  });

  it('refuses a token of an ended session signed after the revocation second (a refresh that crossed it, a clock ahead)', async () => {
    const { sessions, issue, accessClaims, advance } = setup();
    const tokens = await sessions.start(CLAIMS);
    await sessions.revokeUser('alice');
    advance(1);
    // What the crossing refresh would have signed: the same session, a later iat.
    const late = await accessClaims((await issue(CLAIMS, { own: { sid: tokens.sid } })).token);
    expect(late.iat).toBe(LOGIN_S + 1);
    expect(await sessions.isRevoked(late)).toBe(true);
    // Held as long as such a token verifies (its exp plus the leeway), and then let go.
    advance(ACCESS_TTL_S + 2 * SKEW_S);
    expect(await sessions.isRevoked(late)).toBe(false);
  });
});

describe("a user's sessions, for the admin", () => {
  it('lists each with where it was started from, and follows refreshes', async () => {
    const { sessions, advance } = setup();
    const tokens = await sessions.start(CLAIMS, { address: '192.0.2.1', userAgent: 'Firefox' });
    advance(120);
    await sessions.refresh(tokens.refresh.token, { address: '192.0.2.2', userAgent: 'Chromium' });
    expect(await sessions.list('alice')).toEqual([
      { sid: tokens.sid, startedAt: LOGIN_S, lastRefreshAt: LOGIN_S + 120, expiresAt: SESSION_END_S, address: '192.0.2.2', userAgent: 'Chromium' },
    ]);
  });

  it('ends one session of the user by id, and none of another user', async () => {
    const { sessions, accessClaims } = setup();
    const mine = await sessions.start(CLAIMS);
    const bobs = await sessions.start({ sub: 'bob' });
    expect(await sessions.endSessionOf('alice', bobs.sid)).toBe(false);
    expect(await sessions.isRevoked(await accessClaims(bobs.access.token))).toBe(false);
    expect(await sessions.endSessionOf('alice', mine.sid)).toBe(true);
    expect(await sessions.isRevoked(await accessClaims(mine.access.token))).toBe(true);
  });
});
