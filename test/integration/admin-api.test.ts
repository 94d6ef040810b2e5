import type { RequestListener } from 'node:http';
import request from 'supertest';
import { SignJWT } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { adminKeyFor, signAdminToken, type AdminRequest } from '../../src/admin/admin-credential.js';
import { createAdminApp } from '../../src/front/admin-app.js';
import { createApp } from '../../src/app.js';
import { createCore } from '../../src/core.js';
import { createEmbeddedFront } from '../../src/front/embedded.js';
import { testConfig, TEST_SECRET } from '../fixtures/config.js';
import { clientClaims, clientKeyPair, clientToken, registryOf } from '../fixtures/client-keys.js';
import { NOW_MS, NOW_S } from '../fixtures/login-signer.js';
import { capturingLogger, useTestKey } from '../fixtures/signer.js';
import { mint } from '../fixtures/tokens.js';
import { rawRequest } from '../fixtures/raw-request.js';
import { useStubUpstream } from '../fixtures/upstream-stub.js';

// The admin API (`/admin/v1/`, the signer's own port) as `tokengate sessions` calls it, on a
// signer whose clock moves only when a test moves it.

const ADMIN_KEY = adminKeyFor(new TextEncoder().encode(TEST_SECRET));
const BILLING = clientKeyPair('EdDSA');
const MAX_AGE_S = testConfig().SESSION_MAX_AGE_S;
const UA = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0';

const key = useTestKey();
const stub = useStubUpstream();
let clock = NOW_MS;
let lines: string[] = [];

beforeEach(() => {
  clock = NOW_MS;
  lines = [];
  // Whoever signs in is who they say: the stub vouches for the username it is sent.
  stub().respond((_req, res, body) => {
    const { username } = JSON.parse(body) as { username: string };
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ sub: username, roles: username === 'alice' ? ['admin', 'user'] : ['user'] }));
  });
});

const deps = () => ({
  logger: capturingLogger(lines).logger,
  key: key(),
  now: () => clock,
  adminKey: ADMIN_KEY,
  clients: () => registryOf({ billing: BILLING }),
});
const signer = (): RequestListener => createApp(testConfig({ AUTHENTICATE_URL: stub().url }), deps());

const sessionsPath = (user: string) => `/admin/v1/users/${encodeURIComponent(user)}/sessions`;
/** A credential for one request (listing bob's sessions unless told), as the CLI signs one per call. */
const adminToken = (actor = 'cli:test', atMs = clock, req: AdminRequest = { method: 'GET', path: sessionsPath('bob') }) =>
  signAdminToken(ADMIN_KEY, actor, req, atMs);
/** The request a supertest call will send: its method and its path as on the wire. */
const requestOf = (test: request.Test): AdminRequest => {
  const { method, url } = test as unknown as { method: string; url: string };
  const parsed = new URL(url);
  return { method, path: parsed.pathname + parsed.search };
};
const asAdmin = async (test: request.Test, actor?: string) => test.set('Authorization', `Bearer ${await adminToken(actor, clock, requestOf(test))}`);

interface Pair {
  token: string;
  refresh_token: string;
}
async function login(app: RequestListener, username: string, userAgent = UA): Promise<Pair> {
  const res = await request(app).post('/login').set('User-Agent', userAgent).send({ username, password: 'pw' });
  expect(res.status, res.text).toBe(200);
  return res.body as Pair;
}
const verify = (app: RequestListener, token: string) => request(app).get('/verify').set('Authorization', `Bearer ${token}`);
const refresh = (app: RequestListener, token: string) => request(app).post('/refresh').send({ refresh_token: token });
const sidOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sid: string }).sid;

interface Listed {
  user: string;
  sessions: { sid: string; startedAt: number; lastRefreshAt: number; expiresAt: number; address: string | null; userAgent: string | null }[];
}
async function list(app: RequestListener, user: string): Promise<Listed> {
  const res = await asAdmin(request(app).get(sessionsPath(user)));
  expect(res.status, res.text).toBe(200);
  return res.body as Listed;
}

