import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_ALGS, type KeyAlg } from '../../src/signing-keys/algorithms.js';
import { KeyRingError } from '../../src/signing-keys/errors.js';
import { startKeyReloader, type KeyReloader } from '../../src/signing-keys/key-reloader.js';
import { dirFingerprint } from '../../src/files/dir-reloader.js';
import { openKeys } from '../../src/signing-keys/open-keys.js';
import { addKey, ensureKeyRing, retireKey, setActive } from '../../src/signing-keys/operations.js';
import type { TokenKeys } from '../../src/signing-keys/token-keys.js';
import { createTokenIssuer } from '../../src/tokens/sign.js';
import { createTokenVerifier } from '../../src/tokens/verify.js';
import { capturingLogger, testKey } from '../fixtures/signer.js';
import type { SigningKey } from '../../src/tokens/keys.js';

let root: string;
let count = 0;
let secretKey: SigningKey;
const freshDir = () => join(root, `ring-${++count}`);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tokengate-open-keys-'));
  secretKey = await testKey();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** An issuer and an access-token verifier over whatever keys `source` holds at the moment. */
function tokensOver(source: () => TokenKeys) {
  const common = { keys: source, issuer: 'tokengate' };
  return { issue: createTokenIssuer({ ...common, ttlSeconds: 300 }), verify: createTokenVerifier({ ...common, clockSkewSeconds: 0 }) };
}

const open = (dir: string, alg: KeyAlg, generate = true) => openKeys({ dir, alg, secretKey, generate });

describe('the keys a signer starts with', () => {
  it('signs with the secret, without kid, under HS256 when KEYS_DIR holds no ring (and creates nothing)', async () => {
    const dir = freshDir();
    const { keys } = await open(dir, 'HS256');
    expect(keys).toMatchObject({ source: 'secret', signer: { alg: 'HS256', kid: undefined }, kids: [] });
    expect(keys.publicJwks()).toEqual([]);
    const { issue, verify } = tokensOver(() => keys);
    const { token } = await issue({ sub: 'alice' });
    expect(decodeProtectedHeader(token)).not.toHaveProperty('kid');
    expect(await verify(token)).toMatchObject({ ok: true });
    await expect(readdir(dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it.each(KEY_ALGS.filter((a) => a !== 'HS256'))('generates a %s ring on first start and signs with its kid', async (alg) => {
    const dir = freshDir();
    const opened = await open(dir, alg);
    expect(opened.generated).toMatch(/^\d{8}-[0-9a-f]{8}$/);
    expect(opened.keys).toMatchObject({ source: 'ring', signer: { alg, kid: opened.generated } });
    const { issue, verify } = tokensOver(() => opened.keys);
    const { token } = await issue({ sub: 'alice' });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg, kid: opened.generated });
    expect(await verify(token)).toMatchObject({ ok: true });
    expect(opened.keys.publicJwks()).toEqual([expect.objectContaining({ kid: opened.generated, alg, use: 'sig' })]);
  });

  it('never generates when asked not to (the CLI): a missing asymmetric ring is an error', async () => {
    const dir = freshDir();
    await expect(open(dir, 'ES256', false)).rejects.toMatchObject({ code: 'invalid_key_ring' });
  });

  it('says where and why when a first key cannot be written, with no stack trace', async () => {
    // A path under a regular file fails for root too (ENOTDIR), as a read-only mount would (EROFS).
    const file = freshDir();
    await writeFile(file, 'not a directory');
    const err = await open(join(file, 'keys'), 'ES256').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyRingError);
    expect((err as KeyRingError).problems).toEqual([{ file: join(file, 'keys'), reason: 'a first ES256 key cannot be written here (ENOTDIR)' }]);
  });

  it('under HS256, a KEYS_DIR that cannot be read is a key ring problem, not a crash', async () => {
    const file = freshDir();
    await writeFile(file, 'not a directory');
    const err = await open(file, 'HS256').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyRingError);
    expect((err as KeyRingError).problems).toEqual([{ file, reason: 'the key ring directory cannot be read (ENOTDIR)' }]);
  });

  it.runIf(process.getuid?.() === 0)('run as root, gives new key files to the owner of the key ring directory, so the signer can read them', async () => {
    const dir = freshDir();
    await mkdir(dir, { mode: 0o700 });
    await chown(dir, 65534, 65534);
    const { kid } = await addKey(dir, 'ES256');
    await setActive(dir, kid);
    for (const name of [`${kid}.jwk.json`, 'active']) expect(await stat(join(dir, name))).toMatchObject({ uid: 65534, gid: 65534 });
  });

  it('refuses a broken ring rather than falling back to the secret', async () => {
    const dir = freshDir();
    await ensureKeyRing(dir, 'HS256');
    await writeFile(join(dir, 'junk.jwk.json'), '{not json');
    const err = await open(dir, 'HS256').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyRingError);
    expect((err as KeyRingError).problems).toEqual([{ file: 'junk.jwk.json', reason: 'is not valid JSON' }]);
  });

  it('under HS256, a ring with no active key yet verifies its keys while the secret still signs', async () => {
    const dir = freshDir();
    const secretOnly = (await open(dir, 'HS256')).keys;
    const before = (await tokensOver(() => secretOnly).issue({ sub: 'alice' })).token;
    const { kid } = await addKey(dir, 'HS256');
    const { keys } = await open(dir, 'HS256');
    expect(keys).toMatchObject({ source: 'ring', signer: { alg: 'HS256', kid: undefined }, kids: [kid] });
    const { verify } = tokensOver(() => keys);
    expect(await verify(before)).toMatchObject({ ok: true });
  });

  it('under an asymmetric JWT_ALG, a ring with no active key is an error', async () => {
    const dir = freshDir();
    await addKey(dir, 'ES256');
    await expect(open(dir, 'ES256')).rejects.toMatchObject({ code: 'invalid_key_ring' });
  });

  it('verifies kid-less tokens with the secret under HS256 only, so an RS256 gateway never takes an HMAC token', async () => {
    const legacy = (await open(freshDir(), 'HS256')).keys;
    const kidless = (await tokensOver(() => legacy).issue({ sub: 'alice' })).token;
    const hsRing = freshDir();
    await ensureKeyRing(hsRing, 'HS256');
    const hsKeys = (await open(hsRing, 'HS256')).keys;
    expect(await tokensOver(() => hsKeys).verify(kidless)).toMatchObject({ ok: true });
    const rsRing = freshDir();
    await ensureKeyRing(rsRing, 'RS256');
    const rsKeys = (await open(rsRing, 'RS256')).keys;
    expect(await tokensOver(() => rsKeys).verify(kidless)).toEqual({ ok: false, reason: 'missing_kid' });
  });

  it('warns when the active key is of another algorithm than JWT_ALG, and signs with the active key', async () => {
    const dir = freshDir();
    await ensureKeyRing(dir, 'EdDSA');
    const opened = await open(dir, 'ES256');
    expect(opened.keys.signer.alg).toBe('EdDSA');
    expect(opened.warnings).toEqual([{ file: 'active', reason: expect.stringContaining('is EdDSA, but JWT_ALG is ES256') }]);
  });
});

