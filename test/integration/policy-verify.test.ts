import type { RequestListener } from 'node:http';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { parsePolicyText } from '../../src/policy/load-policy.js';
import type { Policy } from '../../src/policy/policy.js';
import type { SigningKey } from '../../src/tokens/keys.js';
import { ACCESS, BROWSER_ACCEPT, cookieHeader, manualClock, ORIGIN, REFRESH, setCookies, signIn } from '../fixtures/browser-session.js';
import { testConfig } from '../fixtures/config.js';
import { useLoginSigner } from '../fixtures/login-signer.js';
import { capturingLogger, silentLogger, testKey } from '../fixtures/signer.js';
import { mint } from '../fixtures/tokens.js';

const POLICY = `
default: deny
rules:
  - { path: /check, allow: authenticated }
  - { path: /admin/**, anyRole: [admin] }
  - { path: /api/**, allow: authenticated }
  - { path: /public/**, allow: public }
  - { path: /reports/**, allow: authenticated }
  - { path: /reports/**, methods: [POST, DELETE], allRoles: [admin, auditor] }
  - { path: /tenants/acme/**, claims: { tenant: acme } }
`;

function policyOf(text: string): () => Policy {
  const parsed = parsePolicyText(text);
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return () => parsed.policy;
}

const NO_TOKEN = 'Bearer realm="tokengate"';

let key: SigningKey;
let app: RequestListener;
let alice: string;
let bob: string;
let auditor: string;
beforeAll(async () => {
  key = await testKey();
  app = createApp(testConfig({ AUTHENTICATE_URL: 'http://127.0.0.1:9/authenticate' }), { logger: silentLogger(), key, policy: policyOf(POLICY) });
  alice = await mint({ sub: 'alice', roles: ['admin', 'user'], tenant: 'acme' });
  bob = await mint({ sub: 'bob', roles: ['user'], tenant: 'globex' });
  auditor = await mint({ sub: 'carol', roles: ['admin', 'auditor'] });
});

const verify = (uri: string | undefined, headers: Record<string, string> = {}, method = 'GET') => {
  const req = request(app).get('/verify').set('X-Original-Method', method).set(headers);
  return uri === undefined ? req : req.set('X-Original-URI', uri);
};
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
type Who = 'alice' | 'bob' | 'auditor' | 'nobody';

