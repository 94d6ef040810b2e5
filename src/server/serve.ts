import type { RequestListener } from 'node:http';
import type { Config } from '../config/load.js';
import { loadConfigOrExit } from '../config/load.js';
import type { AppDeps } from '../core.js';
import { prepareDeps } from '../startup.js';
import { releaseSighup } from './hold-sighup.js';
import { bindErrorText, closeOnSignals, exitOnSignalsWhileStarting, listen } from './listen.js';

export interface Entry {
  /** What the log line calls it once it listens ("signer listening"). */
  name: string;
  build(config: Config, deps: AppDeps): RequestListener;
  address(config: Config): { host: string; port: number };
  /** More fields for the "listening" log line. */
  describe?(config: Config): Record<string, unknown>;
}

/**
 * Runs an entry point (the signer, the embedded front): configuration, secret, keys and store,
 * then listening; SIGHUP reloads the key ring, the clients and the policy, SIGTERM and SIGINT shut down gracefully.
 */
export async function serve(entry: Entry): Promise<void> {
  const config = loadConfigOrExit();
  const starting = exitOnSignalsWhileStarting();
  const deps = await prepareDeps(config);
  const { host, port } = entry.address(config);
  const server = await listen(entry.build(config, deps), host, port).catch((err: unknown) => {
    deps.logger.fatal(bindErrorText(err, host, port));
    process.exit(1);
  });
  deps.logger.info({ host, port, ...entry.describe?.(config) }, `${entry.name} listening`);
  starting();
  // As `nginx -s reload` does for its config; a ring that fails to load is logged and the old one kept.
  releaseSighup(() => {
    void deps.keyReloader.reload('SIGHUP');
    void deps.clientReloader.reload('SIGHUP');
    void deps.policyReloader?.reload('SIGHUP');
  });
  closeOnSignals([server], deps.logger, {
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    onClosed: () => {
      deps.keyReloader.stop();
      deps.clientReloader.stop();
      deps.policyReloader?.stop();
      return deps.store?.close() ?? Promise.resolve();
    },
  });
}
