import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWK, type JWTHeaderParameters } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_ALGS, KID_PATTERN, type KeyAlg } from '../../src/signing-keys/algorithms.js';
import { KeyRingError } from '../../src/signing-keys/errors.js';
import { generateKeyJwk } from '../../src/signing-keys/generate.js';
import { loadKeyRing, type KeyRing } from '../../src/signing-keys/keyring.js';
import { keyRingVerifier, KeySelectionError, RING_ALGORITHMS, selectVerifyKey } from '../../src/signing-keys/keyring-verifier.js';
import { addKey, ensureKeyRing, retireKey, setActive } from '../../src/signing-keys/operations.js';
import type { CryptoKey } from '../../src/signing-keys/import-key.js';

let root: string;
let count = 0;
/** A fresh path under the test's temp root; the key ring directory itself is not created. */
const freshDir = () => join(root, `ring-${++count}`);

interface Built {
  dir: string;
  kid: string;
  ring: KeyRing;
}
const rings = new Map<KeyAlg, Built>();
const built = (alg: KeyAlg): Built => rings.get(alg)!;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tokengate-keyring-'));
  await Promise.all(
    KEY_ALGS.map(async (alg) => {
      const dir = freshDir();
      const result = await ensureKeyRing(dir, alg);
      if (!result.generated) throw new Error('expected a new ring');
      rings.set(alg, { dir, kid: result.kid, ring: (await loadKeyRing(dir)).ring });
    }),
  );
}, 60_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const sign = (key: CryptoKey | Uint8Array, header: JWTHeaderParameters, sub = 'alice') => new SignJWT({ sub }).setProtectedHeader(header).sign(key);
const verify = (token: string, ring: KeyRing, opts: { legacyKey?: CryptoKey } = {}) =>
  jwtVerify(token, keyRingVerifier(ring, opts), { algorithms: [...RING_ALGORITHMS] });
/** The KeySelectionError code a verification fails with, or `accepted`. */
const outcome = (token: string, ring: KeyRing, opts: { legacyKey?: CryptoKey } = {}) =>
  verify(token, ring, opts).then(
    () => 'accepted',
    (err: unknown) => (err instanceof KeySelectionError ? err.code : `other: ${String(err)}`),
  );
/** Writes key files as given (`<name>.jwk.json`) and `active`, as an operator or an attacker might. */
async function writeRing(files: Record<string, unknown>, active?: string): Promise<string> {
  const dir = freshDir();
  await mkdir(dir, { mode: 0o700 });
  for (const [name, content] of Object.entries(files)) {
    await writeFile(join(dir, `${name}.jwk.json`), typeof content === 'string' ? content : JSON.stringify(content), { mode: 0o600 });
  }
  if (active !== undefined) await writeFile(join(dir, 'active'), `${active}\n`, { mode: 0o600 });
  return dir;
}
const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe('a key ring on first start', () => {
  it.each(KEY_ALGS)('generates, writes privately and loads back a %s key', async (alg) => {
    const { dir, kid } = built(alg);
    expect(kid).toMatch(KID_PATTERN);
    expect(await mode(dir)).toBe(0o700);
    expect((await readdir(dir)).sort()).toEqual([`${kid}.jwk.json`, 'active'].sort());
    expect(await mode(join(dir, `${kid}.jwk.json`))).toBe(0o600);
    expect(await mode(join(dir, 'active'))).toBe(0o600);
    expect((await readFile(join(dir, 'active'), 'utf8')).trim()).toBe(kid);
    const file = JSON.parse(await readFile(join(dir, `${kid}.jwk.json`), 'utf8')) as JWK;
    expect(file).toMatchObject({ kid, alg });

    const { ring, warnings } = await loadKeyRing(dir);
    expect(warnings).toEqual([]);
    expect(ring.active).toMatchObject({ kid, alg });
    expect([...ring.byKid.keys()]).toEqual([kid]);
    expect(ring.byKid.get(kid)?.alg).toBe(alg);
  });

  it.each(KEY_ALGS)('leaves an existing %s ring alone', async (alg) => {
    const { dir, kid } = built(alg);
    expect(await ensureKeyRing(dir, 'ES256')).toEqual({ generated: false });
    expect((await readdir(dir)).sort()).toEqual([`${kid}.jwk.json`, 'active'].sort());
  });

  it('generates RSA keys of 3072 bits', async () => {
    const { dir, kid } = built('RS256');
    const jwk = JSON.parse(await readFile(join(dir, `${kid}.jwk.json`), 'utf8')) as JWK;
    expect(Buffer.from(jwk.n!, 'base64url').length * 8).toBe(3072);
  });

  it('ends with exactly one key when two starters race on an empty directory', async () => {
    const dir = freshDir();
    const results = await Promise.all([ensureKeyRing(dir, 'ES256'), ensureKeyRing(dir, 'ES256')]);
    expect(results.filter((r) => r.generated)).toHaveLength(1);
    const { ring } = await loadKeyRing(dir);
    expect([...ring.byKid.keys()]).toEqual([ring.active.kid]);
  });
});