describe('/verify under a policy', () => {
  it.each<[string, string, string, Who, number]>([
    ['alice on an admin path', 'GET', '/admin/users', 'alice', 204],
    ['bob on an admin path', 'GET', '/admin/users', 'bob', 403],
    ['bob on /admin itself', 'GET', '/admin', 'bob', 403],
    ['no token on an admin path', 'GET', '/admin', 'nobody', 401],
    ['bob on an API path', 'POST', '/api/upload', 'bob', 204],
    ['no token on an API path', 'GET', '/api/whoami', 'nobody', 401],
    ['bob on a path no rule matches', 'GET', '/elsewhere', 'bob', 403],
    ['alice on a path no rule matches', 'GET', '/elsewhere', 'alice', 403],
    ['no token on a path no rule matches', 'GET', '/elsewhere', 'nobody', 401],
    ['bob reading reports', 'GET', '/reports/q3', 'bob', 204],
    ['bob deleting a report', 'DELETE', '/reports/q3', 'bob', 403],
    ['alice deleting a report without the auditor role', 'DELETE', '/reports/q3', 'alice', 403],
    ['an admin auditor deleting a report', 'DELETE', '/reports/q3', 'auditor', 204],
    ['alice in her tenant', 'GET', '/tenants/acme/x', 'alice', 204],
    ['bob in another tenant', 'GET', '/tenants/acme/x', 'bob', 403],
    ['bob through a dot-dot trick', 'GET', '/public/..%2fadmin', 'bob', 403],
    ['bob through an escaped name', 'GET', '/%61dmin/', 'bob', 403],
    ['bob with a query that names a public path', 'GET', '/admin?x=/public', 'bob', 403],
    ['bob on a path nginx would refuse', 'GET', '/admin/%ZZ', 'bob', 403],
    ['no token on a path nginx would refuse', 'GET', '/public/%ZZ', 'nobody', 401],
  ])('%s (%s %s): %i', async (_case, method, uri, who, status) => {
    const token = { alice, bob, auditor, nobody: undefined }[who];
    const res = await verify(uri, token === undefined ? {} : bearer(token), method);
    expect(res.status).toBe(status);
    expect(res.text).toBe('');
    if (status !== 204) expect(res.headers['x-auth-sub']).toBeUndefined();
    if (status === 401) expect(res.headers['www-authenticate']).toBeDefined();
    if (status === 403) expect(res.headers['www-authenticate']).toBeUndefined();
  });

  it('passes a public path with no identity headers, whatever the credentials', async () => {
    const cases: Record<string, string>[] = [{}, bearer(alice), bearer('not-a-token'), { Cookie: `${ACCESS}=garbage` }];
    for (const headers of cases) {
      const res = await verify('/public/logo.png', headers);
      expect(res.status).toBe(204);
      expect(Object.keys(res.headers).filter((h) => h.startsWith('x-auth-'))).toEqual([]);
      expect(res.headers['set-cookie']).toBeUndefined();
    }
  });

  it('still refuses X-Auth-* headers from the client on a public path', async () => {
    const res = await verify('/public/x', { 'X-Auth-Sub': 'admin' });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('invalid_request');
  });

  it('refuses without X-Original-URI: there is no path to find a rule for', async () => {
    expect((await verify(undefined, bearer(alice))).status).toBe(403);
    expect((await verify(undefined)).headers['www-authenticate']).toBe(NO_TOKEN);
  });

  it('tells nginx to answer a browser with a page, and an API client with JSON', async () => {
    const page = await verify(`/admin?jwt=${bob}`, { Accept: BROWSER_ACCEPT });
    expect(page.status).toBe(403);
    expect(page.headers['x-tokengate-page']).toBe('forbidden');
    expect(page.headers['x-tokengate-location']).toBeUndefined();
    const api = await verify('/admin', { ...bearer(bob), Accept: BROWSER_ACCEPT });
    expect(api.status).toBe(403);
    expect(api.headers['x-tokengate-page']).toBeUndefined();
  });

  it('counts forbidden and public decisions', async () => {
    const { logger } = capturingLogger();
    const counted = createApp(testConfig(), { logger, key, policy: policyOf(POLICY) });
    await request(counted)
      .get('/verify')
      .set({ 'X-Original-URI': '/admin', ...bearer(bob) });
    await request(counted).get('/verify').set({ 'X-Original-URI': '/public/x' });
    const metrics = (await request(counted).get('/metrics')).text;
    expect(metrics).toContain('tokengate_verify_total{outcome="forbidden"} 1');
    expect(metrics).toContain('tokengate_verify_total{outcome="public"} 1');
  });

  it('answers every path as before without a policy: a valid identity passes anywhere', async () => {
    const open = createApp(testConfig(), { logger: silentLogger(), key });
    for (const uri of ['/admin', '/elsewhere', '/admin/%ZZ'])
      expect(
        (
          await request(open)
            .get('/verify')
            .set({ 'X-Original-URI': uri, ...bearer(bob) })
        ).status,
      ).toBe(204);
    expect((await request(open).get('/verify').set('X-Original-URI', '/public/x')).status).toBe(401);
  });
});

describe('a browser session the policy refuses', () => {
  const { signer } = useLoginSigner();

  it('gets 403 with its rotated cookies, so the refresh it just used is not lost', async () => {
    const clock = manualClock();
    // The stub app signs everyone in as alice with the role user only.
    const app = signer({ PUBLIC_ORIGIN: ORIGIN }, { now: clock.now, policy: policyOf(POLICY) });
    const session = await signIn(app);
    clock.advance(900 + 30 + 1);
    const res = await request(app)
      .get('/verify')
      .set({ 'X-Original-URI': '/admin', Accept: BROWSER_ACCEPT, Cookie: cookieHeader(session.access, session.refresh) });
    expect(res.status).toBe(403);
    expect(res.headers['x-tokengate-page']).toBe('forbidden');
    const rotated = setCookies(res);
    expect(rotated.get(REFRESH)?.value).not.toBe(session.refresh.value);
    expect(res.headers['x-tokengate-refresh-cookie']).toContain(`${REFRESH}=${rotated.get(REFRESH)?.value}`);
    // The rotated pair works where the policy allows.
    const next = await request(app)
      .get('/verify')
      .set({ 'X-Original-URI': '/api/x', Cookie: cookieHeader(rotated.get(ACCESS)!, rotated.get(REFRESH)!) });
    expect(next.status).toBe(204);
  });
});