describe('the admin API: who may call it', () => {
  it('answers 401 with its own challenge and no-store to a request without a credential, and ends nothing', async () => {
    const app = signer();
    const bob = await login(app, 'bob');
    const res = await request(app).delete(sessionsPath('bob'));
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('unauthorized');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="tokengate-admin"');
    expect(res.headers['cache-control']).toBe('no-store');
    expect((await verify(app, bob.token)).status).toBe(204);
    expect((await list(app, 'bob')).sessions).toHaveLength(1);
    const refused = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'admin API: request without a valid admin credential refused');
    expect(refused).toMatchObject([{ level: 40, method: 'DELETE', path: '/admin/v1/users/bob/sessions' }]);
  });

  const otherKey = adminKeyFor(new TextEncoder().encode('another-secret-0123456789abcdefghijk'));
  const refused: [string, (ctx: { app: RequestListener; alice: Pair }) => Promise<string>][] = [
    ["a user's access token (alice, role admin)", async ({ alice }) => `Bearer ${alice.token}`],
    ["a user's access token with no scheme", async ({ alice }) => alice.token],
    ["a user's refresh token", async ({ alice }) => `Bearer ${alice.refresh_token}`],
    ['an access token minted with the signing secret', async () => `Bearer ${await mint({ sub: 'cli:test', roles: ['admin'] })}`],
    ["a registered client's own token (Authorization: JWT)", async () => `JWT ${await clientToken(BILLING, clientClaims('billing', NOW_S))}`],
    ["a registered client's own token, as a bearer token", async () => `Bearer ${await clientToken(BILLING, clientClaims('billing', NOW_S))}`],
    [
      "an admin token of another gateway's secret",
      async () => `Bearer ${await signAdminToken(otherKey, 'cli:test', { method: 'GET', path: sessionsPath('bob') }, NOW_MS)}`,
    ],
    [
      'a token with the admin audience and type, signed with the signing secret itself',
      async () =>
        `Bearer ${await new SignJWT({})
          .setProtectedHeader({ alg: 'HS256', typ: 'tokengate-admin+jwt' })
          .setSubject('cli:test')
          .setAudience('tokengate-admin-api')
          .setIssuedAt(NOW_S)
          .setExpirationTime(NOW_S + 60)
          .sign(new TextEncoder().encode(TEST_SECRET))}`,
    ],
    ['an expired admin token', async () => `Bearer ${await adminToken('cli:test', NOW_MS - 120_000)}`],
    ['an admin token from the future', async () => `Bearer ${await adminToken('cli:test', NOW_MS + 120_000)}`],
    ['an admin token with no scheme', async () => adminToken()],
    ['an admin token under Basic', async () => `Basic ${await adminToken()}`],
    ['Bearer and nothing else', async () => 'Bearer '],
  ];
  it.each(refused)('refuses %s with 401 and ends nothing', async (_case, credential) => {
    const app = signer();
    const alice = await login(app, 'alice');
    const bob = await login(app, 'bob');
    const header = await credential({ app, alice });
    for (const test of [
      request(app).get(sessionsPath('bob')),
      request(app).delete(sessionsPath('bob')),
      request(app).delete(`${sessionsPath('bob')}/${sidOf(bob.token)}`),
    ]) {
      const res = await test.set('Authorization', header);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('unauthorized');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="tokengate-admin"/);
      expect(res.body).not.toHaveProperty('sessions');
    }
    expect((await verify(app, bob.token)).status).toBe(204);
    expect((await verify(app, alice.token)).status).toBe(204);
  });

  it('takes a credential once, for the one request it was signed for', async () => {
    const app = signer();
    const bob = await login(app, 'bob');
    const listing = await adminToken('cli:test', clock, { method: 'GET', path: sessionsPath('bob') });
    expect((await request(app).get(sessionsPath('bob')).set('Authorization', `Bearer ${listing}`)).status).toBe(200);
    // Seen on the wire, it is good for nothing more: not again, not for another method or user.
    const again = await request(app).get(sessionsPath('bob')).set('Authorization', `Bearer ${listing}`);
    expect(again.status).toBe(401);
    expect(again.headers['www-authenticate']).toBe('Bearer realm="tokengate-admin", error="invalid_token"');
    const fresh = await adminToken('cli:test', clock, { method: 'GET', path: sessionsPath('bob') });
    expect((await request(app).delete(sessionsPath('bob')).set('Authorization', `Bearer ${fresh}`)).status).toBe(401);
    expect((await request(app).get(sessionsPath('alice')).set('Authorization', `Bearer ${fresh}`)).status).toBe(401);
    expect(
      (
        await request(app)
          .get(`${sessionsPath('bob')}?x=1`)
          .set('Authorization', `Bearer ${fresh}`)
      ).status,
    ).toBe(401);
    expect((await verify(app, bob.token)).status).toBe(204);
    expect((await request(app).get(sessionsPath('bob')).set('Authorization', `Bearer ${fresh}`)).status).toBe(200);
  });

  it('refuses two Authorization headers, even two good ones', async () => {
    const app = signer();
    const token = await adminToken();
    const res = await rawRequest(app, 'GET', sessionsPath('bob'), { Authorization: [`Bearer ${token}`, `Bearer ${token}`] });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="tokengate-admin", error="invalid_request"');
  });

  it('asks for the credential before it says anything about the path', async () => {
    const app = signer();
    for (const path of ['/admin/v1/nothing-here', '/admin/v1/users/%ZZ/sessions', `${sessionsPath('bob')}/x/y`]) {
      expect((await request(app).get(path)).status).toBe(401);
      expect((await asAdmin(request(app).get(path))).status).not.toBe(401);
    }
  });
});

