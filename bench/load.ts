import autocannon from 'autocannon';

/** One measured run against one setup. */
export interface RunResult {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers that are not 2xx, plus connection errors (timeouts included). */
  errors: number;
  total: number;
  /** The errors split: answers outside 2xx by status, and connection errors (timeouts included). */
  statuses: Record<string, number>;
  connectionErrors: number;
  /** CPU this process (the load generator) used during the run, in % of one core: near 100 means it, not the setup, was the limit. */
  generatorCpuPct: number;
}

/** An autocannon run in progress, so Ctrl-C can stop it. */
let current: autocannon.Instance | undefined;

/** Stops the load run in progress, if any. */
export function stopLoad(): void {
  current?.stop();
}

/** Drives `url` with keepalive connections for `duration` seconds and sums up what came back. */
export function runLoad(opts: { url: string; headers: Record<string, string>; connections: number; duration: number }): Promise<RunResult> {
  const cpuBefore = process.cpuUsage();
  return new Promise((resolve, reject) => {
    current = autocannon(
      { url: opts.url, headers: opts.headers, connections: opts.connections, duration: opts.duration, pipelining: 1, timeout: 10 },
      (err, r) => {
        current = undefined;
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        // autocannon counts every answer in `2xx`..`5xx`; non2xx is everything outside 2xx.
        const ok = r['2xx'];
        const cpu = process.cpuUsage(cpuBefore);
        resolve({
          requestsPerSec: ok / r.duration,
          p50Ms: r.latency.p50,
          p99Ms: r.latency.p99,
          errors: r.non2xx + r.errors,
          total: r.requests.total,
          statuses: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).filter(([code]) => !code.startsWith('2')).map(([code, v]) => [code, v.count ?? 0])),
          connectionErrors: r.errors,
          generatorCpuPct: ((cpu.user + cpu.system) / 1e6 / r.duration) * 100,
        });
      },
    );
  });
}
