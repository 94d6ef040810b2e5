import { SignJWT } from 'jose';
import { runCli } from '../fixtures/cli.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRONTS, frontAvailable, http, launch, login, type TestStack } from './harness.js';

interface Echo {
  sub: string;
  request: { auth_headers: Record<string, string> };
}

/** A token the stack's own signer would accept (HS256 with its secret), with these claims. */
async function signedBy(stack: TestStack, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
    .setIssuer('tokengate')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(stack.secret()));
}

describe.each(FRONTS)('CLAIM_HEADERS through the %s front', (front) => {
  const available = frontAvailable(front);
  let stack: TestStack;
  beforeAll(async () => {
    if (available) stack = await launch(front, { CLAIM_HEADERS: 'name:X-Auth-Name,team:X-Auth-Team' });
  });
  afterAll(async () => {
    await stack?.cleanup();
  });
  const check = (token: string) => http(`${stack.url}/check`, { headers: { authorization: `Bearer ${token}` } });

  it.skipIf(!available)("hands the app a logged-in user's claim in its own header", async () => {
    const res = await check(await login(stack.url, 'alice', 'wonderland'));
    expect(res.status).toBe(200);
    const headers = (res.json() as Echo).request.auth_headers;
    expect(headers).toMatchObject({ 'X-Auth-Sub': 'alice', 'X-Auth-Name': 'Alice Liddell' });
    expect(Object.keys(headers).map((h) => h.toLowerCase())).not.toContain('x-auth-team');
  });

  it.skipIf(!available)('joins an array claim with commas', async () => {
    const res = await check(await signedBy(stack, { sub: 'carol', team: ['ops', 'dev'] }));
    expect(res.status).toBe(200);
    expect((res.json() as Echo).request.auth_headers).toMatchObject({ 'X-Auth-Team': 'ops,dev' });
  });

  it.skipIf(!available).each([
    ['CR LF', 'Carol\r\nX-Auth-Sub: root'],
    ['non-ASCII', 'Zoë'],
    ['an array element with a comma', ['ops', 'dev,admin']],
  ])('refuses (401, never the app) a token whose claim holds %s', async (_case, value) => {
    const res = await check(await signedBy(stack, { sub: 'carol', [Array.isArray(value) ? 'team' : 'name']: value }));
    expect(res.status).toBe(401);
    expect(res.json()).toMatchObject({ error: 'unauthorized' });
  });
});

describe('tokengate nginx-claims (the CLI, as a process)', () => {
  const run = (args: string[], env: Record<string, string>) => runCli(['nginx-claims', ...args], { env });

  it('prints the two nginx lines of each claim header', () => {
    const res = run([], { CLAIM_HEADERS: 'email:X-Auth-Email' });
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('auth_request_set $tokengate_claim_email $upstream_http_x_auth_email;\nproxy_set_header X-Auth-Email $tokengate_claim_email;');
  });

  it('exits 1 on a bad CLAIM_HEADERS, naming it, and 2 on an argument it does not take', () => {
    const bad = run([], { CLAIM_HEADERS: 'email:X-Email' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/CLAIM_HEADERS/);
    expect(run(['--all'], {}).status).toBe(2);
  });
});
