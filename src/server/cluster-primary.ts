import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import { answerScrapes } from './cluster-primary-metrics.js';
import { createRestartPolicy, type RestartPolicyOptions } from './cluster-restarts.js';
import { WORKER_ENV } from './cluster-worker.js';
import { releaseSighup } from './hold-sighup.js';

/** How much longer than SHUTDOWN_TIMEOUT_MS the workers get to exit (closing the store, writing the last line) before they are killed. */
const SHUTDOWN_MARGIN_MS = 5_000;

export interface PrimaryOptions {
  config: Config;
  /** How many workers (SIGNER_WORKERS). */
  workers: number;
  logger: Logger;
  /** What the log lines call the workers' server ("signer"). */
  name: string;
  /** Whether the workers serve `GET /metrics`, which the primary then adds up. */
  metrics: boolean;
  restarts?: RestartPolicyOptions;
}

interface Running {
  worker: Worker;
  /** When it started listening; undefined until then. */
  listenedAt?: number;
  /** A SIGHUP that came before it listened, sent once it does (its keys may be older than the signal). */
  hupPending: boolean;
}

/**
 * The cluster primary: it serves nothing itself. It forks the workers, each of which runs the
 * normal signer on the shared address; forwards SIGHUP, SIGTERM and SIGINT to them; replaces a
 * worker that dies (see `createRestartPolicy`); answers the workers' metrics scrapes; and exits
 * once every worker has, with 0 after a requested shutdown.
 *
 * Until every first worker listens, any of them exiting ends the start with its exit code: a
 * configuration, policy or bind problem is the same for all of them (2 and 1, as one signer).
 */
export function runPrimary(opts: PrimaryOptions): void {
  const { logger, config } = opts;
  const running = new Map<number, Running>();
  const policy = createRestartPolicy(opts.restarts);
  const restartTimers = new Set<NodeJS.Timeout>();
  let started = false;
  let stopping = false;
  let exitCode = 0;

  const fork = () => {
    const worker = cluster.fork({ [WORKER_ENV]: '1' });
    running.set(worker.id, { worker, hupPending: false });
    worker.on('error', (err: Error) => logger.warn({ worker: worker.id, err: err.message }, 'cannot signal the worker'));
    logger.info({ worker: worker.id, pid: worker.process.pid }, 'worker started');
  };

  const stop = (signal: NodeJS.Signals, code: number) => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    for (const t of restartTimers) clearTimeout(t);
    logger.info({ signal, workers: running.size }, 'stopping every worker');
    for (const r of running.values()) r.worker.process.kill(signal);
    const deadline = config.SHUTDOWN_TIMEOUT_MS + SHUTDOWN_MARGIN_MS;
    setTimeout(() => {
      logger.error({ workers: [...running.keys()], afterMs: deadline }, 'workers still running after the shutdown timeout: killing them');
      exitCode = 1;
      for (const r of running.values()) r.worker.process.kill('SIGKILL');
    }, deadline).unref();
    if (running.size === 0) process.exit(exitCode);
  };

  cluster.on('listening', (worker: Worker) => {
    const r = running.get(worker.id);
    if (!r) return;
    r.listenedAt = Date.now();
    if (r.hupPending) {
      r.hupPending = false;
      worker.process.kill('SIGHUP');
    }
    if (!started && [...running.values()].every((w) => w.listenedAt !== undefined)) {
      started = true;
      logger.info({ workers: running.size }, `${opts.name} workers listening`);
    }
  });

  cluster.on('exit', (worker: Worker, code: number | null, signal: NodeJS.Signals | null) => {
    const r = running.get(worker.id);
    running.delete(worker.id);
    if (stopping) {
      if (running.size === 0) {
        logger.info({ exitCode }, 'every worker has exited');
        process.exit(exitCode);
      }
      return;
    }
    logger.error({ worker: worker.id, pid: worker.process.pid, code, signal }, 'worker exited unexpectedly');
    if (!started) {
      logger.fatal({ worker: worker.id }, `a worker exited before every worker was listening: stopping`);
      return stop('SIGTERM', code || 1);
    }
    const decision = policy.onExit(r?.listenedAt);
    if (!decision.restart) {
      logger.fatal({ reason: decision.reason }, 'workers keep dying soon after they start: giving up');
      return stop('SIGTERM', 1);
    }
    const timer = setTimeout(() => {
      restartTimers.delete(timer);
      if (!stopping) fork();
    }, decision.delayMs);
    restartTimers.add(timer);
  });

  if (opts.metrics) answerScrapes({ workers: () => [...running.values()].filter((r) => r.listenedAt !== undefined).map((r) => r.worker), logger });

  logger.info({ workers: opts.workers }, `starting ${opts.workers} ${opts.name} workers`);
  for (let i = 0; i < opts.workers; i++) fork();

  releaseSighup(() => {
    logger.info({ workers: running.size }, 'SIGHUP: every worker reloads');
    for (const r of running.values()) {
      if (r.listenedAt === undefined) r.hupPending = true;
      else r.worker.process.kill('SIGHUP');
    }
  });
  process.on('SIGTERM', () => stop('SIGTERM', 0));
  process.on('SIGINT', () => stop('SIGINT', 0));
  // Started with an IPC channel (by the stack runner): when the runner dies, everything ends at
  // once, as one signer does (see `closeOnSignals`). SIGKILL: a worker stuck writing to the dead
  // runner's pipe would never see its own channel close.
  const endNow = () => {
    for (const r of running.values()) r.worker.process.kill('SIGKILL');
    process.exit(0);
  };
  if (process.connected) process.once('disconnect', endNow);
  // `send` stays defined once the channel is gone: the runner died while this primary was starting.
  else if (typeof process.send === 'function') endNow();
}
