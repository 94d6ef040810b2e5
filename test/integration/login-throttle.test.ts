import type { RequestListener } from 'node:http';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createEmbeddedFront } from '../../src/front/embedded.js';
import { StoreUnavailableError } from '../../src/store/store.js';
import type { FailureLimiter } from '../../src/throttle/limiter.js';
import { BROWSER_ACCEPT, formLogin, getLoginForm, manualClock, ORIGIN } from '../fixtures/browser-session.js';
import { testConfig } from '../fixtures/config.js';
import { ALICE, NOW_MS, useLoginSigner } from '../fixtures/login-signer.js';
import { capturingLogger, testKey } from '../fixtures/signer.js';
import { answer } from '../fixtures/upstream-stub.js';

const { stub, signer, login } = useLoginSigner();

const WRONG = { username: 'alice', password: 'not-her-password' };
const REFUSED = answer(401, { error: 'invalid_credentials' });

/** A JSON login with a wrong password, from the given headers (supertest connects from loopback, a trusted proxy). */
const wrong = (app: RequestListener, headers: Record<string, string> = {}, creds: { username: string; password: string } = WRONG) =>
  login(app).set(headers).send(creds);

/** `n` wrong passwords in a row, each refused by the app. */
async function failTimes(app: RequestListener, n: number, headers: Record<string, string> = {}, creds = WRONG) {
  for (let i = 0; i < n; i++) expect((await wrong(app, headers, creds)).status).toBe(401);
}

