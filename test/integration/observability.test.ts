import { Writable } from 'node:stream';
import type { RequestListener } from 'node:http';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createApp, type AppDeps } from '../../src/app.js';
import { createLogger } from '../../src/log/logger.js';
import { REQUEST_ID } from '../../src/log/request-id.js';
import {
  INTROSPECT_OUTCOMES,
  LOGIN_OUTCOMES,
  REFRESH_ERRORS,
  REFRESH_OUTCOMES,
  REFRESH_REFUSALS,
  STORE_OPERATIONS,
  VERIFY_OUTCOMES,
} from '../../src/metrics/metrics.js';
import { MemoryStore } from '../../src/store/memory.js';
import { StoreUnavailableError, type StoreHealth } from '../../src/store/store.js';
import { BROWSER_ACCEPT, ORIGIN, REFRESH, formLogin, getLoginForm, setCookies, signIn } from '../fixtures/browser-session.js';
import { testConfig } from '../fixtures/config.js';
import { ALICE } from '../fixtures/login-signer.js';
import { useTestKey } from '../fixtures/signer.js';
import { mint, tamper } from '../fixtures/tokens.js';
import { answer, useStubUpstream } from '../fixtures/upstream-stub.js';

interface Line {
  level: number;
  msg: string;
  method?: string;
  path?: string;
  status?: number;
  durationMs?: number;
  requestId?: string;
  originalPath?: string;
  outcome?: string;
  [field: string]: unknown;
}

/** The signer's own logger at `level`, capturing every line. */
function logsAt(level: string) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: createLogger(level, sink), lines, parsed: () => lines.map((l) => JSON.parse(l) as Line) };
}

/** Waits (briefly) until `find` sees something: a request's line is written once its answer is done. */
async function until<T>(find: () => T | undefined): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const found = find();
    if (found !== undefined) return found;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('never appeared');
}

/** Every sample of a Prometheus text answer: name, labels and value. */
function samples(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m) throw new Error(`not a sample: ${line}`);
      const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
      return { name: m[1]!, labels, value: Number(m[3]) };
    });
}

