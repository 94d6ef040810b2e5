import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { ACTIVE_FILE, isKid, KEY_FILE_SUFFIX, type KeyAlg } from './algorithms.js';
import { errnoCode, KeyRingError, type KeyProblem } from './errors.js';
import { importKey, type CryptoKey } from './import-key.js';
import { publicJwk, readKeyFile } from './key-file.js';

export interface ActiveKey {
  readonly kid: string;
  readonly alg: KeyAlg;
  readonly signingKey: CryptoKey;
}

export interface RingKey {
  readonly alg: KeyAlg;
  readonly verifyKey: CryptoKey;
}

/** The keys in memory: one active for signing, every one (active included) for verifying. */
export interface KeyRing extends VerifyRing {
  readonly active: ActiveKey;
}

/**
 * A ring that may have no active key yet: under HS256, keys added before the first `rotate` only
 * verify, and the secret keeps signing (see `loadVerifyRing`).
 */
export interface VerifyRing {
  readonly active?: ActiveKey | undefined;
  readonly byKid: ReadonlyMap<string, RingKey>;
  /** Public keys for a JWKS, sorted by kid: never a private member, never a shared secret. */
  publicJwks(): JWK[];
}

export interface LoadedKeyRing<R extends VerifyRing = KeyRing> {
  ring: R;
  /** Problems that do not stop the start, such as a key file others can read. */
  warnings: KeyProblem[];
}

/**
 * Reads every `<kid>.jwk.json` and `active` in `dir`, checks and imports each key once, and
 * returns the ring; any problem throws a KeyRingError listing all of them, file by file.
 */
export async function loadKeyRing(dir: string): Promise<LoadedKeyRing> {
  const { ring, warnings } = await readRing(dir, true);
  return { ring: ring as KeyRing, warnings };
}

/** As loadKeyRing, but a ring without an `active` file loads too, for verifying only. */
export function loadVerifyRing(dir: string): Promise<LoadedKeyRing<VerifyRing>> {
  return readRing(dir, false);
}

async function readRing(dir: string, requireActive: boolean): Promise<LoadedKeyRing<VerifyRing>> {
  const problems: KeyProblem[] = [];
  const warnings: KeyProblem[] = [];
  const names = await listDir(dir);
  const dirMode = (await stat(dir)).mode & 0o777;
  if (dirMode & 0o077) warnings.push({ file: dir, reason: `the key ring directory has mode ${octal(dirMode)}; 0700 keeps others out` });

  const keys = new Map<string, RingKey & { kid: string; signingKey: CryptoKey; publicJwk: JWK | undefined }>();
  for (const name of names.filter((n) => n.endsWith(KEY_FILE_SUFFIX)).sort()) {
    const kid = name.slice(0, -KEY_FILE_SUFFIX.length);
    if (!isKid(kid)) {
      problems.push({ file: name, reason: 'the file name is not <kid>.jwk.json with a kid of 1 to 64 letters, digits, "_" or "-"' });
      continue;
    }
    const read = await readKeyFile(join(dir, name), kid);
    // Listed a moment ago, gone now: retired, or the key of a starter that lost the race for `active`.
    // Not a problem of the ring (if `active` names it, that is reported below).
    if (!read.ok && read.missing) continue;
    if (!read.ok) {
      problems.push({ file: name, reason: read.reason });
      continue;
    }
    if (read.mode & 0o077) warnings.push({ file: name, reason: `mode ${octal(read.mode)} lets others read the key; use 0600` });
    try {
      const imported = await importKey(read.key);
      keys.set(kid, { kid, alg: read.key.alg, ...imported, publicJwk: publicJwk(read.key) });
    } catch {
      problems.push({ file: name, reason: `the ${read.key.alg} key cannot be imported or does not sign and verify (a damaged or mismatched key)` });
    }
  }
  if (keys.size === 0 && problems.length === 0) problems.push({ file: dir, reason: 'holds no <kid>.jwk.json key file' });

  const activeKid = await readActive(dir, problems, requireActive);
  const active = activeKid === undefined ? undefined : keys.get(activeKid);
  if (activeKid !== undefined && !active && !problems.some((p) => p.file === `${activeKid}${KEY_FILE_SUFFIX}`)) {
    problems.push({ file: ACTIVE_FILE, reason: `names kid "${activeKid}", but there is no valid ${activeKid}${KEY_FILE_SUFFIX}` });
  }
  if (problems.length > 0 || (requireActive && !active)) throw new KeyRingError('invalid_key_ring', problems);

  const byKid = new Map<string, RingKey>();
  for (const [kid, key] of keys) byKid.set(kid, Object.freeze({ alg: key.alg, verifyKey: key.verifyKey }));
  const jwks = [...keys.values()].flatMap((k) => (k.publicJwk ? [Object.freeze(k.publicJwk)] : []));
  const ring: VerifyRing = Object.freeze({
    active: active ? Object.freeze({ kid: active.kid, alg: active.alg, signingKey: active.signingKey }) : undefined,
    byKid,
    publicJwks: () => jwks.map((jwk) => ({ ...jwk })),
  });
  return { ring, warnings };
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    const code = errnoCode(err);
    const reason = code === 'ENOENT' ? 'the key ring directory does not exist' : `the key ring directory cannot be read (${code ?? 'error'})`;
    throw new KeyRingError('invalid_key_ring', [{ file: dir, reason }]);
  }
}

/** The kid in `active` (one line); a malformed file is a problem, and so is a missing one when `required`. */
async function readActive(dir: string, problems: KeyProblem[], required: boolean): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, ACTIVE_FILE), 'utf8');
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' && !required) return undefined;
    problems.push({
      file: ACTIVE_FILE,
      reason: code === 'ENOENT' ? 'is missing: it must name the kid used for signing (tokengate rotate --kid <kid>)' : `cannot be read (${code ?? 'error'})`,
    });
    return undefined;
  }
  const kid = text.trim();
  if (!isKid(kid)) {
    problems.push({ file: ACTIVE_FILE, reason: 'does not hold a kid (1 to 64 letters, digits, "_" or "-")' });
    return undefined;
  }
  return kid;
}

const octal = (mode: number): string => `0${mode.toString(8).padStart(3, '0')}`;
