import { parseArgs } from 'node:util';

/** What one `npm run bench` measures, and for how long. */
export interface BenchOptions {
  /** Seconds per measured run. */
  duration: number;
  rounds: number;
  connections: number;
  /** Seconds of unrecorded load per setup before the first round. */
  warmup: number;
  /** The protected path every setup is asked for. */
  path: string;
}

const USAGE = `usage: npm run bench -- [--duration S] [--rounds N] [--connections N] [--warmup S] [--path P]
  --duration     seconds per measured run (default 8)
  --rounds       interleaved rounds, median reported (default 3, at least 1)
  --connections  concurrent keepalive connections (default 50)
  --warmup       seconds of unrecorded load per setup first (default 2)
  --path         protected path to request (default /api/whoami)`;

/** Parses the command line; prints usage and exits 2 on anything it does not understand. */
export function parseOptions(argv: string[]): BenchOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        duration: { type: 'string', default: '8' },
        rounds: { type: 'string', default: '3' },
        connections: { type: 'string', default: '50' },
        warmup: { type: 'string', default: '2' },
        path: { type: 'string', default: '/api/whoami' },
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
  if (!values.path.startsWith('/')) return usage('--path must start with /');
  return {
    duration: int('duration', values.duration, 1, 600),
    rounds: int('rounds', values.rounds, 1, 50),
    connections: int('connections', values.connections, 1, 1000),
    warmup: int('warmup', values.warmup, 0, 60),
    path: values.path,
  };
}

function usage(problem: string): never {
  process.stderr.write(`bench: ${problem}\n${USAGE}\n`);
  process.exit(2);
}