/** One sample's value (labels compared as a set); undefined when the series does not exist. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels);
  return samples(text).find((s) => s.name === name && Object.keys(s.labels).length === want.length && want.every(([k, v]) => s.labels[k] === v))?.value;
}

const scrape = async (app: RequestListener) => (await request(app).get('/metrics').expect(200)).text;

const key = useTestKey();
const stub = useStubUpstream();

function signer(env: Record<string, string> = {}, deps: Partial<AppDeps> = {}): RequestListener {
  return createApp(testConfig({ AUTHENTICATE_URL: stub().url, PUBLIC_ORIGIN: ORIGIN, ...env }), { logger: logsAt('silent').logger, key: key(), ...deps });
}

const jsonLogin = (app: RequestListener, creds: object = ALICE) => request(app).post('/login').send(creds);
const verify = (app: RequestListener) => request(app).get('/verify').set('X-Original-URI', '/check');

describe('GET /metrics', () => {
  it('answers Prometheus text, not cached, with the process metrics of this registry', async () => {
    const app = signer();
    // The process collectors start at the first scrape and count CPU time from then on: scrape
    // again after some work, or the CPU counter may still read 0.
    await request(app).get('/metrics').expect(200);
    const until = performance.now() + 20;
    while (performance.now() < until) Math.sqrt(Math.random());
    const res = await request(app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.text).toContain('# TYPE tokengate_login_total counter');
    expect(res.text).toContain('# TYPE tokengate_verify_duration_seconds histogram');
    expect(sample(res.text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(res.text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('refuses other methods with 405', async () => {
    const res = await request(signer()).post('/metrics');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });

  it('counts every POST /login by outcome, and times each', async () => {
    const app = signer({ LOGIN_MAX_FAILURES_PER_USER: '1' });
    await jsonLogin(app).expect(200);
    expect((await formLogin(app)).res.status).toBe(303);
    await request(app).get('/login').set('Accept', BROWSER_ACCEPT).expect(200);
    await jsonLogin(app, { username: 'alice' }).expect(400);
    await request(app).post('/login').type('json').send('{"username":').expect(400);
    stub().respond(answer(500, 'app broke'));
    await jsonLogin(app).expect(500);
    stub().respond(answer(401, { error: 'invalid_credentials' }));
    await jsonLogin(app, { username: 'mallory', password: 'guess-1' }).expect(401);
    const throttled = await jsonLogin(app, { username: 'mallory', password: 'guess-2' });
    expect(throttled.body).toMatchObject({ error: 'too_many_attempts' });

    const text = await scrape(app);
    const expected = { success: 2, failed: 1, throttled: 1, upstream_error: 1, bad_request: 2, store_unavailable: 0, error: 0 };
    for (const [outcome, count] of Object.entries(expected)) expect(sample(text, 'tokengate_login_total', { outcome }), outcome).toBe(count);
    // GET /login is the page, not a login.
    expect(sample(text, 'tokengate_login_duration_seconds_count')).toBe(7);
    expect(sample(text, 'tokengate_login_duration_seconds_bucket', { le: '+Inf' })).toBe(7);
  });

  it('counts a login the store could not save as store_unavailable, and the store operation that failed', async () => {
    const store = Object.assign(new MemoryStore(), { createSession: () => Promise.reject(new StoreUnavailableError('redis is down')) });
    const app = signer({}, { store });
    const res = await jsonLogin(app);
    expect(res.status).toBe(503);
    const text = await scrape(app);
    expect(sample(text, 'tokengate_login_total', { outcome: 'store_unavailable' })).toBe(1);
    expect(sample(text, 'tokengate_store_errors_total', { operation: 'createSession' })).toBe(1);
  });

  it('counts /verify decisions by outcome, a silent cookie refresh included', async () => {
    const app = signer();
    const { token } = (await jsonLogin(app).expect(200)).body as { token: string };
    const auth = (value: string) => verify(app).set('Authorization', value);
    await auth(`Bearer ${token}`).expect(204);
    await auth(token).expect(204);
    await verify(app).expect(401);
    await auth('Basic YWxpY2U6d29uZGVybGFuZA==').expect(401);
    await auth(`Bearer ${tamper(token)}`).expect(401);
    await auth(`Bearer ${await mint({ sub: 'alice' }, { expiresIn: -3600 })}`).expect(401);
    await auth(`Bearer ${token}`).set('X-Auth-Sub', 'root').expect(401);
    const session = await signIn(app);
    const rotated = await verify(app).set('Accept', BROWSER_ACCEPT).set('Cookie', session.refresh.pair);
    expect(rotated.status).toBe(204);
    expect(rotated.headers['x-tokengate-refresh-cookie']).toContain(REFRESH);
    await request(app).post('/logout').set('Authorization', `Bearer ${token}`).expect(204);
    await auth(`Bearer ${token}`).expect(401);

    const text = await scrape(app);
    const expected = { ok: 2, no_token: 1, malformed: 1, bad_signature: 1, expired: 1, forbidden_header: 1, refreshed: 1, revoked: 1, invalid_claims: 0 };
    for (const [outcome, count] of Object.entries(expected)) expect(sample(text, 'tokengate_verify_total', { outcome }), outcome).toBe(count);
    expect(sample(text, 'tokengate_verify_duration_seconds_count')).toBe(9);
    expect(sample(text, 'tokengate_refresh_total', { outcome: 'rotated' })).toBe(1);
  });

  it('counts refreshes through POST /refresh: rotated, reused, and refused by reason', async () => {
    const app = signer({ REFRESH_GRACE_S: '0' });
    const first = (await jsonLogin(app).expect(200)).body as { refresh_token: string };
    const refresh = (token: string) => request(app).post('/refresh').send({ refresh_token: token });
    const second = (await refresh(first.refresh_token).expect(200)).body as { refresh_token: string };
    await refresh(first.refresh_token).expect(401);
    await refresh(second.refresh_token).expect(401);
    await refresh('not-a-token').expect(401);

    const text = await scrape(app);
    expect(sample(text, 'tokengate_refresh_total', { outcome: 'rotated' })).toBe(1);
    expect(sample(text, 'tokengate_refresh_total', { outcome: 'reused' })).toBe(1);
    expect(sample(text, 'tokengate_refresh_total', { outcome: 'refused', reason: 'session_ended' })).toBe(1);
    expect(sample(text, 'tokengate_refresh_total', { outcome: 'refused', reason: 'malformed' })).toBe(1);
  });

  it('counts a store outage on the hot path under isRevoked, and the verify as store_unavailable', async () => {
    const store = Object.assign(new MemoryStore(), { isRevoked: () => Promise.reject(new StoreUnavailableError('redis is down')) });
    const app = signer({}, { store });
    // The sign-in asks too (is its user revoked this very second?), and goes on without an answer.
    const { token } = (await jsonLogin(app).expect(200)).body as { token: string };
    const before = sample(await scrape(app), 'tokengate_store_errors_total', { operation: 'isRevoked' });
    const res = await verify(app).set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(503);
    const text = await scrape(app);
    expect(sample(text, 'tokengate_verify_total', { outcome: 'store_unavailable' })).toBe(1);
    expect(sample(text, 'tokengate_store_errors_total', { operation: 'isRevoked' })).toBe((before ?? 0) + 1);
  });

  it('keeps every label value inside its fixed set, whatever the requests carry', async () => {
    const app = signer();
    const { token } = (await jsonLogin(app).expect(200)).body as { token: string };
    const odd = [
      'Bearer',
      'Bearer a.b',
      'Bearer a.b.c',
      `Bearer ${token}x`,
      'Negotiate abc',
      `Bearer ${'a'.repeat(5000)}.b.c`,
      'Bearer eyJhbGciOiJub25lIn0.e30.',
    ];
    for (const value of odd) await verify(app).set('Authorization', value);
    await verify(app).set('X-Original-URI', `/x?jwt=${token}&jwt=${token}`);
    await verify(app).set('Cookie', '__Host-tg_refresh=garbage; __Host-tg_access=junk');
    await request(app).post('/refresh').send({ refresh_token: token });
    await request(app).post('/login').send({ username: 'x\u0001', password: 'p' });

    const allowed: Record<string, Record<string, readonly string[]>> = {
      tokengate_login_total: { outcome: LOGIN_OUTCOMES },
      tokengate_verify_total: { outcome: VERIFY_OUTCOMES },
      tokengate_refresh_total: { outcome: REFRESH_OUTCOMES, reason: [...REFRESH_REFUSALS, ...REFRESH_ERRORS] },
      tokengate_store_errors_total: { operation: STORE_OPERATIONS },
      tokengate_verify_cache_total: { result: ['hit', 'miss'] },
      tokengate_introspect_total: { outcome: INTROSPECT_OUTCOMES },
    };
    const ours = samples(await scrape(app)).filter((s) => s.name.startsWith('tokengate_'));
    for (const s of ours) {
      const labels = allowed[s.name] ?? { le: [] };
      for (const [name, value] of Object.entries(s.labels)) {
        if (name === 'le') continue;
        expect(labels[name], `${s.name} ${name}`).toBeDefined();
        expect(labels[name], `${s.name} ${name}="${value}"`).toContain(value);
      }
    }
    expect(ours.filter((s) => s.name === 'tokengate_verify_total')).toHaveLength(VERIFY_OUTCOMES.length);
  });

  it('is per app: two signers in one process count apart', async () => {
    const a = signer();
    const b = signer();
    await jsonLogin(a).expect(200);
    expect(sample(await scrape(a), 'tokengate_login_total', { outcome: 'success' })).toBe(1);
    expect(sample(await scrape(b), 'tokengate_login_total', { outcome: 'success' })).toBe(0);
  });
});

describe('GET /readyz and /healthz', () => {
  /** A memory store whose health() says what the test sets, hangs, or rejects. */
  function storeWithHealth(initial: () => Promise<StoreHealth>) {
    let health = initial;
    let calls = 0;
    const store = Object.assign(new MemoryStore(), {
      health: () => {
        calls++;
        return health();
      },
    });
    return { store, set: (next: () => Promise<StoreHealth>) => void (health = next), calls: () => calls };
  }
  const hang = () => new Promise<StoreHealth>(() => undefined);

  it('answers 200 ready with the store kind, not cached', async () => {
    const res = await request(signer()).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ status: 'ready', store: { kind: 'memory', ok: true } });
  });

  it('answers 503 not_ready with the store reason, logs the change once, and recovers', async () => {
    const logs = logsAt('info');
    const health = storeWithHealth(() => Promise.resolve({ kind: 'redis', ok: false, detail: 'Redis PING failed' }));
    const app = signer({}, { store: health.store, logger: logs.logger });
    for (let i = 0; i < 2; i++) {
      const res = await request(app).get('/readyz');
      expect(res.status).toBe(503);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({ status: 'not_ready', reason: 'store_unavailable', store: { kind: 'redis', ok: false, detail: 'Redis PING failed' } });
    }
    health.set(() => Promise.resolve({ kind: 'redis', ok: true }));
    expect((await request(app).get('/readyz')).body).toEqual({ status: 'ready', store: { kind: 'redis', ok: true } });
    const changes = logs.parsed().filter((l) => l.msg === 'not ready' || l.msg === 'ready again');
    expect(changes.map((l) => [l.msg, l.level])).toEqual([
      ['not ready', 40],
      ['ready again', 30],
    ]);
  });

  it('answers 503 store_error when health() itself fails', async () => {
    const health = storeWithHealth(() => Promise.reject(new Error('boom')));
    const res = await request(signer({}, { store: health.store })).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'not_ready', reason: 'store_error', store: { ok: false } });
  });

  it('answers within its own bound when the store hangs, while /healthz and /metrics answer at once', async () => {
    const health = storeWithHealth(hang);
    const app = signer({ REDIS_TIMEOUT_MS: '50' }, { store: health.store });
    const started = Date.now();
    const [ready, alive, metrics] = await Promise.all([request(app).get('/readyz'), request(app).get('/healthz'), request(app).get('/metrics')]);
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ status: 'not_ready', reason: 'store_timeout', store: { ok: false, detail: 'no answer within 300 ms' } });
    // Correctness, not speed: a hung store must not hang the probe (REDIS_TIMEOUT_MS + 250 ms here).
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(alive.status).toBe(200);
    expect(alive.body).toEqual({ status: 'ok' });
    expect(metrics.status).toBe(200);
  });

  it('shares one store check between concurrent probes', async () => {
    let release: (h: StoreHealth) => void = () => undefined;
    const health = storeWithHealth(() => new Promise<StoreHealth>((resolve) => (release = resolve)));
    const app = signer({}, { store: health.store });
    const probes = Promise.all([1, 2, 3].map(() => request(app).get('/readyz')));
    await until(() => (health.calls() > 0 ? true : undefined));
    await new Promise((r) => setTimeout(r, 50));
    release({ kind: 'redis', ok: true });
    for (const res of await probes) expect(res.status).toBe(200);
    expect(health.calls()).toBe(1);
  });
});

