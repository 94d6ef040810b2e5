import cluster from 'node:cluster';

/**
 * Set in the environment of the workers our primary forks. `cluster.isWorker` alone would also
 * hold under another process manager's cluster mode (pm2), whose primary speaks none of this.
 */
export const WORKER_ENV = 'TOKENGATE_CLUSTER_WORKER';

/** The worker's id (1, 2, ...; a replacement gets the next one) when this process is a worker of ours; undefined otherwise. */
export function clusterWorkerId(): number | undefined {
  return cluster.isWorker && process.env[WORKER_ENV] === '1' ? cluster.worker?.id : undefined;
}

/**
 * A worker's SIGTERM and SIGINT: each starts the graceful shutdown, which runs once however many
 * arrive. A worker gets them twice as a rule (the primary forwards them, and a signal to the
 * process group, as the stack runner sends, reaches it directly too); Node's default for the
 * second would kill it mid-shutdown. The primary going away needs nothing here: Node's cluster
 * ends a worker at once when its channel to the primary closes.
 */
export function shutdownOnSignals(shutdown: (signal: NodeJS.Signals) => unknown): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void shutdown(signal));
}
