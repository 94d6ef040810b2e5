import { createHmac, createPublicKey, randomBytes, type JsonWebKey } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { openKeys } from '../../src/signing-keys/open-keys.js';
import type { KeysSource } from '../../src/signing-keys/token-keys.js';
import { MemoryStore } from '../../src/store/memory.js';
import { createTokenIssuer, type IssueOptions } from '../../src/tokens/sign.js';
import { clientClaims, clientKeyPair, clientToken, registryOf } from '../fixtures/client-keys.js';
import { testConfig } from '../fixtures/config.js';
import { secretSource, silentLogger, testKey } from '../fixtures/signer.js';
import { startStubUpstream, type StubUpstream } from '../fixtures/upstream-stub.js';

// The promise of POST /introspect: it answers `active` for exactly the tokens /verify lets through
// as a bearer token (204), and `{"active": false}` for every other. More than a thousand tokens of
// every kind a service could be handed (good ones, expired ones, revoked four ways, forged four
// ways, refresh tokens, tokens signed with the right key but wrong claims, servers' own tokens and
// strings that are no token at all) go through both on one signer, on a frozen clock; the test
// fails on any disagreement, on a category that came out empty, or on one that did not come out
// as its name says.

/** 2030-01-01T00:00:00Z: the signer's frozen clock. */
const NOW_MS = Date.UTC(2030, 0, 1);
const NOW_S = NOW_MS / 1000;
const TTL_S = 900;
const SKEW_S = 30;

/** Each category, and whether its tokens must be active. */
const EXPECTED = {
  valid: true,
  'valid within the clock leeway': true,
  'valid, issued after its user was revoked': true,
  expired: false,
  'not valid yet': false,
  'revoked by logout': false,
  'revoked by revokeToken': false,
  'revoked by revokeSession': false,
  'revoked with its user': false,
  'forged: wrong key': false,
  'forged: altered payload': false,
  'forged: alg none': false,
  'refresh token': false,
  'right key, wrong claims': false,
  "a client's own token": false,
  malformed: false,
} as const;
type Category = keyof typeof EXPECTED;

const billing = clientKeyPair('ES256');
const enc = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A deterministic generator, so a failure can be replayed. */
function random(seed: number) {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  return {
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!,
    next,
  };
}

