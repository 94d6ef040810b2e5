import { parseArgs } from 'node:util';
import type { GeneratorChoice } from './load/generator.js';
import { EXIT } from '../src/exit.js';

/** The parts of a run, each selectable with --only. */
export const PHASES = ['throughput', 'first-sight', 'mix', 'memory', 'logins'] as const;
export type Phase = (typeof PHASES)[number];

export type AppChoice = 'fast' | 'demo' | 'both';

/** What one `npm run bench` measures, and for how long. */
export interface BenchOptions {
  phases: readonly Phase[];
  /** The tables: the app behind every setup (fast: nginx answering a fixed body; demo: the Express demo app). */
  app: AppChoice;
  generator: GeneratorChoice;
  /** Seconds per measured run of the throughput table. */
  duration: number;
  /** Seconds per measured run of the first-sight part (every request a token never sent before). */
  firstDuration: number;
  /** Seconds per measured run of the token mix. */
  mixDuration: number;
  rounds: number;
  /** Concurrent connections; undefined: each table's own (64 fast, 50 demo). */
  connections: number | undefined;
  /** Seconds of unrecorded load per setup before the first round. */
  warmup: number;
  /** The protected path every setup is asked for. */
  path: string;
  /** Distinct valid tokens (one user each) in the token mix. */
  mixUsers: number;
  /** Distinct valid tokens sent over and over in the memory run. */
  memoryTokens: number;
  /** Seconds of the memory run after its warm-up, and of the warm-up. */
  memoryDuration: number;
  memoryWarmup: number;
  /** Seconds of each login run (through nginx, then straight to the signer). */
  loginDuration: number;
  loginConnections: number;
  /** Write a CPU profile of the (b) signer (slows it down: numbers of such a run are not comparable). */
  cpuProf: boolean;
}

const USAGE = `usage: npm run bench -- [options]
  --app A               the app behind the setups: fast (nginx answering a fixed body, the headline),
                        demo (the Express demo app) or both, one table each (default both)
  --only LIST           parts to run, comma-separated: ${PHASES.join(',')} (default: all)
  --generator G         auto (wrk when installed, else autocannon), wrk or autocannon (default auto)
  --duration S          seconds per measured run of the throughput table (default 5)
  --first-duration S    seconds per measured run of the first-sight table (default 3)
  --mix-duration S      seconds per measured run of the token mix (default 5)
  --rounds N            interleaved rounds, median reported (default 3, at least 1)
  --connections N       concurrent keepalive connections (default 64 for the fast table, with one
                        wrk thread; 50 for the demo table, with a wrk thread per core)
  --warmup S            seconds of unrecorded load per setup first (default 2)
  --path P              protected path to request (default /api/whoami)
  --mix-users N         distinct valid tokens in the token mix (default 10000; +5% expired, +5% invalid)
  --memory-tokens N     distinct valid tokens of the memory run (default 100000)
  --memory-duration S   measured seconds of the memory run (default 120), after
  --memory-warmup S     seconds of unrecorded load first (default 15)
  --login-duration S    seconds of each login run (default 10)
  --login-connections N concurrent connections of the login runs (default 4)
  --cpu-prof            write a CPU profile of each table's (b) signer into bench/results (slows it:
                        not for the table; --only first-sight profiles the uncached path)`;

/** Parses the command line; prints usage and exits 2 on anything it does not understand. */
export function parseOptions(argv: string[]): BenchOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        app: { type: 'string', default: 'both' },
        only: { type: 'string', default: PHASES.join(',') },
        generator: { type: 'string', default: 'auto' },
        duration: { type: 'string', default: '5' },
        'first-duration': { type: 'string', default: '3' },
        'mix-duration': { type: 'string', default: '5' },
        rounds: { type: 'string', default: '3' },
        connections: { type: 'string' },
        warmup: { type: 'string', default: '2' },
        path: { type: 'string', default: '/api/whoami' },
        'mix-users': { type: 'string', default: '10000' },
        'memory-tokens': { type: 'string', default: '100000' },
        'memory-duration': { type: 'string', default: '120' },
        'memory-warmup': { type: 'string', default: '15' },
        'login-duration': { type: 'string', default: '10' },
        'login-connections': { type: 'string', default: '4' },
        'cpu-prof': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    return usage((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const int = (name: string, v: string, min: number, max: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) return usage(`--${name} must be an integer from ${min} to ${max}`);
    return n;
  };
  const phases = values.only.split(',').map((p) => p.trim());
  const unknown = phases.filter((p) => !(PHASES as readonly string[]).includes(p));
  if (unknown.length > 0 || phases.length === 0) return usage(`--only takes ${PHASES.join(', ')}; not ${unknown.join(', ')}`);
  if (!['auto', 'wrk', 'autocannon'].includes(values.generator)) return usage('--generator must be auto, wrk or autocannon');
  if (!values.path.startsWith('/')) return usage('--path must start with /');
  if (!['fast', 'demo', 'both'].includes(values.app)) return usage('--app must be fast, demo or both');
  return {
    // In the order they run, whatever the order given.
    phases: PHASES.filter((p) => phases.includes(p)),
    app: values.app as AppChoice,
    generator: values.generator as GeneratorChoice,
    duration: int('duration', values.duration, 1, 600),
    firstDuration: int('first-duration', values['first-duration'], 1, 60),
    mixDuration: int('mix-duration', values['mix-duration'], 1, 600),
    rounds: int('rounds', values.rounds, 1, 50),
    connections: values.connections === undefined ? undefined : int('connections', values.connections, 1, 1000),
    warmup: int('warmup', values.warmup, 0, 60),
    path: values.path,
    mixUsers: int('mix-users', values['mix-users'], 1, 1_000_000),
    memoryTokens: int('memory-tokens', values['memory-tokens'], 1, 1_000_000),
    memoryDuration: int('memory-duration', values['memory-duration'], 10, 3600),
    memoryWarmup: int('memory-warmup', values['memory-warmup'], 0, 600),
    loginDuration: int('login-duration', values['login-duration'], 1, 600),
    loginConnections: int('login-connections', values['login-connections'], 1, 100),
    cpuProf: values['cpu-prof'],
  };
}

function usage(problem: string): never {
  process.stderr.write(`bench: ${problem}\n${USAGE}\n`);
  process.exit(EXIT.usage);
}
