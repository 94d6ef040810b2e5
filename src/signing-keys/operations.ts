import { readdir, readFile, unlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { ACTIVE_FILE, isKid, KEY_FILE_SUFFIX, keyFileName, type KeyAlg } from './algorithms.js';
import { errnoCode, KeyRingError } from './errors.js';
import { generateKeyJwk, newKid } from './generate.js';
import { importKey } from './import-key.js';
import { readKeyFile } from './key-file.js';
import { ensurePrivateDir, writePrivateFile } from './private-file.js';

/** How long a starter that finds key files but no `active` waits for another starter to finish. */
const ACTIVE_WAIT_MS = 2000;

/**
 * First start: with no key ring in `dir`, generates one `alg` key and makes it active. An existing
 * ring is left alone (even a broken one: loadKeyRing reports it). Safe for several starters at once:
 * `active` is created exclusively, and a starter that loses removes its own key.
 */
export async function ensureKeyRing(dir: string, alg: KeyAlg): Promise<{ generated: false } | { generated: true; kid: string }> {
  await ensurePrivateDir(dir);
  const state = await ringState(dir);
  if (state === 'keys-without-active') await waitForActive(dir);
  if (state !== 'empty') return { generated: false };
  const kid = newKid();
  const file = join(dir, keyFileName(kid));
  await writePrivateFile(file, `${JSON.stringify(await generateKeyJwk(alg, kid), null, 2)}\n`, 'create');
  try {
    await writePrivateFile(join(dir, ACTIVE_FILE), `${kid}\n`, 'create');
  } catch (err) {
    await unlink(file).catch(() => undefined);
    if (errnoCode(err) === 'EEXIST') return { generated: false };
    throw err;
  }
  return { generated: true, kid };
}

/** Generates a new `alg` key into the ring (not active: it verifies until setActive). Refuses an existing kid. */
export async function addKey(dir: string, alg: KeyAlg, kid: string = newKid()): Promise<{ kid: string; file: string }> {
  checkKid(kid);
  await ensurePrivateDir(dir);
  const file = join(dir, keyFileName(kid));
  const jwk = await generateKeyJwk(alg, kid);
  try {
    await writePrivateFile(file, `${JSON.stringify(jwk, null, 2)}\n`, 'create');
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') throw new KeyRingError('kid_exists', [{ file: keyFileName(kid), reason: 'a key with this kid already exists' }]);
    throw err;
  }
  return { kid, file };
}

/** Makes `kid` the signing key, after checking that its file loads; replaces `active` atomically. */
export async function setActive(dir: string, kid: string): Promise<void> {
  checkKid(kid);
  const read = await readKeyFile(join(dir, keyFileName(kid)), kid);
  if (!read.ok) throw new KeyRingError(read.missing ? 'unknown_kid' : 'invalid_key_ring', [{ file: keyFileName(kid), reason: read.reason }]);
  try {
    await importKey(read.key);
  } catch {
    throw new KeyRingError('invalid_key_ring', [{ file: keyFileName(kid), reason: `the ${read.key.alg} key cannot be imported or does not sign and verify` }]);
  }
  await writePrivateFile(join(dir, ACTIVE_FILE), `${kid}\n`, 'replace');
}

/** Deletes a key that is not active: tokens it signed are refused from the next load on. */
export async function retireKey(dir: string, kid: string): Promise<void> {
  checkKid(kid);
  const active = await readFile(join(dir, ACTIVE_FILE), 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  );
  if (active === kid) throw new KeyRingError('active_key', [{ file: keyFileName(kid), reason: 'is the active key; make another key active first' }]);
  try {
    await unlink(join(dir, keyFileName(kid)));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') throw new KeyRingError('unknown_kid', [{ file: keyFileName(kid), reason: 'does not exist' }]);
    throw err;
  }
}

function checkKid(kid: string): void {
  if (!isKid(kid)) throw new KeyRingError('invalid_kid', [{ file: 'kid', reason: 'a kid is 1 to 64 letters, digits, "_" or "-"' }]);
}

/** Whether `dir` holds a key ring at all (an `active` file or any key file); a missing directory holds none. */
export async function ringExists(dir: string): Promise<boolean> {
  const names = await readdir(dir).catch((err: unknown): string[] => {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  });
  return names.includes(ACTIVE_FILE) || names.some((n) => n.endsWith(KEY_FILE_SUFFIX));
}

async function ringState(dir: string): Promise<'empty' | 'active' | 'keys-without-active'> {
  const names = await readdir(dir);
  if (names.includes(ACTIVE_FILE)) return 'active';
  return names.some((n) => n.endsWith(KEY_FILE_SUFFIX)) ? 'keys-without-active' : 'empty';
}

/** Another starter may be between writing its key and `active`; give it a moment. */
async function waitForActive(dir: string): Promise<void> {
  for (let waited = 0; waited < ACTIVE_WAIT_MS; waited += 50) {
    if ((await ringState(dir)) === 'active') return;
    await sleep(50);
  }
}
