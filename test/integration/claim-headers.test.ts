import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { testConfig } from '../fixtures/config.js';
import { silentLogger, useTestKey } from '../fixtures/signer.js';
import { mint } from '../fixtures/tokens.js';

const key = useTestKey();
const signer = () =>
  createApp(testConfig({ AUTHENTICATE_URL: 'http://127.0.0.1:9/authenticate', CLAIM_HEADERS: 'email:X-Auth-Email,groups:X-Auth-Groups' }), {
    logger: silentLogger(),
    key: key(),
  });
const verify = async (claims: Record<string, unknown>) =>
  request(signer())
    .get('/verify')
    .set('authorization', `Bearer ${await mint({ sub: 'alice', roles: ['user'], ...claims })}`);

describe('/verify with CLAIM_HEADERS', () => {
  it('answers each configured claim in its own header, beside the usual three', async () => {
    const res = await verify({ email: 'alice@example.com', groups: ['ops', 'dev'] });
    expect(res.status).toBe(204);
    expect(res.headers).toMatchObject({ 'x-auth-sub': 'alice', 'x-auth-roles': 'user', 'x-auth-email': 'alice@example.com', 'x-auth-groups': 'ops,dev' });
    expect(res.headers['x-auth-claims']).toBeDefined();
  });

  it('sends no header for a claim the token does not have', async () => {
    const res = await verify({});
    expect(res.status).toBe(204);
    expect(res.headers).not.toHaveProperty('x-auth-email');
  });

  it.each([
    ['a CR LF', 'alice@example.com\r\nX-Auth-Sub: root'],
    ['non-ASCII', 'zoë@example.com'],
    ['an object', { at: 'example.com' }],
  ])('refuses a token whose claim holds %s with 401 invalid_token, and writes nothing of it', async (_case, email) => {
    const res = await verify({ email });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(res.headers).not.toHaveProperty('x-auth-email');
    expect(res.headers).not.toHaveProperty('x-auth-sub');
  });

  it('cannot be spoofed: a request that carries X-Auth-Email itself is refused', async () => {
    const token = await mint({ sub: 'alice', email: 'alice@example.com' });
    const res = await request(signer()).get('/verify').set('authorization', `Bearer ${token}`).set('X-Auth-Email', 'root@example.com');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('error="invalid_request"');
  });
});

describe('CLAIM_HEADERS in the configuration', () => {
  it('refuses to load a header outside X-Auth-*', () => {
    expect(() => testConfig({ CLAIM_HEADERS: 'email:X-Email' })).toThrow(/CLAIM_HEADERS/);
  });
});
