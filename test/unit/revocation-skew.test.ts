import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSessions, type SessionTokens } from '../../src/session/sessions.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { SigningKey } from '../../src/tokens/keys.js';
import { createTokenIssuer } from '../../src/tokens/sign.js';
import { createTokenVerifier } from '../../src/tokens/verify.js';
import { testKey } from '../fixtures/signer.js';

/**
 * A revoked access token must be refused for as long as the verifier would accept it, and the
 * verifier accepts it until `exp + CLOCK_SKEW_S`, so a revocation that ends at `exp` (or at the
 * session end) leaves a window of CLOCK_SKEW_S seconds in which the token works again.
 */

const LOGIN_MS = Date.UTC(2030, 0, 1);
const LOGIN_S = LOGIN_MS / 1000;
const ACCESS_TTL_S = 900;
const SESSION_MAX_AGE_S = 3600;
const GRACE_S = 10;
const SKEW_S = 30;

let key: SigningKey;
beforeAll(async () => {
  key = await testKey();
});

const stores: MemoryStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

function setup() {
  let at = LOGIN_MS;
  const now = () => at;
  const store = new MemoryStore(() => Math.floor(at / 1000));
  stores.push(store);
  const verifierOptions = { key, issuer: 'tokengate', clockSkewSeconds: SKEW_S, now };
  const issue = createTokenIssuer({ key, issuer: 'tokengate', ttlSeconds: ACCESS_TTL_S, now });
  const verifyAccess = createTokenVerifier(verifierOptions);
  const sessions = createSessions({
    issue,
    verifyRefresh: createTokenVerifier({ ...verifierOptions, kind: 'refresh' }),
    store,
    accessTtlS: ACCESS_TTL_S,
    refreshTtlS: SESSION_MAX_AGE_S,
    sessionMaxAgeS: SESSION_MAX_AGE_S,
    graceS: GRACE_S,
    clockSkewS: SKEW_S,
    now,
  });
  /** Seconds (from now to `untilS`) at which the token still verifies yet is not revoked. */
  const acceptedAfterRevocation = async (token: string, untilS: number): Promise<number[]> => {
    const accepted: number[] = [];
    for (; at / 1000 <= untilS; at += 1000) {
      const result = await verifyAccess(token);
      if (result.ok && !(await sessions.isRevoked(result.claims))) accepted.push(at / 1000);
    }
    return accepted;
  };
  return { sessions, issue, verifyAccess, acceptedAfterRevocation, at: (unixS: number) => void (at = unixS * 1000) };
}

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
    const { sessions, at, acceptedAfterRevocation } = setup();
    const first = await sessions.start({ sub: 'alice' });
    const sessionEnd = LOGIN_S + SESSION_MAX_AGE_S;
    at(sessionEnd - 60);
    const outcome = await sessions.refresh(first.refresh.token);
    const last = (outcome as { tokens: SessionTokens }).tokens;
    expect(last.access.expiresAt).toBe(sessionEnd);
    at(sessionEnd - 60 + GRACE_S + 1);
    expect(await sessions.refresh(first.refresh.token)).toEqual({ kind: 'refused', reason: 'refresh_token_reused' });
    expect(await acceptedAfterRevocation(last.access.token, sessionEnd + SKEW_S)).toEqual([]);
  });
});
