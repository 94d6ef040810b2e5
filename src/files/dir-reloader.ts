import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from './errno.js';

export interface DirReloaderOptions<T> {
  /** The directory watched for changes (KEYS_DIR, CLIENTS_DIR). */
  dir: string;
  /** What was loaded at start. */
  initial: T;
  /** Loads the directory again; a rejection keeps the previous value in use. */
  load: () => Promise<T>;
  /** Logs a load that succeeded; `previous` is the value it replaces. */
  onLoaded: (value: T, previous: T, reason: string) => void;
  /** Logs why a load failed; the previous value stays in use. */
  onFailed: (err: unknown, reason: string) => void;
  /** How often to look for a change; 0 only reloads when asked (SIGHUP). */
  intervalMs: number;
  /** Files in `dir` whose content counts too (the key ring's `active` pointer), besides every entry's name, inode, size and time. */
  watchContent?: readonly string[];
}

export interface DirReloader<T> {
  /** The value of the moment. */
  current: () => T;
  /** Loads now (SIGHUP); true when the new value is in use, false when the previous one was kept. */
  reload(reason: string): Promise<boolean>;
  stop(): void;
}

/**
 * Keeps a value in step with a directory: it polls the directory (names, sizes, times, and the
 * content of `watchContent`) and reloads on a change, or when asked. A load that fails is logged
 * and the previous value stays in use: a half-written change never takes the signer down.
 */
export function startDirReloader<T>(opts: DirReloaderOptions<T>): DirReloader<T> {
  let current = opts.initial;
  // Unknown at first: the directory may have changed while the signer was loading it (another
  // starter's key that lost the race for `active` and was removed), so the first poll loads once more.
  let seen = '';
  let running: Promise<boolean> | undefined;
  const fingerprint = () => dirFingerprint(opts.dir, opts.watchContent ?? []);

  const load = async (reason: string): Promise<boolean> => {
    const before = await fingerprint();
    let next: T;
    try {
      next = await opts.load();
    } catch (err) {
      // Not `seen = before`: the next poll tries again, so a fix is picked up without another signal.
      opts.onFailed(err, reason);
      return false;
    }
    const previous = current;
    current = next;
    seen = before;
    opts.onLoaded(next, previous, reason);
    return true;
  };
  // One load at a time. A request during a load gets one more load after it (shared by every request
  // meanwhile): the running one may have read the directory before the change this request is about.
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
        opts.onFailed(err, reason);
        return false;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  let failedFingerprint: string | undefined;
  const poll = async () => {
    const now = await fingerprint();
    // A directory that failed to load is tried again only once it changes: one error line, not one per poll.
    if (now === seen || now === failedFingerprint) return;
    failedFingerprint = (await reload('file change')) ? undefined : now;
  };
  const timer = opts.intervalMs > 0 ? setInterval(() => void poll().catch(() => undefined), opts.intervalMs) : undefined;
  timer?.unref();
  return {
    current: () => current,
    reload,
    stop: () => clearInterval(timer),
  };
}

/** What changes when a file in `dir` is written, replaced, removed, or has its mode or owner changed; cheap enough to poll. Dotfiles (temp files) are left out. */
export async function dirFingerprint(dir: string, watchContent: readonly string[]): Promise<string> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => !n.startsWith('.')).sort();
  } catch (err) {
    return `unreadable:${errnoCode(err) ?? 'error'}`;
  }
  const parts = await Promise.all(
    names.map(async (name) => {
      const info = await stat(join(dir, name)).catch(() => undefined);
      // ctime too: a chmod or chown that fixes an unreadable file changes nothing else.
      return info ? `${name}:${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}` : `${name}:gone`;
    }),
  );
  const contents = await Promise.all(watchContent.map(async (name) => `${name}=${(await readFile(join(dir, name), 'utf8').catch(() => '')).trim()}`));
  return [...parts, ...contents].join('|');
}