describe('reloading the keys while the signer runs', () => {
  const reloaders: KeyReloader[] = [];
  afterAll(() => {
    for (const r of reloaders) r.stop();
  });

  async function follow(dir: string, alg: KeyAlg, intervalMs = 0) {
    const { logger, lines } = capturingLogger();
    const initial = (await open(dir, alg)).keys;
    const reloader = startKeyReloader({ dir, initial, load: () => open(dir, alg, false), logger, intervalMs });
    reloaders.push(reloader);
    const logged = () => lines.map((l) => JSON.parse(l) as { level: number; msg: string; problems?: unknown });
    return { reloader, logged, ...tokensOver(reloader.keys) };
  }

  it('keeps old tokens verifying after a rotation, and refuses them once their key is retired', async () => {
    const dir = freshDir();
    const { reloader, issue, verify } = await follow(dir, 'ES256');
    const oldKid = reloader.keys().signer.kid!;
    const oldToken = (await issue({ sub: 'alice' })).token;

    const { kid: next } = await addKey(dir, 'ES256');
    expect(await reloader.reload('SIGHUP')).toBe(true);
    // Phase one: the new key verifies, the old one still signs.
    expect(reloader.keys()).toMatchObject({ signer: { kid: oldKid }, kids: [oldKid, next].sort() });
    await setActive(dir, next);
    expect(await reloader.reload('SIGHUP')).toBe(true);
    const newToken = (await issue({ sub: 'alice' })).token;
    expect(decodeProtectedHeader(newToken).kid).toBe(next);
    expect(await verify(oldToken)).toMatchObject({ ok: true });

    await retireKey(dir, oldKid);
    expect(await reloader.reload('SIGHUP')).toBe(true);
    expect(await verify(oldToken)).toEqual({ ok: false, reason: 'unknown_kid' });
    expect(await verify(newToken)).toMatchObject({ ok: true });
  });

  it('keeps the previous keys when the ring fails to load, and logs every problem without key material', async () => {
    const dir = freshDir();
    const { reloader, verify, issue, logged } = await follow(dir, 'EdDSA');
    const token = (await issue({ sub: 'alice' })).token;
    const before = reloader.keys();
    await writeFile(join(dir, 'active'), 'ghost\n');
    // A damaged key file beside it: its reason is named, its content never quoted.
    const kid = reloader.keys().signer.kid!;
    const keyText = await readFile(join(dir, `${kid}.jwk.json`), 'utf8');
    const privatePart = (JSON.parse(keyText) as { d: string }).d;
    await writeFile(join(dir, 'broken.jwk.json'), keyText.replace('"kid"', '"kid-x"'));
    expect(await reloader.reload('SIGHUP')).toBe(false);
    expect(reloader.keys()).toBe(before);
    expect(await verify(token)).toMatchObject({ ok: true });
    const failure = logged().find((l) => l.msg.startsWith('the key ring did not load'));
    expect(failure).toMatchObject({ level: 50, problems: expect.arrayContaining([{ file: 'active', reason: expect.stringContaining('ghost') }]) });
    expect(failure!.problems).toContainEqual({ file: 'broken.jwk.json', reason: expect.any(String) });
    expect(JSON.stringify(logged())).not.toContain(privatePart);
  });

  it('picks up a change in KEYS_DIR by itself, and a ring broken on disk only once it changes again', async () => {
    const dir = freshDir();
    const { reloader, logged } = await follow(dir, 'ES256', 20);
    const { kid } = await addKey(dir, 'ES256');
    await expect.poll(() => reloader.keys().kids, { timeout: 2000, interval: 10 }).toContain(kid);

    // Written whole in one step (a rename), so the poll sees one change rather than a half-written file.
    await writeFile(join(dir, '.junk.tmp'), 'nope');
    await rename(join(dir, '.junk.tmp'), join(dir, 'junk.jwk.json'));
    await expect.poll(() => logged().filter((l) => l.level === 50).length, { timeout: 2000, interval: 10 }).toBe(1);
    // Polls of the same broken ring do not log again.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(logged().filter((l) => l.level === 50)).toHaveLength(1);

    await rm(join(dir, 'junk.jwk.json'));
    await setActive(dir, kid);
    await expect.poll(() => reloader.keys().signer.kid, { timeout: 2000, interval: 10 }).toBe(kid);
  });

  it('gives a SIGHUP that arrives during a load a load of its own after it, so no change is missed', async () => {
    const dir = freshDir();
    const { reloader } = await follow(dir, 'ES256');
    const { kid } = await addKey(dir, 'ES256');
    const first = reloader.reload('SIGHUP');
    // The first load may already have read `active`; this change must not depend on it.
    await setActive(dir, kid);
    const second = reloader.reload('SIGHUP');
    const third = reloader.reload('SIGHUP');
    // Whether the first load is still running here or not, the last one starts after the change.
    expect(await Promise.all([first, second, third])).toEqual([true, true, true]);
    expect(reloader.keys().signer.kid).toBe(kid);
  });
});

