import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
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
 * Keeps the signer's keys in step with KEYS_DIR: it polls the directory (names, sizes, times and the
 * `active` pointer) and reloads on a change, or when asked. A ring that fails to load is logged, file
 * by file, and the previous keys stay in use: a half-written rotation never takes the signer down.
 */
export function startKeyReloader(opts: KeyReloaderOptions): KeyReloader {
  let current = opts.initial;
  // Unknown at first: the ring may have changed while the signer was opening it (another starter's
  // key that lost the race for `active` and was removed), so the first poll loads it once more.
  let seen = '';
  let running: Promise<boolean> | undefined;

  const load = async (reason: string): Promise<boolean> => {
    const before = await fingerprint(opts.dir);
    try {
      const opened = await opts.load();
      for (const w of opened.warnings) opts.logger.warn({ file: w.file }, `key ring: ${w.reason}`);
      const changed = describe(opened.keys) !== describe(current);
      current = opened.keys;
      seen = before;
      const level = changed || reason === 'SIGHUP' ? 'info' : 'debug';
      opts.logger[level]({ reason, source: current.source, active: current.signer.kid, alg: current.signer.alg, kids: current.kids, changed }, 'keys loaded');
      return true;
    } catch (err) {
      if (!(err instanceof KeyRingError)) throw err;
      // Not `seen = before`: the next poll tries again, so a fix is picked up without another signal.
      opts.logger.error({ reason, problems: err.problems, active: current.signer.kid }, 'the key ring did not load; the previous keys stay in use');
      return false;
    }
  };
  // One load at a time. A request during a load gets one more load after it (shared by every request
  // meanwhile): the running one may have read KEYS_DIR before the change this request is about.
  let queued: Promise<boolean> | undefined;
  const reload = (reason: string): Promise<boolean> => {
    if (running) {
      queued ??= running.then(() => {
        queued = undefined;
        return reload(reason);
      });
      return queued;
    }
    running = load(reason)
      .catch((err: unknown) => {
        opts.logger.error({ reason, err: errnoCode(err) ?? String(err) }, 'the key ring did not load; the previous keys stay in use');
        return false;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  let failedFingerprint: string | undefined;
  const poll = async () => {
    const now = await fingerprint(opts.dir);
    // A ring that failed to load is tried again only once it changes: one error line, not one per poll.
    if (now === seen || now === failedFingerprint) return;
    failedFingerprint = (await reload('file change')) ? undefined : now;
  };
  const timer = opts.intervalMs > 0 ? setInterval(() => void poll().catch(() => undefined), opts.intervalMs) : undefined;
  timer?.unref();
  return {
    keys: () => current,
    reload,
    stop: () => clearInterval(timer),
  };
}

const describe = (keys: TokenKeys): string => JSON.stringify([keys.source, keys.signer.kid, keys.kids]);

/** What changes when a key file or `active` is written, replaced or removed; cheap enough to poll. */
async function fingerprint(dir: string): Promise<string> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => !n.startsWith('.')).sort();
  } catch (err) {
    return `unreadable:${errnoCode(err) ?? 'error'}`;
  }
  const parts = await Promise.all(
    names.map(async (name) => {
      const info = await stat(join(dir, name)).catch(() => undefined);
      return info ? `${name}:${info.ino}:${info.size}:${info.mtimeMs}` : `${name}:gone`;
    }),
  );
  const active = await readFile(join(dir, ACTIVE_FILE), 'utf8').catch(() => '');
  return `${parts.join('|')}|active=${active.trim()}`;
}
