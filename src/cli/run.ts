import { parseArgs } from 'node:util';
import { checkConfig } from './check-config.js';
import { decode } from './decode.js';

/** Where a command writes, and what it reads; tests pass their own. */
export interface CliIo {
  env: Record<string, string | undefined>;
  out: { write(text: string): unknown };
  err: { write(text: string): unknown };
}

/** Exit codes: 0 done, 1 the check or the token failed, 2 the command line is wrong. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

interface Command {
  usage: string;
  summary: string;
  run(args: string[], io: CliIo): Promise<number> | number;
}

const COMMANDS: Record<string, Command> = {
  'check-config': {
    usage: 'tokengate check-config',
    summary: 'load and validate the configuration (environment variables) and say what is wrong, without starting',
    run: (args, io) => (takesNoArguments('check-config', args, io) ? checkConfig(io) : EXIT.usage),
  },
  decode: {
    usage: 'tokengate decode <token>',
    summary: 'print the header and claims of a token WITHOUT verifying it',
    run: (args, io) => decode(args, io),
  },
};

function help(): string {
  const width = Math.max(...Object.values(COMMANDS).map((c) => c.usage.length));
  return [
    'usage: tokengate <command> [arguments]',
    '',
    'commands:',
    ...Object.values(COMMANDS).map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`),
    '',
    'Configuration comes from the environment, as for the signer (see the README).',
    'Exit status: 0 done, 1 the check or the token failed, 2 a wrong command line.',
    '',
  ].join('\n');
}

/** Runs one command line; never throws for bad input, and returns the exit status. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.err : io.out).write(help());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.err.write(`tokengate: unknown command ${JSON.stringify(name.slice(0, 64))}\n\n${help()}`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out.write(`usage: ${command.usage}\n\n${command.summary}\n`);
    return EXIT.ok;
  }
  return command.run(rest, io);
}

/** True when `args` is empty; otherwise says so and the caller exits 2. */
function takesNoArguments(name: string, args: string[], io: CliIo): boolean {
  try {
    parseArgs({ args, options: {}, strict: true, allowPositionals: false });
    return true;
  } catch (err) {
    io.err.write(`tokengate ${name}: ${(err as Error).message}\n`);
    return false;
  }
}
