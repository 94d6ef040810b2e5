import type { RequestListener, Server } from 'node:http';
import type { Config, ConfigWarning } from '../config/load.js';
import { loadConfigWithWarningsOrExit } from '../config/load.js';
import { logConfigWarnings } from '../config/log-warnings.js';
import type { AppDeps } from '../core.js';
import { createLogger, type Logger } from '../log/logger.js';
import { createMetrics } from '../metrics/metrics.js';
import { prepareDeps } from '../startup.js';
import { prepareOnce } from './cluster-prepare.js';
import { runPrimary } from './cluster-primary.js';
import { clusterWorkerId, shutdownOnSignals } from './cluster-worker.js';
import { shareMetrics, withClusterMetrics } from './cluster-worker-metrics.js';
import { releaseSighup } from './hold-sighup.js';
import { bindErrorText, closeOnSignals, exitOnSignalsWhileStarting, listen } from './listen.js';

/** A listener an entry serves beside its main one, over the same parts (the embedded front's private admin API). */
export interface SideListener {
  /** What the log line calls it once it listens ("admin API listening"). */
  name: string;
  handler: RequestListener;
  host: string;
  port: number;
}

export interface Entry {
  /** What the log line calls it once it listens ("signer listening"). */
  name: string;
  /** The app, or the app and the side listeners built over the same parts. */
  build(config: Config, deps: AppDeps): RequestListener | { handler: RequestListener; side: SideListener[] };
  address(config: Config): { host: string; port: number };
  /** More fields for the "listening" log line. */
  describe?(config: Config): Record<string, unknown>;
  /** The app's metrics path (the signer's `/metrics`), which a cluster worker answers for every worker; none for the embedded front. */
  metricsPath?: string;
}

/**
 * Runs an entry point (the signer, the embedded front): configuration, secret, keys and store,
 * then listening; SIGHUP reloads the key ring, the clients and the policy, SIGTERM and SIGINT shut down gracefully.
 * With SIGNER_WORKERS above 1, this process becomes the cluster primary and each worker runs the same.
 */
export async function serve(entry: Entry): Promise<void> {
  const { config, warnings } = loadConfigWithWarningsOrExit();
  const worker = clusterWorkerId();
  if (worker === undefined && config.SIGNER_WORKERS > 1) return startPrimary(entry, config, warnings);
  const starting = exitOnSignalsWhileStarting();
  const base = createLogger(config.LOG_LEVEL);
  const logger = worker === undefined ? base : base.child({ worker });
  // Once per start: a worker has the same environment as its primary, which has logged them.
  if (worker === undefined) logConfigWarnings(logger, warnings);
  // A worker counts in metrics of its own making, so it can hand them to the primary to add up.
  const metrics = worker !== undefined && entry.metricsPath !== undefined ? createMetrics() : undefined;
  const deps = await prepareDeps(config, logger);
  const { host, port } = entry.address(config);
  const built = entry.build(config, metrics ? { ...deps, metrics } : deps);
  let handler = typeof built === 'function' ? built : built.handler;
  if (metrics && entry.metricsPath !== undefined) {
    shareMetrics(metrics);
    handler = withClusterMetrics(handler, entry.metricsPath, logger);
  }
  // Before the main address, so whoever waits for that one to answer finds the side ones up too.
  const side = await listenSide(typeof built === 'function' ? [] : built.side, logger);
  const server = await listen(handler, host, port).catch((err: unknown) => {
    logger.fatal(bindErrorText(err, host, port));
    process.exit(1);
  });
  logger.info({ host, port, ...entry.describe?.(config) }, `${entry.name} listening`);
  starting();
  // As `nginx -s reload` does for its config; a ring that fails to load is logged and the old one kept.
  releaseSighup(() => {
    void deps.keyReloader.reload('SIGHUP');
    void deps.clientReloader.reload('SIGHUP');
    void deps.policyReloader?.reload('SIGHUP');
  });
  const shutdown = closeOnSignals([server, ...side], logger, {
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    onClosed: () => {
      deps.keyReloader.stop();
      deps.clientReloader.stop();
      deps.policyReloader?.stop();
      return deps.store?.close() ?? Promise.resolve();
    },
    signals: worker === undefined,
  });
  if (worker !== undefined) shutdownOnSignals(shutdown);
}

/**
 * Listens on each side address; one that cannot bind is logged and left out (it is never the
 * main service: the embedded front runs on, without its admin API, when SIGNER_PORT is taken).
 */
async function listenSide(side: SideListener[], logger: Logger): Promise<Server[]> {
  const servers: Server[] = [];
  for (const s of side) {
    try {
      servers.push(await listen(s.handler, s.host, s.port));
      logger.info({ host: s.host, port: s.port }, `${s.name} listening`);
    } catch (err) {
      logger.error(`${s.name}: ${bindErrorText(err, s.host, s.port)}; running without it`);
    }
  }
  return servers;
}

/** The cluster primary: the start work that must not race, then the workers (see `runPrimary`). */
async function startPrimary(entry: Entry, config: Config, warnings: ConfigWarning[]): Promise<void> {
  const starting = exitOnSignalsWhileStarting();
  const logger = createLogger(config.LOG_LEVEL).child({ role: 'primary' });
  logConfigWarnings(logger, warnings);
  await prepareOnce(config, logger);
  starting();
  runPrimary({ config, workers: config.SIGNER_WORKERS, logger, name: entry.name, metrics: entry.metricsPath !== undefined });
}
