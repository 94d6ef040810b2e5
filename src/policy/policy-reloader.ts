import { basename, dirname } from 'node:path';
import type { Logger } from '../log/logger.js';
import { startDirReloader } from '../files/dir-reloader.js';
import { loadPolicy, PolicyError, type LoadedPolicy } from './load-policy.js';
import type { Policy } from './policy.js';

/** What `startPolicyReloader` follows and starts from. */
export interface PolicyReloaderOptions {
  /** POLICY_FILE. */
  file: string;
  /** The policy the signer started with. */
  initial: LoadedPolicy;
  logger: Logger;
  /** How often to look for a change; 0 only reloads when asked (SIGHUP). */
  intervalMs: number;
}

/** The policy of the moment, and the controls SIGHUP and shutdown use. */
export interface PolicyReloader {
  /** The policy of the moment. */
  policy: () => Policy;
  /** Loads the file now (SIGHUP); true when the new policy is in use, false when the previous one was kept. */
  reload(reason: string): Promise<boolean>;
  stop(): void;
}

/**
 * Keeps the policy in step with POLICY_FILE: reloaded when its content changes (polled) or on
 * SIGHUP. A file that fails to load is logged with every problem, and the previous policy stays
 * in use: a half-written edit never opens a path or takes the signer down.
 */
export function startPolicyReloader(opts: PolicyReloaderOptions): PolicyReloader {
  const reloader = startDirReloader<LoadedPolicy>({
    // The directory's fingerprint with the file's own content: an edit in place, a rename over it, a removal.
    dir: dirname(opts.file),
    watchContent: [basename(opts.file)],
    initial: opts.initial,
    load: async () => {
      const result = await loadPolicy(opts.file);
      if (!result.ok) throw new PolicyError(result.problems);
      return result.loaded;
    },
    onLoaded: (loaded, previous, reason) => {
      const changed = loaded.digest !== previous.digest;
      const level = changed || reason === 'SIGHUP' ? 'info' : 'debug';
      opts.logger[level]({ reason, file: opts.file, rules: loaded.policy.rules.length, default: loaded.policy.default.kind, changed }, 'policy loaded');
    },
    onFailed: (err, reason) => {
      const problems = err instanceof PolicyError ? err.problems : [String(err)];
      opts.logger.error({ reason, file: opts.file, problems }, 'the policy did not load; the previous policy stays in use');
    },
    intervalMs: opts.intervalMs,
  });
  return { policy: () => reloader.current().policy, reload: reloader.reload, stop: reloader.stop };
}