/** An HS256 JWS over any header and payload with any key bytes. */
function hs256(header: object, payload: object, secret: Uint8Array | string): string {
  const input = `${enc(header)}.${enc(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

interface Stack {
  base: string;
  server: Server;
  store: MemoryStore;
  keys: KeysSource;
  stub: StubUpstream;
  cleanup: () => Promise<void>;
}

async function startSigner(alg: 'HS256' | 'ES256', dir: string): Promise<Stack> {
  const key = await testKey();
  const keys: KeysSource =
    alg === 'HS256'
      ? secretSource(key)
      : await openKeys({ dir, alg, secretKey: key, generate: true }).then(
          ({ keys }) =>
            () =>
              keys,
        );
  const stub = await startStubUpstream();
  // The app's JSON becomes the claims: the username names the user.
  stub.respond((_req, res, body) => {
    const { username } = JSON.parse(body) as { username: string };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sub: username, roles: ['user'], email: `${username}@example.org` }));
  });
  const store = new MemoryStore(() => NOW_S);
  const app = createApp(testConfig({ AUTHENTICATE_URL: stub.url, JWT_ALG: alg, CLAIM_HEADERS: 'email:X-Auth-Email' }), {
    logger: silentLogger(),
    key,
    keys,
    store,
    now: () => NOW_MS,
    clients: () => registryOf({ billing }),
  });
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    server,
    store,
    keys,
    stub,
    cleanup: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await stub.close();
    },
  };
}

/** What /verify says of a bearer token: its status. */
async function verifyStatus(base: string, token: string): Promise<number> {
  const res = await fetch(`${base}/verify`, { headers: { authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  return res.status;
}

/** What /introspect says of a token, asked by a registered client; anything but a 200 fails the test. */
async function introspectActive(base: string, token: string): Promise<boolean> {
  const authorization = `JWT ${await clientToken(billing, clientClaims('billing', NOW_S))}`;
  const res = await fetch(`${base}/introspect`, { method: 'POST', headers: { authorization }, body: new URLSearchParams({ token }) });
  const body = (await res.json()) as { active?: unknown };
  if (res.status !== 200 || typeof body.active !== 'boolean') throw new Error(`/introspect answered ${res.status} ${JSON.stringify(body)}`);
  if (body.active === false) expect(body).toEqual({ active: false });
  return body.active;
}

const payloadOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

/** Builds the mix of tokens, each with its category, on a signer that may then revoke some of them. */
async function buildMix(stack: Stack, alg: 'HS256' | 'ES256'): Promise<Array<{ category: Category; token: string }>> {
  const rnd = random(alg === 'HS256' ? 7 : 11);
  const mix: Array<{ category: Category; token: string }> = [];
  const add = (category: Category, token: string) => mix.push({ category, token });
  const issuerAt = (atMs: number) => createTokenIssuer({ keys: stack.keys, issuer: 'tokengate', ttlSeconds: TTL_S, now: () => atMs });
  const issue = async (claims: Record<string, unknown>, atMs = NOW_MS, options: IssueOptions = {}) => (await issuerAt(atMs)(claims, options)).token;
  const user = (i: number) => ({ sub: `user-${i}`, roles: i % 3 === 0 ? [] : ['user'], email: `user-${i}@example.org`, n: i });
  const signer = stack.keys().signer;
  /** Signed with the gateway's own signing key, whatever the payload and header say. */
  const signOwn = (payload: JWTPayload, header: Record<string, unknown> = {}) =>
    new SignJWT(payload).setProtectedHeader({ alg: signer.alg, typ: 'at+jwt', ...(signer.kid ? { kid: signer.kid } : {}), ...header }).sign(signer.key);
  const good = { iss: 'tokengate', iat: NOW_S, exp: NOW_S + 300 };

  // Valid: as the signer issues them, with and without a session; as an OpenResty-era peer did
  // (typ JWT or none, no jti); and from real logins.
  for (let i = 0; i < 120; i++) add('valid', await issue(user(i), NOW_MS, i % 2 ? { own: { sid: `s-valid-${i}` } } : {}));
  for (let i = 0; i < 40; i++) add('valid', await signOwn({ ...good, sub: `legacy-${i}` }, i % 2 ? { typ: 'JWT' } : { typ: undefined }));
  const logins: Array<{ token: string; refresh_token: string }> = [];
  for (let i = 0; i < 70; i++) {
    const res = await fetch(`${stack.base}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: `login-${i}`, password: 'pw' }),
    });
    expect(res.status).toBe(200);
    logins.push((await res.json()) as { token: string; refresh_token: string });
  }
  for (const { token } of logins.slice(0, 20)) add('valid', token);
  for (const { refresh_token } of logins) add('refresh token', refresh_token);

  // Time: up to a second short of the leeway still passes; from the leeway on it does not.
  for (let k = 1; k < SKEW_S; k++) add('valid within the clock leeway', await issue(user(k), NOW_MS - (TTL_S + k) * 1000));
  add('expired', await issue(user(0), NOW_MS - (TTL_S + SKEW_S) * 1000));
  for (let i = 1; i < 150; i++) add('expired', await issue(user(i), NOW_MS - (TTL_S + SKEW_S + rnd.int(1, 86_400 * 30)) * 1000));
  for (let i = 0; i < 20; i++) add('not valid yet', await issue(user(i), NOW_MS + rnd.int(SKEW_S + 1, 3600) * 1000));
  for (let i = 0; i < 10; i++) add('not valid yet', await signOwn({ ...good, sub: `early-${i}`, nbf: NOW_S + SKEW_S + rnd.int(1, 600) }));

  // Revoked, four ways; each is checked valid first, so a cached verdict must not outlive it.
  const toRevoke: Array<{ category: Category; token: string; revoke: () => Promise<unknown> }> = [];
  for (const { token } of logins.slice(20)) {
    toRevoke.push({
      category: 'revoked by logout',
      token,
      revoke: () => fetch(`${stack.base}/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } }).then((r) => expect(r.status).toBe(204)),
    });
  }
  for (let i = 0; i < 50; i++) {
    const token = await issue(user(i), NOW_MS, i % 2 ? { own: { sid: `s-token-${i}` } } : {});
    toRevoke.push({ category: 'revoked by revokeToken', token, revoke: () => stack.store.revokeToken(payloadOf(token).jti as string, NOW_S + TTL_S) });
  }
  for (let s = 0; s < 25; s++) {
    for (let t = 0; t < 2; t++) {
      const token = await issue(user(s), NOW_MS - t * 60_000, { own: { sid: `s-session-${s}` } });
      toRevoke.push({ category: 'revoked by revokeSession', token, revoke: () => stack.store.revokeSession(`s-session-${s}`, NOW_S + TTL_S) });
    }
  }
  for (let u = 0; u < 10; u++) {
    for (let t = 0; t < 5; t++) {
      const token = await issue({ sub: `gone-${u}`, roles: ['user'] }, NOW_MS - t * 60_000, t % 2 ? { own: { sid: `s-gone-${u}-${t}` } } : {});
      toRevoke.push({
        category: 'revoked with its user',
        token,
        revoke: () => stack.store.revokeSubject(`gone-${u}`, NOW_S, NOW_S + TTL_S + SKEW_S, NOW_S + TTL_S + SKEW_S),
      });
    }
  }
  for (let u = 0; u < 10; u++) {
    // Revoked a minute ago: what was issued before is refused, what was issued since passes.
    toRevoke.push({
      category: 'revoked with its user',
      token: await issue({ sub: `back-${u}` }, NOW_MS - 120_000),
      revoke: () => stack.store.revokeSubject(`back-${u}`, NOW_S - 60, NOW_S + TTL_S + SKEW_S, NOW_S + TTL_S + SKEW_S),
    });
    for (let t = 0; t < 3; t++) add('valid, issued after its user was revoked', await issue({ sub: `back-${u}` }, NOW_MS - t * 20_000));
  }
  for (const { token } of toRevoke) {
    expect(await verifyStatus(stack.base, token)).toBe(204);
    expect(await introspectActive(stack.base, token)).toBe(true);
  }
  for (const { revoke } of toRevoke) await revoke();
  for (const { category, token } of toRevoke) add(category, token);

  // Forged: another key (another secret, a key of the right kind under the ring's kid, an unknown
  // kid, the published public key as an HMAC secret), an altered payload, alg none.
  const kid = signer.kid ?? 'no-such-kid';
  const foreign = await generateKeyPair('ES256');
  const jwks = stack.keys().publicJwks();
  const confusion = jwks[0]
    ? Buffer.from(createPublicKey({ key: jwks[0] as JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' }))
    : randomBytes(32);
  for (let i = 0; i < 25; i++)
    add('forged: wrong key', hs256({ alg: 'HS256', typ: 'at+jwt' }, { ...good, sub: `f-${i}` }, `not-the-secret-${i}-0123456789abcdefghij`));
  for (let i = 0; i < 25; i++) add('forged: wrong key', hs256({ alg: 'HS256', typ: 'at+jwt', kid }, { ...good, sub: `f-${i}` }, confusion));
  for (let i = 0; i < 25; i++) {
    add('forged: wrong key', await new SignJWT({ ...good, sub: `f-${i}` }).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid }).sign(foreign.privateKey));
  }
  for (let i = 0; i < 25; i++) {
    add(
      'forged: wrong key',
      await new SignJWT({ ...good, sub: `f-${i}` }).setProtectedHeader({ alg: signer.alg, typ: 'at+jwt', kid: `other-kid-${i}` }).sign(signer.key),
    );
  }
  const alterations: Array<(p: Record<string, unknown>) => void> = [
    (p) => (p.sub = 'mallory'),
    (p) => (p.roles = ['admin', 'user']),
    (p) => (p.exp = (p.exp as number) + 86_400),
    (p) => (p.iss = 'elsewhere'),
    (p) => delete p.jti,
  ];
  for (let i = 0; i < 100; i++) {
    const valid = await issue(user(i));
    const [h, , s] = valid.split('.') as [string, string, string];
    const payload = payloadOf(valid);
    alterations[i % alterations.length]!(payload);
    add('forged: altered payload', `${h}.${enc(payload)}.${s}`);
  }
  for (let i = 0; i < 50; i++) {
    const valid = await issue(user(i));
    const header = i % 2 ? { alg: 'none', typ: 'at+jwt', kid } : { alg: 'none' };
    add('forged: alg none', `${enc(header)}.${valid.split('.')[1]}.${i % 3 === 0 ? valid.split('.')[2] : ''}`);
  }

  for (let i = 0; i < 40; i++) add('refresh token', await issue({ sub: `user-${i}` }, NOW_MS, { kind: 'refresh', own: { sid: `s-refresh-${i}` } }));

  // The right key, but claims /verify refuses: another issuer, no exp, a sub or role that cannot be
  // a header, a session id too long to key a revocation, an email (CLAIM_HEADERS) that cannot.
  const wrongClaims: Array<(i: number) => JWTPayload> = [
    (i) => ({ ...good, sub: `w-${i}`, iss: 'elsewhere' }),
    (i) => ({ iss: 'tokengate', iat: NOW_S, sub: `w-${i}` }),
    (i) => ({ ...good, sub: `w-${i}\r\nX-Auth-Roles: admin` }),
    (i) => ({ ...good, sub: `w-${i}`, roles: 'admin' }),
    (i) => ({ ...good, sub: `w-${i}`, roles: ['a,b'] }),
    (i) => ({ ...good, sub: `w-${i}`, jti: 'j'.repeat(129) }),
    (i) => ({ ...good, sub: `w-${i}`, email: `w-${i}@exämple.org` }),
    (i) => ({ ...good, roles: ['user'], n: i }),
  ];
  for (let i = 0; i < 64; i++) add('right key, wrong claims', await signOwn(wrongClaims[i % wrongClaims.length]!(i)));

  for (let i = 0; i < 20; i++) add("a client's own token", await clientToken(billing, clientClaims('billing', NOW_S)));

  // Strings that are no token, every one of them header-safe (printable ASCII, no edge spaces).
  const b64 = (n: number) => Array.from({ length: n }, () => rnd.pick([...B64URL])).join('');
  for (let i = 0; i < 30; i++) add('malformed', b64(rnd.int(1, 200)));
  for (let i = 0; i < 30; i++) add('malformed', Array.from({ length: rnd.pick([2, 4, 5]) }, () => b64(rnd.int(0, 60))).join('.'));
  for (let i = 0; i < 30; i++) {
    const valid = await issue(user(i));
    add('malformed', valid.slice(0, rnd.int(1, valid.length - 1)));
  }
  for (let i = 0; i < 20; i++) {
    // The same signature bytes, spelt with unused low bits set in its last character.
    const valid = await issue(user(i));
    const last = B64URL.indexOf(valid.at(-1)!);
    const unused = [0, 0, 0x0f, 0x03][(valid.length - valid.lastIndexOf('.') - 1) % 4]!;
    add('malformed', unused === 0 ? `${valid}A` : `${valid.slice(0, -1)}${B64URL[last | (1 + (i % unused))]}`);
  }
  for (let i = 0; i < 10; i++) add('malformed', `${await issue(user(i))}${'A'.repeat(4096)}`);
  for (let i = 0; i < 10; i++) add('malformed', `${b64(2000)}.${b64(2000)}.${b64(rnd.int(100, 1000))}`);
  for (const odd of [
    'null',
    '{}',
    'Bearer',
    'JWT',
    'eyJ',
    '...',
    '.',
    'a b.c d.e',
    'a.b.c',
    '%00',
    '<script>',
    '\\x00',
    'true',
    '0',
    'eyJhbGciOiJub25lIn0.e30.',
    'a..b',
    '..',
    '=',
    'a.b.c=',
    '"a.b.c"',
  ])
    add('malformed', odd);
  return mix;
}

describe.each(['HS256', 'ES256'] as const)('introspection and /verify on one signer (%s), over a mix of more than a thousand tokens', (alg) => {
  let root: string;
  let stack: Stack;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'tokengate-agreement-'));
    stack = await startSigner(alg, join(root, 'keys'));
  });
  afterAll(async () => {
    await stack?.cleanup();
    await rm(root, { recursive: true, force: true });
  });

  it('agrees on every token: active exactly when /verify answers 204; every category present and as named', { timeout: 120_000 }, async () => {
    const mix = await buildMix(stack, alg);
    const counts = new Map<Category, number>();
    const disagreements: string[] = [];
    const unexpected: string[] = [];
    const statuses = new Set<number>();
    const BATCH = 16;
    for (let start = 0; start < mix.length; start += BATCH) {
      await Promise.all(
        mix.slice(start, start + BATCH).map(async ({ category, token }, j) => {
          // Either one first: a verdict one of them cached must not sway the other.
          const [status, active] =
            (start + j) % 2 === 0
              ? await verifyStatus(stack.base, token).then(async (s) => [s, await introspectActive(stack.base, token)] as const)
              : await introspectActive(stack.base, token).then(async (a) => [await verifyStatus(stack.base, token), a] as const);
          counts.set(category, (counts.get(category) ?? 0) + 1);
          statuses.add(status);
          const where = `${category} #${start + j} (${token.length} characters)`;
          if (active !== (status === 204)) disagreements.push(`${where}: /verify ${status}, introspection active=${active}`);
          if (active !== EXPECTED[category]) unexpected.push(`${where}: active=${active}`);
        }),
      );
    }
    console.log(`${alg}: ${mix.length} tokens, ${[...counts].map(([c, n]) => `${c} ${n}`).join(', ')}`);
    expect(disagreements).toEqual([]);
    expect(unexpected).toEqual([]);
    expect([...statuses].sort()).toEqual([204, 401]);
    for (const category of Object.keys(EXPECTED) as Category[]) expect(counts.get(category) ?? 0, category).toBeGreaterThan(0);
    expect(mix.length).toBeGreaterThanOrEqual(1000);
  });
});