describe('failed-login throttling', () => {
  describe('per username and client address', () => {
    it('answers the sixth wrong password from one address 429 with Retry-After, without asking the app', async () => {
      stub().respond(REFUSED);
      const app = signer();
      await failTimes(app, 5);
      const res = await wrong(app);
      expect(res.status).toBe(429);
      expect(res.headers['retry-after']).toBe('180');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({ error: 'too_many_attempts', message: expect.any(String) });
      expect(stub().received).toHaveLength(5);
    });

    it('refuses the right password too while the limit holds: the app is not asked', async () => {
      stub().respond(REFUSED);
      const app = signer();
      await failTimes(app, 5);
      stub().respond(answer(200, { sub: 'alice' }));
      expect((await login(app).send(ALICE)).status).toBe(429);
      expect(stub().received).toHaveLength(5);
    });

    it('gives Retry-After as the real time left, and lets one attempt through when it has passed', async () => {
      stub().respond(REFUSED);
      const clock = manualClock();
      const app = signer({}, { now: clock.now });
      await failTimes(app, 5);
      clock.advance(100);
      expect((await wrong(app)).headers['retry-after']).toBe('80');
      clock.advance(79.5);
      expect((await wrong(app)).headers['retry-after']).toBe('1');
      clock.advance(0.5);
      expect((await wrong(app)).status).toBe(401);
      expect((await wrong(app)).headers['retry-after']).toBe('180');
      expect(stub().received).toHaveLength(6);
    });

    it('does not hold back the same username from another address', async () => {
      stub().respond(REFUSED);
      const app = signer();
      await failTimes(app, 5, { 'X-Real-IP': '203.0.113.7' });
      expect((await wrong(app, { 'X-Real-IP': '203.0.113.7' })).status).toBe(429);
      expect((await wrong(app, { 'X-Real-IP': '198.51.100.4' })).status).toBe(401);
    });

    it('shares one count between spellings of the username', async () => {
      stub().respond(REFUSED);
      const app = signer();
      for (const username of ['alice', 'Alice', 'ALICE', ' alice', 'alice ']) await failTimes(app, 1, {}, { username, password: 'x' });
      expect((await wrong(app, {}, { username: 'aLiCe', password: 'x' })).status).toBe(429);
    });

    it('clears the count when the right password comes before the limit', async () => {
      stub().respond(REFUSED);
      const app = signer();
      await failTimes(app, 4);
      stub().respond(answer(200, { sub: 'alice' }));
      expect((await login(app).send(ALICE)).status).toBe(200);
      stub().respond(REFUSED);
      await failTimes(app, 5);
      expect((await wrong(app)).status).toBe(429);
    });

    it('holds parallel attempts to the limit: of 20 at once, 5 reach the app', async () => {
      stub().respond(REFUSED);
      const app = signer();
      const statuses = (await Promise.all(Array.from({ length: 20 }, () => wrong(app)))).map((r) => r.status);
      expect(statuses.filter((s) => s === 401)).toHaveLength(5);
      expect(statuses.filter((s) => s === 429)).toHaveLength(15);
      expect(stub().received).toHaveLength(5);
    });

    it('uses LOGIN_MAX_FAILURES_PER_USER and LOGIN_WINDOW_S', async () => {
      stub().respond(REFUSED);
      const app = signer({ LOGIN_MAX_FAILURES_PER_USER: '2', LOGIN_WINDOW_S: '60' });
      await failTimes(app, 2);
      const res = await wrong(app);
      expect(res.status).toBe(429);
      expect(res.headers['retry-after']).toBe('30');
    });
  });

  describe('what counts as a failure', () => {
    it.each([403])('counts the app refusing with %i', async (status) => {
      stub().respond(answer(status, { error: 'forbidden' }));
      const app = signer();
      for (let i = 0; i < 5; i++) expect((await wrong(app)).status).toBe(status);
      expect((await wrong(app)).status).toBe(429);
    });

    it.each([400, 404, 429, 500, 503])("does not count the app's %i", async (status) => {
      stub().respond(answer(status, { error: 'x' }));
      const app = signer();
      for (let i = 0; i < 8; i++) expect((await wrong(app)).status).toBe(status);
      stub().respond(REFUSED);
      await failTimes(app, 5);
    });

    it('does not count an unreachable or slow app', async () => {
      stub().respond(() => undefined);
      const app = signer({ AUTHENTICATE_TIMEOUT_MS: '100' });
      for (let i = 0; i < 6; i++) expect((await wrong(app)).status).toBe(504);
      stub().respond(REFUSED);
      await failTimes(app, 5);
    });

    it('does not count a request refused before the app (400)', async () => {
      stub().respond(REFUSED);
      const app = signer();
      for (let i = 0; i < 8; i++) expect((await login(app).send({ username: 'alice' })).status).toBe(400);
      await failTimes(app, 5);
      expect(stub().received).toHaveLength(5);
    });
  });

  describe('the client address', () => {
    it('is not moved by X-Forwarded-For', async () => {
      stub().respond(REFUSED);
      const app = signer();
      for (let i = 0; i < 5; i++) expect((await wrong(app, { 'X-Forwarded-For': `198.51.100.${i}` })).status).toBe(401);
      expect((await wrong(app, { 'X-Forwarded-For': '198.51.100.200' })).status).toBe(429);
    });

    it('is not moved by X-Real-IP from a peer outside TRUSTED_PROXIES', async () => {
      stub().respond(REFUSED);
      const app = signer({ TRUSTED_PROXIES: '10.0.0.0/8' });
      for (let i = 0; i < 5; i++) expect((await wrong(app, { 'X-Real-IP': `198.51.100.${i}` })).status).toBe(401);
      expect((await wrong(app, { 'X-Real-IP': '198.51.100.200' })).status).toBe(429);
    });

    it('falls back to the peer when a trusted X-Real-IP is not an address', async () => {
      stub().respond(REFUSED);
      const app = signer();
      await failTimes(app, 5, { 'X-Real-IP': 'garbage' });
      expect((await wrong(app)).status).toBe(429);
    });

    it('is the socket peer in the embedded front, whatever X-Real-IP the client sends', async () => {
      stub().respond(REFUSED);
      const config = testConfig({ AUTHENTICATE_URL: stub().url });
      const front = createEmbeddedFront(config, { logger: capturingLogger().logger, key: await testKey(), now: () => NOW_MS });
      for (let i = 0; i < 5; i++) expect((await wrong(front, { 'X-Real-IP': `198.51.100.${i}` })).status).toBe(401);
      expect((await wrong(front, { 'X-Real-IP': '198.51.100.200' })).status).toBe(429);
      expect(stub().received).toHaveLength(5);
    });
  });

  describe('per client address', () => {
    it('answers 429 after LOGIN_MAX_FAILURES_PER_ADDRESS failures across any usernames, from that address only', async () => {
      stub().respond(REFUSED);
      const app = signer();
      const from = { 'X-Real-IP': '203.0.113.7' };
      for (let i = 0; i < 50; i++) expect((await wrong(app, from, { username: `user-${i}`, password: 'x' })).status).toBe(401);
      const res = await wrong(app, from, { username: 'someone-else', password: 'x' });
      expect(res.status).toBe(429);
      expect(res.headers['retry-after']).toBe('18');
      expect(stub().received).toHaveLength(50);
      expect((await wrong(app, { 'X-Real-IP': '198.51.100.4' }, { username: 'someone-else', password: 'x' })).status).toBe(401);
    });
  });

  describe('the browser form', () => {
    it('shows its 429 page with Retry-After, without asking the app', async () => {
      stub().respond(REFUSED);
      const app = signer({ PUBLIC_ORIGIN: ORIGIN });
      for (let i = 0; i < 5; i++) expect((await formLogin(app, { fields: WRONG })).res.status).toBe(401);
      const form = await getLoginForm(app);
      const { res } = await formLogin(app, { form, fields: WRONG });
      expect(res.status).toBe(429);
      expect(res.headers['retry-after']).toBe('180');
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toContain('Too many attempts');
      expect(stub().received).toHaveLength(5);
    });

    it('shares its count with JSON logins', async () => {
      stub().respond(REFUSED);
      const app = signer({ PUBLIC_ORIGIN: ORIGIN });
      await failTimes(app, 3);
      for (let i = 0; i < 2; i++) expect((await formLogin(app, { fields: WRONG })).res.status).toBe(401);
      expect((await request(app).post('/login').set('Accept', BROWSER_ACCEPT).send(WRONG)).status).toBe(429);
    });
  });

  describe('the log', () => {
    it('writes one warn line per failure and per refusal, with the client and the username and never the password', async () => {
      stub().respond(REFUSED);
      const { logger, lines } = capturingLogger();
      const app = signer({ LOGIN_MAX_FAILURES_PER_USER: '1' }, { logger });
      await wrong(app, { 'X-Real-IP': '203.0.113.7' });
      await wrong(app, { 'X-Real-IP': '203.0.113.7' });
      const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event !== undefined);
      expect(events).toEqual([
        expect.objectContaining({ level: 40, event: 'login_failed', client: '203.0.113.7', user: 'alice' }),
        expect.objectContaining({ level: 40, event: 'login_throttled', client: '203.0.113.7', user: 'alice', retryAfterS: 900 }),
      ]);
      expect(lines.join('')).not.toContain(WRONG.password);
    });
  });

  describe('with the throttle store unavailable', () => {
    const down: FailureLimiter = {
      acquire: () => Promise.reject(new StoreUnavailableError('redis is down')),
      release: () => Promise.reject(new StoreUnavailableError('redis is down')),
      reset: () => Promise.reject(new StoreUnavailableError('redis is down')),
    };

    it('fails a JSON login closed: 503 store_unavailable, and the app is not asked', async () => {
      const res = await login(signer({}, { limiter: down })).send(ALICE);
      expect(res.status).toBe(503);
      expect(res.body.error).toBe('store_unavailable');
      expect(stub().received).toHaveLength(0);
    });

    it('fails a form login closed: the unavailable page with 503, and the app is not asked', async () => {
      const { res } = await formLogin(signer({ PUBLIC_ORIGIN: ORIGIN }, { limiter: down }));
      expect(res.status).toBe(503);
      expect(res.text).toContain('Sign-in is unavailable right now.');
      expect(stub().received).toHaveLength(0);
    });
  });
});
