import { cpus } from 'node:os';
import type { BenchOptions } from './options.js';

/** Which app the protected setups proxy to: nginx answering a fixed body, or the Express demo app. */
export type TableKey = 'fast' | 'demo';

/** One table of a run: every setup in front of the same app, driven the same way. */
export interface Table {
  key: TableKey;
  /** "fast app" / "demo app", for headings. */
  name: string;
  /** What the app is, in one line of the output. */
  app: string;
  connections: number;
  /**
   * wrk threads when every request expects the same answer (a token mix with refusals runs one
   * thread per connection, so each answer belongs to its request).
   */
  threads: number;
  /** Its app echoes X-Tg-Seq, so a token mix can run on `threads` too (see LoadSpec.echo). */
  echo: boolean;
  /** A guess at the fastest caching setup's req/s, to size the first-sight tokens when the throughput part did not run. */
  rateGuess: number;
}

/** The headline first: the gateway's own cost, the app out of the way. */
export const TABLE_ORDER: readonly TableKey[] = ['fast', 'demo'];

/**
 * The tables `--app` asks for. The fast one runs as the issue measured it (`wrk -t1 -c64`); the
 * demo one as before (50 connections, a wrk thread per core).
 */
export function tablesOf(opts: Pick<BenchOptions, 'app' | 'connections'>): Table[] {
  const all: Record<TableKey, Table> = {
    fast: {
      key: 'fast',
      name: 'fast app',
      app: "a separate nginx answering a fixed JSON body to any path (access log off, keepalive): what is left is the gateway's own cost",
      connections: opts.connections ?? 64,
      threads: 1,
      echo: true,
      rateGuess: 30_000,
    },
    demo: {
      key: 'demo',
      name: 'demo app',
      app: 'the Express demo app (upstream-example), one Node process answering /api/whoami with the identity it got',
      connections: opts.connections ?? 50,
      threads: Math.max(1, cpus().length),
      echo: false,
      rateGuess: 8_000,
    },
  };
  return TABLE_ORDER.filter((k) => opts.app === 'both' || opts.app === k).map((k) => all[k]);
}