describe('request ids', () => {
  const loginLine = (lines: Line[]) => lines.find((l) => l.msg === 'request' && l.path === '/login');

  it("keeps nginx's X-Request-Id: in the request's line and on the way to the app", async () => {
    const logs = logsAt('info');
    const app = signer({}, { logger: logs.logger });
    await jsonLogin(app).set('X-Request-Id', '0f3c9a7e5d1b2a4c6e8f0a1b2c3d4e5f').expect(200);
    const line = await until(() => loginLine(logs.parsed()));
    expect(line.requestId).toBe('0f3c9a7e5d1b2a4c6e8f0a1b2c3d4e5f');
    expect(stub().received[0]?.headers['x-request-id']).toBe('0f3c9a7e5d1b2a4c6e8f0a1b2c3d4e5f');
  });

  it.each([
    ['none at all', undefined],
    ['one with a space', 'req 42'],
    ['one too long', 'a'.repeat(129)],
    ['one with quotes', 'x","level":60,"y":"'],
    ['several', 'a, b'],
    ['an empty one', ''],
  ])('replaces %s with a new id, used in the log and sent to the app alike', async (_name, sent) => {
    const logs = logsAt('info');
    const app = signer({}, { logger: logs.logger });
    const req = jsonLogin(app);
    if (sent !== undefined) req.set('X-Request-Id', sent);
    await req.expect(200);
    const line = await until(() => loginLine(logs.parsed()));
    expect(line.requestId).toMatch(REQUEST_ID);
    expect(line.requestId).not.toBe(sent);
    expect(stub().received[0]?.headers['x-request-id']).toBe(line.requestId);
  });

  it("puts the same id on the error handler's line as on the request's line", async () => {
    const logs = logsAt('debug');
    const store = Object.assign(new MemoryStore(), { revokeToken: () => Promise.reject(new StoreUnavailableError('redis is down')) });
    const app = signer({}, { logger: logs.logger, store });
    const { token } = (await jsonLogin(app).expect(200)).body as { token: string };
    await request(app).post('/logout').set('Authorization', `Bearer ${token}`).set('X-Request-Id', 'not valid!').expect(503);
    const request_ = await until(() => logs.parsed().find((l) => l.msg === 'request' && l.path === '/logout'));
    const failed = logs.parsed().find((l) => l.msg === 'store unavailable');
    expect(request_.status).toBe(503);
    expect(failed?.requestId).toBe(request_.requestId);
    expect(request_.requestId).toMatch(REQUEST_ID);
  });
});

