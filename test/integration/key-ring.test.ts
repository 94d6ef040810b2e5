import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, errors, jwtVerify, SignJWT, type JWK } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_ALGS, type KeyAlg } from '../../src/signing-keys/algorithms.js';
import { openKeys } from '../../src/signing-keys/open-keys.js';
import { addKey, setActive } from '../../src/signing-keys/operations.js';
import type { TokenKeys } from '../../src/signing-keys/token-keys.js';
import { ALICE, useLoginSigner } from '../fixtures/login-signer.js';
import { testKey } from '../fixtures/signer.js';
import { answer } from '../fixtures/upstream-stub.js';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

let root: string;
let count = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tokengate-ring-app-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A ring of `alg` generated as on first start, held in a box a test can swap as a reload would. */
async function ringOf(alg: KeyAlg) {
  const dir = join(root, `ring-${++count}`);
  const open = async () => (await openKeys({ dir, alg, secretKey: await testKey(), generate: true })).keys;
  const box: { keys: TokenKeys } = { keys: await open() };
  return { dir, box, source: () => box.keys, reload: async () => (box.keys = await open()) };
}

describe.each(KEY_ALGS)('a signer with a %s key ring', (alg) => {
  const { stub, signer, login } = useLoginSigner();
  let ring: Awaited<ReturnType<typeof ringOf>>;
  beforeAll(async () => {
    ring = await ringOf(alg);
  });
  const app = () => signer({ JWT_ALG: alg }, { keys: ring.source });
  const loginAlice = async (server = app()) => {
    stub().respond(answer(200, { sub: 'alice', roles: ['admin'] }));
    const res = await login(server).send(ALICE).expect(200);
    return (res.body as { token: string }).token;
  };

  it('signs with the active key: its alg, and its kid unless the secret signs', async () => {
    const token = await loginAlice();
    const header = decodeProtectedHeader(token);
    expect(header.alg).toBe(alg);
    if (alg === 'HS256') expect(header).not.toHaveProperty('kid');
    else expect(header.kid).toBe(ring.box.keys.signer.kid);
    await request(app()).get('/verify').set('authorization', `Bearer ${token}`).expect(204).expect('x-auth-sub', 'alice');
  });

  it('publishes the public keys only, cacheable, with an ETag that answers 304', async () => {
    const res = await request(app())
      .get('/.well-known/jwks.json')
      .expect(200)
      .expect('content-type', /application\/json/);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    const keys = (res.body as { keys: JWK[] }).keys;
    if (alg === 'HS256') {
      expect(keys).toEqual([]);
    } else {
      expect(keys).toEqual([expect.objectContaining({ kid: ring.box.keys.signer.kid, alg, use: 'sig' })]);
      for (const key of keys) for (const name of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(name);
    }
    await request(app()).get('/.well-known/jwks.json').set('if-none-match', res.headers.etag!).expect(304);
  });

  it(
    alg === 'HS256'
      ? 'gives another service nothing to verify with: HS256 keys are never published'
      : 'lets another service verify a token with the JWKS alone',
    async () => {
      const token = await loginAlice();
      const jwks = (await request(app()).get('/.well-known/jwks.json').expect(200)).body as { keys: JWK[] };
      const outside = jwtVerify(token, createLocalJWKSet(jwks), { issuer: 'tokengate', algorithms: [alg] });
      if (alg === 'HS256') await expect(outside).rejects.toBeInstanceOf(errors.JOSEError);
      else expect((await outside).payload.sub).toBe('alice');
    },
  );

  it('keeps verifying the old key after a rotation, and publishes both keys', async () => {
    const server = app();
    const before = await loginAlice(server);
    const { kid } = await addKey(ring.dir, alg);
    await setActive(ring.dir, kid);
    await ring.reload();
    const after = await loginAlice(server);
    expect(decodeProtectedHeader(after).kid).toBe(kid);
    for (const token of [before, after]) await request(server).get('/verify').set('authorization', `Bearer ${token}`).expect(204);
    const jwks = (await request(server).get('/.well-known/jwks.json').expect(200)).body as { keys: JWK[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual(alg === 'HS256' ? [] : [...ring.box.keys.kids]);
  });

  it('refuses a token naming a kid it does not hold, as a plain 401', async () => {
    const forged = await new SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: 'HS256', kid: 'not-ours' })
      .setIssuer('tokengate')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('another-secret-0123456789abcdefghijkl'));
    await request(app()).get('/verify').set('authorization', `Bearer ${forged}`).expect(401);
  });
});

describe('the JWKS follows a reload', () => {
  const { signer } = useLoginSigner();
  it('changes the body and the ETag when a key is added', async () => {
    const ring = await ringOf('EdDSA');
    const app = signer({ JWT_ALG: 'EdDSA', JWKS_MAX_AGE_S: '60' }, { keys: ring.source });
    const first = await request(app).get('/.well-known/jwks.json').expect(200).expect('cache-control', 'public, max-age=60');
    const { kid } = await addKey(ring.dir, 'EdDSA');
    await ring.reload();
    const second = await request(app).get('/.well-known/jwks.json').set('if-none-match', first.headers.etag!).expect(200);
    expect(second.headers.etag).not.toBe(first.headers.etag);
    expect((second.body as { keys: JWK[] }).keys.map((k) => k.kid)).toContain(kid);
  });
});
