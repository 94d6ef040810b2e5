import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/load.js';
import { ACTIVE_FILE, keyFileName, type KeyAlg } from '../signing-keys/algorithms.js';
import type { KeyProblem } from '../signing-keys/errors.js';
import { loadKeyRing, loadVerifyRing } from '../signing-keys/keyring.js';
import { ringExists } from '../signing-keys/operations.js';
import { note, type CliIo } from './io.js';

/** One key of the ring as `keys` lists it: never anything of the key itself but its kid and alg. */
export interface RingKeyInfo {
  kid: string;
  alg: KeyAlg;
  /** Permission bits of the key file; undefined when it vanished while we looked. */
  mode: number | undefined;
  active: boolean;
}

/** What signs under a configuration: the HS256 secret, nothing yet (the signer generates a ring), or a ring. */
export type RingSummary =
  | { kind: 'secret' }
  | { kind: 'none' }
  | { kind: 'ring'; active: { kid: string; alg: KeyAlg } | undefined; keys: RingKeyInfo[]; warnings: KeyProblem[] };

/**
 * Loads KEYS_DIR as the signer would (an `active` file is optional only under HS256) and describes
 * it; reads only, never generates. A broken ring throws KeyRingError with every problem.
 */
export async function summarizeRing(config: Config): Promise<RingSummary> {
  const dir = config.KEYS_DIR;
  if (!(await ringExists(dir))) return { kind: config.JWT_ALG === 'HS256' ? 'secret' : 'none' };
  const { ring, warnings } = config.JWT_ALG === 'HS256' ? await loadVerifyRing(dir) : await loadKeyRing(dir);
  const active = ring.active ? { kid: ring.active.kid, alg: ring.active.alg } : undefined;
  if (active && active.alg !== config.JWT_ALG) {
    warnings.push({
      file: ACTIVE_FILE,
      reason: `the active key ${active.kid} is ${active.alg}, but JWT_ALG is ${config.JWT_ALG}: keygen and rotate make ${config.JWT_ALG} keys`,
    });
  }
  const keys = await Promise.all(
    [...ring.byKid].map(async ([kid, key]) => ({
      kid,
      alg: key.alg,
      mode: await stat(join(dir, keyFileName(kid))).then(
        (s) => s.mode & 0o777,
        () => undefined,
      ),
      active: kid === active?.kid,
    })),
  );
  return { kind: 'ring', active, keys: keys.sort((a, b) => a.kid.localeCompare(b.kid)), warnings };
}

/** The kid in `active` and when it was last written (the last activation), or undefined without one. */
export async function readActive(dir: string): Promise<{ kid: string; since: Date } | undefined> {
  const file = join(dir, ACTIVE_FILE);
  try {
    const [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    return { kid: text.trim(), since: info.mtime };
  } catch {
    return undefined;
  }
}

/** True when `kid` has a key file in `dir`; otherwise says so (the caller exits 1). */
export async function keyFileExists(name: string, io: CliIo, dir: string, kid: string): Promise<boolean> {
  if (
    await stat(join(dir, keyFileName(kid))).then(
      () => true,
      () => false,
    )
  )
    return true;
  note(io, name, `there is no key ${kid} in ${dir} (tokengate keys lists them)`);
  return false;
}

/** `0600`, as people write file modes. */
export const octalMode = (mode: number | undefined): string => (mode === undefined ? '?' : `0${mode.toString(8).padStart(3, '0')}`);

/** One line on what signs: `ring in DIR, active K (ES256), 2 keys`, or why there is no ring. */
export function describeRing(config: Config, summary: RingSummary): string {
  const dir = config.KEYS_DIR;
  if (summary.kind === 'secret') return `the secret signs (HS256, no key ring in ${dir})`;
  if (summary.kind === 'none') return `no key ring in ${dir} yet; the signer generates an ${config.JWT_ALG} one at its first start`;
  const count = `${summary.keys.length} key${summary.keys.length === 1 ? '' : 's'}`;
  if (!summary.active) return `ring in ${dir} without an active key: the secret signs (HS256, no kid); ${count}, verifying only`;
  return `ring in ${dir}, active ${summary.active.kid} (${summary.active.alg}), ${count}`;
}