describe('request log lines', () => {
  it('writes one info line per /login, /refresh and /logout: method, path without query, status, duration, id', async () => {
    const logs = logsAt('info');
    const app = signer({}, { logger: logs.logger });
    const tokens = (await request(app).post('/login?return_to=%2Fsecret-place').send(ALICE).set('X-Request-Id', 'id-1').expect(200)).body as {
      token: string;
      refresh_token: string;
    };
    await request(app).post('/refresh').send({ refresh_token: tokens.refresh_token }).set('X-Request-Id', 'id-2').expect(200);
    await request(app).post('/logout').set('Authorization', `Bearer ${tokens.token}`).set('X-Request-Id', 'id-3').expect(204);
    await request(app).get('/healthz').expect(200);
    await request(app).get('/metrics').expect(200);
    await request(app).get('/nowhere?q=1').expect(404);
    await until(() => (logs.parsed().filter((l) => l.msg === 'request').length >= 3 ? true : undefined));
    const lines = logs.parsed().filter((l) => l.msg === 'request');
    expect(lines.map(({ method, path, status, requestId }) => ({ method, path, status, requestId }))).toEqual([
      { method: 'POST', path: '/login', status: 200, requestId: 'id-1' },
      { method: 'POST', path: '/refresh', status: 200, requestId: 'id-2' },
      { method: 'POST', path: '/logout', status: 204, requestId: 'id-3' },
    ]);
    for (const line of lines) {
      expect(line.level).toBe(30);
      expect(typeof line.durationMs).toBe('number');
      expect(Object.keys(line)).toEqual(['level', 'time', 'service', 'method', 'path', 'status', 'durationMs', 'requestId', 'msg']);
    }
    expect(logs.lines.join('')).not.toContain('secret-place');
  });

  it('writes nothing for /verify at info level', async () => {
    const logs = logsAt('info');
    const app = signer({}, { logger: logs.logger });
    const { token } = (await jsonLogin(app).expect(200)).body as { token: string };
    await verify(app).set('Authorization', `Bearer ${token}`).expect(204);
    await verify(app).expect(401);
    await verify(app).set('Authorization', 'Bearer nope').expect(401);
    await request(app).get('/healthz').expect(200);
    await new Promise((r) => setTimeout(r, 50));
    const lines = logs.parsed();
    expect(lines.filter((l) => l.path === '/verify' || l.msg.startsWith('verify'))).toEqual([]);
    expect(lines.filter((l) => l.level < 30)).toEqual([]);
  });

  it('writes one debug line per /verify with the original path only, never the query or a token', async () => {
    const logs = logsAt('debug');
    const app = signer({}, { logger: logs.logger });
    const { token } = (await jsonLogin(app).expect(200)).body as { token: string };
    await request(app)
      .get('/verify')
      .set('X-Original-URI', `/api/whoami?jwt=${token}&tab=2`)
      .set('X-Original-Method', 'GET')
      .set('X-Request-Id', 'v-1')
      .expect(204);
    await request(app).get('/verify').set('X-Original-URI', '/api/whoami').set('X-Request-Id', 'v-2').expect(401);
    const lines = logs.parsed().filter((l) => l.path === '/verify');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 20,
      msg: 'verify allowed',
      method: 'GET',
      status: 204,
      requestId: 'v-1',
      originalMethod: 'GET',
      originalPath: '/api/whoami',
      outcome: 'ok',
    });
    expect(lines[1]).toMatchObject({ level: 20, msg: 'verify refused', status: 401, requestId: 'v-2', outcome: 'no_token', reason: 'no_token' });
    expect(logs.lines.join('')).not.toContain(token.split('.')[2]);
    expect(logs.lines.join('')).not.toContain('tab=2');
  });

  it('never writes a token, a refresh token, a password or a CSRF token, even at trace', async () => {
    const logs = logsAt('trace');
    const app = signer({ REFRESH_GRACE_S: '0' }, { logger: logs.logger });
    const api = (await jsonLogin(app, { username: 'alice', password: 'pw-8c1f-secret' }).expect(200)).body as { token: string; refresh_token: string };
    const form = await getLoginForm(app);
    const signedIn = await formLogin(app, { form, fields: { password: 'pw-form-77aa' } });
    const rotated = await verify(app).set('Cookie', signedIn.cookies.get(REFRESH)!.pair).expect(204);
    await verify(app).set('X-Original-URI', `/x?jwt=${api.token}`).expect(204);
    await request(app).post('/refresh').send({ refresh_token: api.refresh_token }).expect(200);
    await request(app).post('/refresh').send({ refresh_token: api.refresh_token }).expect(401);
    stub().respond(answer(401, { error: 'invalid_credentials' }));
    await jsonLogin(app, { username: 'alice', password: 'pw-wrong-19d3' }).expect(401);
    await until(() => (logs.parsed().filter((l) => l.path === '/login').length >= 2 ? true : undefined));

    const cookieValues = [...signedIn.cookies.values(), ...setCookies(rotated).values()].map((c) => c.value).filter((v) => v !== '');
    const tokens = [api.token, api.refresh_token, ...cookieValues.filter((v) => v.split('.').length === 3)];
    const secrets = [
      'pw-8c1f-secret',
      'pw-form-77aa',
      'pw-wrong-19d3',
      form.csrf,
      form.cookie.value,
      ...cookieValues,
      ...tokens,
      ...tokens.map((t) => t.split('.')[2]!),
    ];
    expect(tokens.length).toBeGreaterThanOrEqual(6);
    const all = logs.lines.join('');
    for (const secret of secrets) expect(all.includes(secret), `a credential reached the log: ${secret.slice(0, 12)}...`).toBe(false);
  });
});