describe('signing with the active key and verifying through the ring', () => {
  it.each(KEY_ALGS)('verifies a %s token signed with active.signingKey', async (alg) => {
    const { ring } = built(alg);
    const token = await sign(ring.active.signingKey, { alg: ring.active.alg, kid: ring.active.kid });
    const { payload, protectedHeader } = await verify(token, ring);
    expect(payload.sub).toBe('alice');
    expect(protectedHeader).toMatchObject({ alg, kid: ring.active.kid });
  });

  it.each(KEY_ALGS)("refuses a %s token whose signature is not the key's", async (alg) => {
    const { ring, kid } = built(alg);
    const strangerRing = (await loadKeyRing(await writeRing({ stranger: await generateKeyJwk(alg, 'stranger') }, 'stranger'))).ring;
    const forged = await sign(strangerRing.active.signingKey, { alg, kid });
    await expect(verify(forged, ring)).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  });
});

describe('choosing the verification key', () => {
  it("refuses an HS256 token keyed with the RSA public key (PEM or JWK) under the RSA key's kid", async () => {
    const { dir, kid, ring } = built('RS256');
    const jwk = JSON.parse(await readFile(join(dir, `${kid}.jwk.json`), 'utf8')) as JWK;
    const pem = createPublicKey({ key: { kty: 'RSA', n: jwk.n!, e: jwk.e! }, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;
    const publicJwk = ring.publicJwks()[0]!;
    for (const secret of [pem, JSON.stringify(publicJwk)]) {
      const token = await sign(new TextEncoder().encode(secret), { alg: 'HS256', kid });
      expect(await outcome(token, ring)).toBe('alg_mismatch');
    }
  });

  it("refuses a token whose alg is not its key's, even among asymmetric algorithms", async () => {
    const es = built('ES256');
    // An EdDSA signature claiming the ES256 key's kid.
    const token = await sign(built('EdDSA').ring.active.signingKey, { alg: 'EdDSA', kid: es.kid });
    expect(await outcome(token, es.ring)).toBe('alg_mismatch');
    expect(selectVerifyKey(es.ring, { alg: 'none', kid: es.kid })).toEqual({ ok: false, reason: 'alg_mismatch' });
  });

  it.each(['jwk', 'jku', 'x5u', 'x5c'] as const)('refuses a correctly signed token that carries a %s header', async (name) => {
    const { ring } = built('ES256');
    const values = { jwk: ring.publicJwks()[0], jku: 'https://evil.example/jwks.json', x5u: 'https://evil.example/cert.pem', x5c: ['MIIB'] };
    const token = await sign(ring.active.signingKey, { alg: 'ES256', kid: ring.active.kid, [name]: values[name] });
    expect(await outcome(token, ring)).toBe('untrusted_header');
  });

  it('refuses an unknown kid from memory alone: the ring directory may be gone', async () => {
    const dir = await writeRing({ k1: await generateKeyJwk('ES256', 'k1') }, 'k1');
    const { ring } = await loadKeyRing(dir);
    await rm(dir, { recursive: true });
    const good = await sign(ring.active.signingKey, { alg: 'ES256', kid: 'k1' });
    expect(await outcome(good, ring)).toBe('accepted');
    for (const kid of ['k2', '../../etc/passwd', 'k1.jwk.json', '__proto__']) {
      expect(await outcome(await sign(ring.active.signingKey, { alg: 'ES256', kid }), ring)).toBe('unknown_kid');
    }
  });

  it('refuses a token without kid unless a legacy HS256 key is configured, and then only as HS256', async () => {
    const { ring } = built('ES256');
    const legacy = built('HS256').ring.active.signingKey;
    const legacyToken = await sign(legacy, { alg: 'HS256' });
    expect(await outcome(legacyToken, ring)).toBe('missing_kid');
    expect(await outcome(legacyToken, ring, { legacyKey: legacy })).toBe('accepted');
    const esNoKid = await sign(ring.active.signingKey, { alg: 'ES256' });
    expect(await outcome(esNoKid, ring, { legacyKey: legacy })).toBe('alg_mismatch');
  });

  it('refuses a kid that is not a string', () => {
    const { ring } = built('ES256');
    expect(selectVerifyKey(ring, { alg: 'ES256', kid: 7 as unknown as string })).toEqual({ ok: false, reason: 'bad_kid' });
  });

  it('follows a reloaded ring when given a getter', async () => {
    let current = built('ES256').ring;
    const getKey = keyRingVerifier(() => current);
    const token = await sign(built('EdDSA').ring.active.signingKey, { alg: 'EdDSA', kid: built('EdDSA').kid });
    await expect(jwtVerify(token, getKey)).rejects.toMatchObject({ code: 'unknown_kid' });
    current = built('EdDSA').ring;
    await expect(jwtVerify(token, getKey)).resolves.toMatchObject({ payload: { sub: 'alice' } });
  });
});

describe('public keys for a JWKS', () => {
  const PRIVATE = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

  it('publishes each asymmetric key with kid, alg and use, and no private member', async () => {
    const dir = freshDir();
    const first = await ensureKeyRing(dir, 'RS256');
    if (!first.generated) throw new Error('expected a new ring');
    await addKey(dir, 'ES256', 'es');
    await addKey(dir, 'EdDSA', 'ed');
    await addKey(dir, 'HS256', 'hs');
    const jwks = (await loadKeyRing(dir)).ring.publicJwks();
    expect(jwks.map((k) => [k.kid, k.alg, k.kty, k.use])).toEqual(
      expect.arrayContaining([
        [first.kid, 'RS256', 'RSA', 'sig'],
        ['es', 'ES256', 'EC', 'sig'],
        ['ed', 'EdDSA', 'OKP', 'sig'],
      ]),
    );
    expect(jwks).toHaveLength(3);
    for (const jwk of jwks) for (const name of PRIVATE) expect(jwk).not.toHaveProperty(name);
    expect(jwks.some((k) => k.kty === 'oct')).toBe(false);
  });

  it('publishes nothing for an HS256-only ring', () => {
    expect(built('HS256').ring.publicJwks()).toEqual([]);
  });

  it('hands out copies that cannot change the ring', () => {
    const { ring } = built('ES256');
    const jwk = ring.publicJwks()[0]!;
    jwk.x = 'changed';
    expect(ring.publicJwks()[0]!.x).not.toBe('changed');
    expect(Object.isFrozen(ring)).toBe(true);
    expect(Object.isFrozen(ring.active)).toBe(true);
  });
});

describe('rotation', () => {
  it('keeps old tokens verifying after a new key is made active, and refuses them once the old key is retired', async () => {
    const dir = freshDir();
    const first = await ensureKeyRing(dir, 'ES256');
    if (!first.generated) throw new Error('expected a new ring');
    const before = (await loadKeyRing(dir)).ring;
    const oldToken = await sign(before.active.signingKey, { alg: 'ES256', kid: before.active.kid });

    const { kid: next, file } = await addKey(dir, 'EdDSA');
    expect(await mode(file)).toBe(0o600);
    expect((await loadKeyRing(dir)).ring.active.kid).toBe(first.kid);
    await setActive(dir, next);
    expect(await mode(join(dir, 'active'))).toBe(0o600);
    const after = (await loadKeyRing(dir)).ring;
    expect(after.active).toMatchObject({ kid: next, alg: 'EdDSA' });
    const newToken = await sign(after.active.signingKey, { alg: 'EdDSA', kid: next });
    expect(await outcome(oldToken, after)).toBe('accepted');
    expect(await outcome(newToken, after)).toBe('accepted');

    await retireKey(dir, first.kid);
    const retired = (await loadKeyRing(dir)).ring;
    expect(await outcome(oldToken, retired)).toBe('unknown_kid');
    expect(await outcome(newToken, retired)).toBe('accepted');
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it.each([
    ['retiring the active key', async (dir: string, kid: string) => retireKey(dir, kid), 'active_key'],
    ['retiring a kid that is not there', async (dir: string) => retireKey(dir, 'ghost'), 'unknown_kid'],
    ['activating a kid that is not there', async (dir: string) => setActive(dir, 'ghost'), 'unknown_kid'],
    ['adding a kid that exists', async (dir: string, kid: string) => addKey(dir, 'ES256', kid), 'kid_exists'],
    ['adding a kid that is not file-name safe', async (dir: string) => addKey(dir, 'ES256', '../escape'), 'invalid_kid'],
    ['activating a kid that is not file-name safe', async (dir: string) => setActive(dir, '../escape'), 'invalid_kid'],
    ['retiring a kid that is not file-name safe', async (dir: string) => retireKey(dir, 'a/b'), 'invalid_kid'],
  ] as const)('refuses %s', async (_name, act, code) => {
    const dir = freshDir();
    const first = await ensureKeyRing(dir, 'ES256');
    if (!first.generated) throw new Error('expected a new ring');
    await expect(act(dir, first.kid)).rejects.toMatchObject({ name: 'KeyRingError', code });
    expect((await loadKeyRing(dir)).ring.active.kid).toBe(first.kid);
    expect(await readdir(dir)).not.toContain('escape.jwk.json');
    expect(await readdir(root)).not.toContain('escape.jwk.json');
  });

  it('refuses to activate a key whose file is broken', async () => {
    const dir = await writeRing({ good: await generateKeyJwk('ES256', 'good'), bad: { kid: 'bad', alg: 'ES256', kty: 'EC' } }, 'good');
    await expect(setActive(dir, 'bad')).rejects.toMatchObject({ code: 'invalid_key_ring', problems: [expect.objectContaining({ file: 'bad.jwk.json' })] });
    expect((await readFile(join(dir, 'active'), 'utf8')).trim()).toBe('good');
  });
});

/** Every string of 16 characters or more in a value: the material a report must never echo. */
function secretsOf(value: unknown): string[] {
  if (typeof value === 'string') return value.length >= 16 ? [value] : [];
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(secretsOf);
  return [];
}

describe('bad key rings', () => {
  let es: JWK;
  let otherEs: JWK;
  beforeAll(async () => {
    es = await generateKeyJwk('ES256', 'k');
    otherEs = await generateKeyJwk('ES256', 'k');
  });
  const without = (jwk: JWK, ...names: string[]) => Object.fromEntries(Object.entries(jwk).filter(([n]) => !names.includes(n)));
  const rsa1024 = () => ({ ...(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'jwk' }) as JWK), kid: 'k', alg: 'RS256' });
  const p384 = async () => ({ ...(await exportJWK((await generateKeyPair('ES384', { extractable: true })).privateKey)), kid: 'k', alg: 'ES256' });
  const secretText = `{"kty":"oct","kid":"k","alg":"HS256","k":"${randomBytes(32).toString('base64url')}"`;

  it.each<[string, () => unknown, string, RegExp]>([
    ['a kid that differs from the file name', () => ({ ...es, kid: 'other' }), 'k.jwk.json', /"kid" does not match the file name/],
    ['an unsupported alg', () => ({ ...es, alg: 'PS256' }), 'k.jwk.json', /"alg" must be one of HS256, RS256, ES256, EdDSA/],
    ['an alg that does not fit the key type', () => ({ ...es, alg: 'RS256' }), 'k.jwk.json', /kty must be "RSA" for RS256/],
    ['an RSA key of 1024 bits', rsa1024, 'k.jwk.json', /1024 bits; RS256 needs at least 2048/],
    [
      'an HS256 secret of 16 bytes',
      () => ({ kty: 'oct', kid: 'k', alg: 'HS256', k: randomBytes(16).toString('base64url') }),
      'k.jwk.json',
      /16 bytes; it needs at least 32/,
    ],
    ['invalid JSON', () => secretText, 'k.jwk.json', /is not valid JSON/],
    ['a JSON array', () => '[1,2]', 'k.jwk.json', /not a JSON object/],
    ['no private part', () => without(es, 'd'), 'k.jwk.json', /private member "d" is missing/],
    ['a P-384 key labelled ES256', p384, 'k.jwk.json', /crv must be "P-256" for ES256/],
    ['a public half from another key', () => ({ ...es, x: otherEs.x, y: otherEs.y }), 'k.jwk.json', /cannot be imported or does not sign and verify/],
    ['use "enc"', () => ({ ...es, use: 'enc' }), 'k.jwk.json', /"use" must be "sig"/],
  ])('names the file and the reason for %s, without key material', async (_name, content, file, reason) => {
    const value = await content();
    const dir = await writeRing({ k: value }, 'k');
    const err = await loadKeyRing(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KeyRingError);
    const { code, problems, message } = err as KeyRingError;
    expect(code).toBe('invalid_key_ring');
    expect(problems).toContainEqual({ file, reason: expect.stringMatching(reason) });
    expect(message).toContain(file);
    const material = typeof value === 'string' ? (value.match(/[A-Za-z0-9_-]{16,}/g) ?? []) : secretsOf(value);
    for (const secret of [...material, ...secretsOf(es), ...secretsOf(otherEs)]) expect(message).not.toContain(secret);
  });

  it.each<[string, (dir: string) => Promise<void>, string, RegExp]>([
    ['an active naming a missing kid', (dir) => writeFile(join(dir, 'active'), 'ghost\n'), 'active', /names kid "ghost", but there is no valid ghost.jwk.json/],
    ['no active file', (dir) => rm(join(dir, 'active')), 'active', /is missing/],
    ['an active that holds no kid', (dir) => writeFile(join(dir, 'active'), '../k\n'), 'active', /does not hold a kid/],
    [
      'a key file name that is not a kid',
      (dir) => writeFile(join(dir, 'bad name.jwk.json'), JSON.stringify(es)),
      'bad name.jwk.json',
      /file name is not <kid>.jwk.json/,
    ],
  ])('names the file and the reason for %s', async (_name, spoil, file, reason) => {
    const dir = await writeRing({ k: es }, 'k');
    await spoil(dir);
    await expect(loadKeyRing(dir)).rejects.toMatchObject({
      code: 'invalid_key_ring',
      problems: expect.arrayContaining([{ file, reason: expect.stringMatching(reason) }]),
    });
  });

  it('reports every bad file at once', async () => {
    const dir = await writeRing({ k: es, a: { ...es, kid: 'a', alg: 'none' }, b: '{' }, 'k');
    await expect(loadKeyRing(dir)).rejects.toMatchObject({
      problems: [expect.objectContaining({ file: 'a.jwk.json' }), expect.objectContaining({ file: 'b.jwk.json' })],
    });
  });

  it('reports a missing directory and an empty one', async () => {
    await expect(loadKeyRing(freshDir())).rejects.toMatchObject({ problems: [expect.objectContaining({ reason: 'the key ring directory does not exist' })] });
    const empty = await writeRing({});
    await expect(loadKeyRing(empty)).rejects.toMatchObject({
      problems: expect.arrayContaining([expect.objectContaining({ reason: expect.stringMatching(/no <kid>.jwk.json/) })]),
    });
  });

  it('loads, with warnings, a key file and directory that others can read', async () => {
    const dir = await writeRing({ k: es }, 'k');
    await chmod(join(dir, 'k.jwk.json'), 0o644);
    await chmod(dir, 0o755);
    const { ring, warnings } = await loadKeyRing(dir);
    expect(ring.active.kid).toBe('k');
    expect(warnings).toEqual(
      expect.arrayContaining([
        { file: 'k.jwk.json', reason: expect.stringContaining('0644') },
        { file: dir, reason: expect.stringContaining('0755') },
      ]),
    );
  });

  it('ignores files that are not key files, such as temp files and a README', async () => {
    const dir = await writeRing({ k: es }, 'k');
    await writeFile(join(dir, 'README'), 'keys live here');
    await writeFile(join(dir, '.k2.jwk.json.123.abc.tmp'), '{');
    expect([...(await loadKeyRing(dir)).ring.byKid.keys()]).toEqual(['k']);
  });
});