describe('the admin API: listing and ending sessions', () => {
  it("lists a user's live sessions, oldest first, with start, last refresh, end, address and user agent (unix seconds)", async () => {
    const app = signer();
    const first = await login(app, 'bob', 'curl/7.0.0');
    clock += 5_000;
    const second = await login(app, 'bob');
    await login(app, 'alice');
    clock += 10_000;
    // The address and user agent are the last the signer saw: at the refresh, here.
    expect((await refresh(app, first.refresh_token).set('User-Agent', 'curl/8.5.0')).status).toBe(200);
    const res = await asAdmin(request(app).get(sessionsPath('bob')));
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      user: 'bob',
      sessions: [
        {
          sid: sidOf(first.token),
          startedAt: NOW_S,
          lastRefreshAt: NOW_S + 15,
          expiresAt: NOW_S + MAX_AGE_S,
          address: expect.any(String),
          userAgent: 'curl/8.5.0',
        },
        {
          sid: sidOf(second.token),
          startedAt: NOW_S + 5,
          lastRefreshAt: NOW_S + 5,
          expiresAt: NOW_S + 5 + MAX_AGE_S,
          address: expect.any(String),
          userAgent: UA,
        },
      ],
    });
  });

  it("lists nobody's sessions as an empty list, and a user whose name needs percent-encoding by that name", async () => {
    const app = signer();
    await login(app, 'a/b c%');
    expect(await list(app, 'nobody')).toEqual({ user: 'nobody', sessions: [] });
    const odd = await list(app, 'a/b c%');
    expect(odd.user).toBe('a/b c%');
    expect(odd.sessions).toHaveLength(1);
  });

  it("ends one session by id: its tokens are refused at once, the user's other session lives on", async () => {
    const app = signer();
    const one = await login(app, 'bob');
    const two = await login(app, 'bob');
    const res = await asAdmin(request(app).delete(`${sessionsPath('bob')}/${sidOf(one.token)}`));
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ user: 'bob', sid: sidOf(one.token), ended: 1 });
    expect(res.headers['cache-control']).toBe('no-store');
    expect((await verify(app, one.token)).status).toBe(401);
    expect((await refresh(app, one.refresh_token)).status).toBe(401);
    expect((await verify(app, two.token)).status).toBe(204);
    expect((await list(app, 'bob')).sessions.map((s) => s.sid)).toEqual([sidOf(two.token)]);
  });

  it('answers 404 session_not_found for a session that is not a live one of that user, and ends nothing', async () => {
    const app = signer();
    const bob = await login(app, 'bob');
    const alice = await login(app, 'alice');
    const cases = [sidOf(alice.token), 'AAAAAAAAAAAAAAAAAAAAAA'];
    for (const sid of cases) {
      const res = await asAdmin(request(app).delete(`${sessionsPath('bob')}/${sid}`));
      expect(res.status).toBe(404);
      expect(res.body.error).toBe('session_not_found');
      expect(res.headers['cache-control']).toBe('no-store');
    }
    expect((await asAdmin(request(app).delete(`${sessionsPath('bob')}/${sidOf(bob.token)}`))).status).toBe(200);
    expect((await asAdmin(request(app).delete(`${sessionsPath('bob')}/${sidOf(bob.token)}`))).body.error).toBe('session_not_found');
    expect((await verify(app, alice.token)).status).toBe(204);
  });

  it("ends every session of a user: all their tokens are refused by /verify and /refresh, others' pass, a new sign-in works", async () => {
    const app = signer();
    const sessions = [await login(app, 'bob'), await login(app, 'bob')];
    const alice = await login(app, 'alice');
    const res = await asAdmin(request(app).delete(sessionsPath('bob')));
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ user: 'bob', ended: 2, notBefore: NOW_S });
    for (const s of sessions) {
      expect((await verify(app, s.token)).status).toBe(401);
      expect((await refresh(app, s.refresh_token)).status).toBe(401);
    }
    expect((await verify(app, alice.token)).status).toBe(204);
    expect((await list(app, 'bob')).sessions).toEqual([]);
    clock += 1_000;
    const again = await login(app, 'bob');
    expect((await verify(app, again.token)).status).toBe(204);
  });

  it('refuses an access token of the user that belongs to no session (minted) once the user is revoked', async () => {
    clock = Date.now();
    const app = signer();
    const minted = await mint({ sub: 'carol', roles: ['user'] });
    expect((await verify(app, minted)).status).toBe(204);
    const res = await asAdmin(request(app).delete(sessionsPath('carol')));
    expect(res.body).toMatchObject({ user: 'carol', ended: 0 });
    expect((await verify(app, minted)).status).toBe(401);
  });

  it('writes one audit line per action, naming the caller, and never a token', async () => {
    const app = signer();
    const bob = await login(app, 'bob');
    await asAdmin(request(app).get(sessionsPath('bob')), 'cli:ops');
    await asAdmin(request(app).delete(`${sessionsPath('bob')}/${sidOf(bob.token)}`), 'cli:ops');
    await asAdmin(request(app).delete(sessionsPath('bob')), 'cli:ops');
    const audit = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.audit === true);
    expect(audit.map((l) => [l.action, l.actor, l.via, l.sub])).toEqual([
      ['sessions.list', 'cli:ops', 'api', 'bob'],
      ['sessions.end', 'cli:ops', 'api', 'bob'],
      ['sessions.revoke_user', 'cli:ops', 'api', 'bob'],
    ]);
    expect(audit[1]).toMatchObject({ sid: sidOf(bob.token), ended: true });
    const all = lines.join('\n');
    for (const secret of [bob.token, bob.refresh_token, TEST_SECRET]) expect(all).not.toContain(secret);
    expect(all).not.toMatch(/Bearer|eyJ/);
  });
});

