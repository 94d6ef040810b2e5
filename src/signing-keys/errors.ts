/** One thing wrong with a key ring, named by file; the reason never holds key material. */
export interface KeyProblem {
  file: string;
  reason: string;
}

export type KeyRingErrorCode = 'invalid_key_ring' | 'invalid_kid' | 'kid_exists' | 'unknown_kid' | 'active_key';

/** A key ring that cannot be used or changed as asked; `problems` lists every reason found. */
export class KeyRingError extends Error {
  override name = 'KeyRingError';
  readonly code: KeyRingErrorCode;
  readonly problems: readonly KeyProblem[];

  constructor(code: KeyRingErrorCode, problems: readonly KeyProblem[]) {
    super(problems.map((p) => `${p.file}: ${p.reason}`).join('; '));
    this.code = code;
    this.problems = Object.freeze([...problems]);
  }
}

/** The errno code of a file-system error (it lives in files/, with the directory watcher the reloaders share). */
export { errnoCode } from '../files/errno.js';
