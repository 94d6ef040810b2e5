import type { Logger } from '../log/logger.js';
import { startDirReloader } from '../files/dir-reloader.js';
import { ACTIVE_FILE } from './algorithms.js';
import { errnoCode, KeyRingError } from './errors.js';
import type { OpenedKeys } from './open-keys.js';
import type { KeysSource, TokenKeys } from './token-keys.js';

export interface KeyReloaderOptions {
  /** KEYS_DIR, watched for changes. */
  dir: string;
  /** The keys the signer started with. */
  initial: TokenKeys;
  /** Loads the keys again (openKeys without generating). */
  load: () => Promise<OpenedKeys>;
  logger: Logger;
  /** How often to look for a change; 0 only reloads when asked (SIGHUP). */
  intervalMs: number;
}

export interface KeyReloader {
  /** The keys of the moment, for the issuer and the verifiers. */
  keys: KeysSource;
  /** Loads the ring now (SIGHUP); true when the new ring is in use, false when the previous one was kept. */
  reload(reason: string): Promise<boolean>;
  stop(): void;
}

/**
 * Keeps the signer's keys in step with KEYS_DIR (see `startDirReloader`; the `active` pointer is
 * watched too). A ring that fails to load is logged, file by file, and the previous keys stay in use.
 */
export function startKeyReloader(opts: KeyReloaderOptions): KeyReloader {
  const reloader = startDirReloader<TokenKeys>({
    dir: opts.dir,
    initial: opts.initial,
    load: async () => {
      const opened = await opts.load();
      refuseFallback(opts.dir, reloader.current(), opened.keys);
      for (const w of opened.warnings) opts.logger.warn({ file: w.file }, `key ring: ${w.reason}`);
      return opened.keys;
    },
    onLoaded: (keys, previous, reason) => {
      const changed = describe(keys) !== describe(previous);
      const level = changed || reason === 'SIGHUP' ? 'info' : 'debug';
      opts.logger[level]({ reason, source: keys.source, active: keys.signer.kid, alg: keys.signer.alg, kids: keys.kids, changed }, 'keys loaded');
    },
    onFailed: (err, reason) => {
      const active = reloader.current().signer.kid;
      if (err instanceof KeyRingError)
        opts.logger.error({ reason, problems: err.problems, active }, 'the key ring did not load; the previous keys stay in use');
      else opts.logger.error({ reason, err: errnoCode(err) ?? String(err), active }, 'the key ring did not load; the previous keys stay in use');
    },
    intervalMs: opts.intervalMs,
    watchContent: [ACTIVE_FILE],
  });
  return { keys: reloader.current, reload: reloader.reload, stop: reloader.stop };
}

/**
 * Under HS256 a missing ring, or a ring without `active`, means "the secret signs". That is right at
 * the start, but once a ring has been in use a vanished directory (a bad mount, `mv keys keys.old`) or
 * a deleted `active` would silently refuse every token of the ring and sign with the secret: it is
 * refused as a broken ring instead, and the keys in use stay. A restart goes back to the secret.
 */
function refuseFallback(dir: string, current: TokenKeys, next: TokenKeys): void {
  if (current.source === 'ring' && next.source === 'secret') {
    throw new KeyRingError('invalid_key_ring', [
      { file: dir, reason: 'the key ring is gone (no key file and no active); restart the signer to sign with the secret again' },
    ]);
  }
  if (current.signer.kid !== undefined && next.signer.kid === undefined) {
    throw new KeyRingError('invalid_key_ring', [
      { file: ACTIVE_FILE, reason: `is missing: it named ${current.signer.kid}; a ring that signed keeps an active key (tokengate rotate --kid <kid>)` },
    ]);
  }
}

const describe = (keys: TokenKeys): string => JSON.stringify([keys.source, keys.signer.kid, keys.kids]);