describe('a ring in use that goes missing', () => {
  const reloaders: KeyReloader[] = [];
  afterAll(() => {
    for (const r of reloaders) r.stop();
  });
  async function hs256RingInUse() {
    const dir = freshDir();
    const { kid } = await addKey(dir, 'HS256');
    await setActive(dir, kid);
    const initial = (await open(dir, 'HS256')).keys;
    const reloader = startKeyReloader({ dir, initial, load: () => open(dir, 'HS256', false), logger: capturingLogger().logger, intervalMs: 0 });
    reloaders.push(reloader);
    return { dir, kid, reloader, initial };
  }

  it('under HS256, keeps the ring when KEYS_DIR vanishes, instead of signing with the secret and refusing its tokens', async () => {
    const { dir, kid, reloader, initial } = await hs256RingInUse();
    await rm(dir, { recursive: true });
    expect(await reloader.reload('SIGHUP')).toBe(false);
    expect(reloader.keys()).toBe(initial);
    expect(reloader.keys().signer.kid).toBe(kid);
  });

  it('under HS256, keeps the ring when its active file is deleted', async () => {
    const { dir, reloader, initial } = await hs256RingInUse();
    await rm(join(dir, 'active'));
    expect(await reloader.reload('SIGHUP')).toBe(false);
    expect(reloader.keys()).toBe(initial);
  });
});

describe('the directory fingerprint the reloaders poll', () => {
  it('changes when only a mode changes, so a chmod that fixes an unreadable key is picked up', async () => {
    const dir = freshDir();
    const { kid } = await addKey(dir, 'ES256');
    const before = await dirFingerprint(dir, ['active']);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await chmod(join(dir, `${kid}.jwk.json`), 0o400);
    expect(await dirFingerprint(dir, ['active'])).not.toBe(before);
  });
});

describe('several signers starting at once on an empty KEYS_DIR', () => {
  it('all start and sign with the one key that won the race for active', async () => {
    for (let round = 0; round < 40; round++) {
      const dir = freshDir();
      const opened = await Promise.all([1, 2, 3].map(() => open(dir, 'ES256')));
      const kids = new Set(opened.map((o) => o.keys.signer.kid));
      expect(kids.size).toBe(1);
      expect(opened.filter((o) => o.generated !== undefined)).toHaveLength(1);
      // A starter may have caught a loser's key before it was removed; the ring on disk has one.
      expect(await readdir(dir)).toEqual([`${[...kids][0]}.jwk.json`, 'active'].sort());
    }
  });
});
