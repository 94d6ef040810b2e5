import type { RequestListener } from 'node:http';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { parsePolicyText } from '../../src/policy/load-policy.js';
import { ALICE, useLoginSigner } from '../fixtures/login-signer.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { Store } from '../../src/store/store.js';
import { importHmacKey } from '../../src/tokens/keys.js';

const { signer } = useLoginSigner();

interface Page {
  instance: string;
  seq: number;
  reset: boolean;
  revoked: [string, string][];
  more: boolean;
  generation: string;
  scope: 'any' | 'path';
  maxTtl: number;
}

const poll = async (app: RequestListener, at?: { instance: string; seq: number }) => {
  const res = await request(app)
    .get('/revocations')
    .query(at === undefined ? {} : { at: `other-instance.7,${at.instance}.${at.seq}` });
  expect(res.status, res.text).toBe(200);
  return res.body as Page;
};

/** The claims the signer's token carries, read without checking (the test's own token). */
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { jti: string; sid: string; exp: number };

describe("the OpenResty front's view of the signer: the cache mark and the revocation feed", () => {
  it('marks a pass by an access token with its ttl, jti and sid, one second short of the setting', async () => {
    const app = signer({ IDENTITY_CACHE_TTL_S: '60' });
    const { token } = (await request(app).post('/login').send(ALICE).expect(200)).body as { token: string };
    const res = await request(app)
      .get('/verify')
      .set({ Authorization: `Bearer ${token}`, 'X-Original-URI': '/api/x', 'X-Original-Method': 'GET' });
    expect(res.status).toBe(204);
    const { jti, sid } = claimsOf(token);
    expect(res.headers['x-tokengate-cacheable']).toBe(`59 ${jti} ${sid}`);
  });

  it.each([
    ['no token', {}],
    ['a bad token', { Authorization: 'Bearer nope' }],
    ["a client's own X-Auth-Sub", { 'X-Auth-Sub': 'alice' }],
  ])('never marks a refusal: %s', async (_name, headers) => {
    const res = await request(signer())
      .get('/verify')
      .set({ 'X-Original-URI': '/api/x', 'X-Original-Method': 'GET', ...headers });
    expect(res.status).toBe(401);
    expect(res.headers['x-tokengate-cacheable']).toBeUndefined();
  });

  it('never marks a pass by a token from the URL: a key of the headers alone would not hold it', async () => {
    const app = signer();
    const { token } = (await request(app).post('/login').send(ALICE).expect(200)).body as { token: string };
    const res = await request(app)
      .get('/verify')
      .set({ 'X-Original-URI': `/api/x?jwt=${token}`, 'X-Original-Method': 'GET', Cookie: 'consent=yes' });
    expect(res.status).toBe(204);
    expect(res.headers['x-tokengate-cacheable']).toBeUndefined();
  });

  it('marks nothing with IDENTITY_CACHE_TTL_S=0', async () => {
    const app = signer({ IDENTITY_CACHE_TTL_S: '0' });
    const { token } = (await request(app).post('/login').send(ALICE).expect(200)).body as { token: string };
    const res = await request(app)
      .get('/verify')
      .set({ Authorization: `Bearer ${token}`, 'X-Original-URI': '/api/x' });
    expect(res.status).toBe(204);
    expect(res.headers['x-tokengate-cacheable']).toBeUndefined();
  });

  it('feeds a logout to a poller as the token and its session, after a reset to start from', async () => {
    const app = signer();
    const start = await poll(app);
    expect(start).toMatchObject({ reset: true, revoked: [], scope: 'any', maxTtl: 300, windowS: 120 });
    const { token } = (await request(app).post('/login').send(ALICE).expect(200)).body as { token: string };
    await request(app).post('/logout').set('Authorization', `Bearer ${token}`).expect(204);
    const page = await poll(app, start);
    const { jti, sid } = claimsOf(token);
    expect(page.reset).toBe(false);
    expect(page.revoked).toEqual(expect.arrayContaining([['s', sid]]));
    expect(page.revoked.every(([kind, id]) => (kind === 's' && id === sid) || (kind === 't' && id === jti))).toBe(true);
    expect(await poll(app, page)).toMatchObject({ reset: false, revoked: [], seq: page.seq });
  });

  it('starts its feed with the revocations already in force, which a signer it replaces may not have told anyone', async () => {
    const store = new MemoryStore();
    await store.revokeSession('sid-before', Math.floor(Date.now() / 1000) + 600);
    await store.revokeSession('sid-long-gone', 1000);
    const page = await poll(signer({}, { store, now: Date.now }));
    expect(page.reset).toBe(true);
    expect(page.revoked).toEqual([['s', 'sid-before']]);
  });

  it('names a new secret as a new generation, without showing it', async () => {
    const other = await importHmacKey(new TextEncoder().encode('another secret of at least thirty-two bytes'));
    const first = (await poll(signer())).generation;
    expect((await poll(signer())).generation).toBe(first);
    expect((await poll(signer({}, { key: other }))).generation).not.toBe(first);
  });

  it('names the keys and policy by their content: the same in every signer, new when a rule changes', async () => {
    const load = (text: string) => {
      const p = parsePolicyText(text);
      if (!p.ok) expect.unreachable(p.problems.join('; '));
      return p.policy;
    };
    const admin = 'rules:\n  - path: /admin/**\n    anyRole: [admin]\n';
    const gen = async (text: string) => (await poll(signer({}, { policy: () => load(text) }))).generation;
    expect(await gen(admin)).toBe(await gen(admin));
    expect(await gen(admin)).not.toBe(await gen(admin.replace('[admin]', '[root]')));
  });

  it('says the decisions are per path once there is a policy', async () => {
    const policy = parsePolicyText('rules:\n  - path: /admin/**\n    anyRole: [admin]\n');
    if (!policy.ok) expect.unreachable(policy.problems.join('; '));
    const app = signer({}, { policy: () => policy.policy });
    expect((await poll(app)).scope).toBe('path');
  });

  it('answers 503 while the store may not know every revocation, and 400 to a bad position', async () => {
    const memory = new MemoryStore();
    const store: Store = Object.assign(Object.create(memory) as Store, { revocationsCurrent: () => false });
    const app = signer({}, { store });
    expect((await request(app).get('/revocations')).status).toBe(503);
    const bad = await request(signer()).get('/revocations').query({ at: 'x.-1' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'invalid_request' });
  });
});