describe('the admin API: bad requests', () => {
  it.each([
    ['a user that is not valid percent-encoding', '/admin/v1/users/%E0%A4%A/sessions'],
    ['a lone %', '/admin/v1/users/%/sessions'],
    ['a user with a NUL', '/admin/v1/users/bob%00/sessions'],
    ['a user with a line feed', '/admin/v1/users/bob%0Aadmin/sessions'],
    ['a user with non-ASCII', '/admin/v1/users/b%C3%B6b/sessions'],
    ['a user with a leading space', '/admin/v1/users/%20bob/sessions'],
    ['an empty user', '/admin/v1/users//sessions'],
    ['a user over 256 characters', `/admin/v1/users/${'b'.repeat(257)}/sessions`],
  ])('answers 400 invalid_request to %s, and ends nothing', async (_case, path) => {
    const app = signer();
    const bob = await login(app, 'bob');
    for (const method of ['get', 'delete'] as const) {
      const res = await asAdmin(request(app)[method](path));
      expect(res.status, res.text).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      expect(res.headers['cache-control']).toBe('no-store');
    }
    expect((await verify(app, bob.token)).status).toBe(204);
  });

  it.each([
    ['characters outside base64url', 'abc.def'],
    ['a percent-encoded slash', 'abc%2Fdef'],
    ['invalid percent-encoding', 'abc%ZZ'],
    ['over 128 characters', 'a'.repeat(129)],
  ])('answers 400 invalid_request to a session id with %s', async (_case, sid) => {
    const res = await asAdmin(request(signer()).delete(`${sessionsPath('bob')}/${sid}`));
    expect(res.status, res.text).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it('answers 414 uri_too_long to a URL over 2 KiB, query included', async () => {
    const app = signer();
    for (const path of [`/admin/v1/users/${'%41'.repeat(700)}/sessions`, `${sessionsPath('bob')}?${'x'.repeat(2100)}`]) {
      const res = await asAdmin(request(app).get(path));
      expect(res.status).toBe(414);
      expect(res.body.error).toBe('uri_too_long');
    }
  });

  it.each([
    ['post', sessionsPath('bob'), 'GET, DELETE'],
    ['put', sessionsPath('bob'), 'GET, DELETE'],
    ['patch', sessionsPath('bob'), 'GET, DELETE'],
    ['head', sessionsPath('bob'), 'GET, DELETE'],
    ['get', `${sessionsPath('bob')}/AAAA`, 'DELETE'],
    ['post', `${sessionsPath('bob')}/AAAA`, 'DELETE'],
  ] as const)('answers 405 with Allow to %s %s', async (method, path, allow) => {
    const res = await asAdmin(request(signer())[method](path));
    expect(res.status).toBe(405);
    if (method !== 'head') expect(res.body.error).toBe('method_not_allowed');
    expect(res.headers.allow).toBe(allow);
  });

  it.each([
    '/admin/v1/users/bob',
    '/admin/v1/users/bob/sessions/',
    '/admin/v1/users/bob/sessions/AAAA/x',
    '/admin/v1/sessions',
    '/admin/v2/users/bob/sessions',
    '/ADMIN/v1/users/bob/sessions',
  ])('answers 404 not_found to %s', async (path) => {
    const res = await asAdmin(request(signer()).get(path));
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('not_found');
  });
});

describe('the admin API and dot segments', () => {
  // nginx resolves `..` (percent-encoded too) to pick a location, then forwards the path as the
  // client wrote it: these reach the signer through nginx's /login location. They are not the API's.
  it.each([
    '/admin/v1/users/bob/sessions/..%2F..%2F..%2F..%2F..%2Flogin',
    '/admin/v1/users/bob/sessions/../../../../../login',
    '/admin/v1/users/bob/sessions/%2e%2e/%2E%2E/%2e%2e/%2e%2e/%2e%2e/login',
    '/admin/v1/users/%2e%2e/sessions',
    '/admin/v1/users/./sessions',
    '/admin/v1/users/bob%2F..%2F..%2Fx/sessions',
  ])('answers 404 to %s even with an admin credential, and ends nothing', async (path) => {
    const app = signer();
    const bob = await login(app, 'bob');
    for (const method of ['get', 'delete'] as const) {
      const res = await asAdmin(request(app)[method](path));
      expect(res.status).toBe(404);
      expect(res.body.error).toBe('not_found');
    }
    expect((await verify(app, bob.token)).status).toBe(204);
    expect((await list(app, 'bob')).sessions).toHaveLength(1);
  });
});

describe('the admin API with the embedded front', () => {
  const config = () => testConfig({ AUTHENTICATE_URL: stub().url, UPSTREAM_URL: 'http://127.0.0.1:9' });

  it('is served by the private admin app over the same core: it sees and ends the sessions the front checks', async () => {
    const core = createCore(config(), deps());
    const front = createEmbeddedFront(config(), deps(), core);
    const admin = createAdminApp(core);
    const bob = await login(front, 'bob');
    expect((await list(admin, 'bob')).sessions.map((s) => s.sid)).toEqual([sidOf(bob.token)]);
    expect((await asAdmin(request(admin).delete(sessionsPath('bob')))).status).toBe(200);
    expect((await request(front).get('/check').set('Authorization', `Bearer ${bob.token}`)).status).toBe(401);
  });

  it('serves nothing of the public surface on the private app', async () => {
    const admin = createAdminApp(createCore(config(), deps()));
    for (const path of ['/login', '/verify', '/.well-known/jwks.json', '/.well-known/openid-configuration', '/healthz', '/metrics', '/revocations', '/check']) {
      const res = await request(admin).get(path);
      expect(res.status, path).toBe(404);
    }
    expect((await request(admin).post('/login').send({ username: 'bob', password: 'pw' })).status).toBe(404);
  });

  it('is not routed by the front itself: an admin token there is no identity, and nothing is ended', async () => {
    const front = createEmbeddedFront(config(), deps());
    const bob = await login(front, 'bob');
    for (const method of ['get', 'delete'] as const) {
      const res = await asAdmin(request(front)[method](sessionsPath('bob')));
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/realm="tokengate"/);
    }
    expect((await request(front).get('/admin/v1/users/bob/sessions').set('Authorization', `Bearer ${bob.token}`)).status).toBe(502);
  });
});
