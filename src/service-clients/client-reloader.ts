import type { Logger } from '../log/logger.js';
import { errnoCode } from '../signing-keys/errors.js';
import { startDirReloader } from '../files/dir-reloader.js';
import { keyFingerprint } from './public-key.js';
import { ClientsError, loadClients, type ClientRegistry, type ClientsSource } from './registry.js';

export interface ClientReloaderOptions {
  /** CLIENTS_DIR. */
  dir: string;
  logger: Logger;
  /** KEYS_CHECK_INTERVAL_S in ms; 0 only reloads when asked (SIGHUP). */
  intervalMs: number;
}

export interface ClientReloader {
  /** The clients of the moment, for the client-token verifier. */
  clients: ClientsSource;
  /** Loads CLIENTS_DIR now (SIGHUP); true when the new clients are in use, false when the previous ones were kept. */
  reload(reason: string): Promise<boolean>;
  stop(): void;
}

/**
 * Loads CLIENTS_DIR (a problem throws ClientsError: the signer refuses to start) and keeps it in
 * step, as the key ring (`startDirReloader`): a directory that fails to load later is logged,
 * file by file, and the clients loaded before stay in use.
 */
export async function startClients(opts: ClientReloaderOptions): Promise<ClientReloader> {
  const load = async (): Promise<ClientRegistry> => {
    const loaded = await loadClients(opts.dir);
    for (const w of loaded.warnings) opts.logger.warn({ dir: opts.dir, file: w.file }, `clients: ${w.reason}`);
    return loaded.registry;
  };
  const initial = await load();
  opts.logger.info({ dir: opts.dir, clients: describe(initial) }, initial.clients.size > 0 ? 'clients loaded' : 'no clients registered');
  const reloader = startDirReloader<ClientRegistry>({
    dir: opts.dir,
    initial,
    intervalMs: opts.intervalMs,
    load,
    onLoaded: (registry, previous, reason) => {
      const clients = describe(registry);
      const changed = JSON.stringify(clients) !== JSON.stringify(describe(previous));
      opts.logger[changed || reason === 'SIGHUP' ? 'info' : 'debug']({ reason, dir: opts.dir, clients, changed }, 'clients loaded');
    },
    onFailed: (err, reason) => {
      const why = err instanceof ClientsError ? { problems: err.problems } : { err: errnoCode(err) ?? String(err) };
      opts.logger.error({ reason, dir: opts.dir, ...why }, 'the clients did not load; the previous ones stay in use');
    },
  });
  return { clients: reloader.current, reload: reloader.reload, stop: reloader.stop };
}

/** Names, algorithms and key fingerprints, for the log (a replaced key shows as a change). */
const describe = (registry: ClientRegistry): string[] => [...registry.clients.values()].map((c) => `${c.name}:${c.alg}:${keyFingerprint(c.key)}`).sort();
