import { errnoCode } from '../signing-keys/errors.js';
import { parseCommand } from './args.js';
import { checkConfig } from './check-config.js';
import { clientCommand } from './client.js';
import { decodeCommand } from './decode.js';
import { EXIT, type CliIo, type Command } from './io.js';
import { keygenCommand } from './keygen.js';
import { keysCommand } from './keys.js';
import { mintCommand } from './mint.js';
import { nginxClaimsCommand } from './nginx-claims.js';
import { retireCommand } from './retire.js';
import { rotateCommand } from './rotate.js';
import { sessionsCommand } from './sessions.js';
import { verifyCommand } from './verify.js';

export { EXIT, type CliIo } from './io.js';

/** Every command by name, in the order `tokengate --help` lists them (the CLI reference too: `npm run docs`). */
export const COMMANDS: Readonly<Record<string, Command>> = {
  'check-config': {
    usage: 'tokengate check-config',
    summary: 'validate the configuration (environment) and the key ring, and say what is wrong, without starting',
    run: (args, io) => (parseCommand('check-config', io, { args, options: {}, strict: true, allowPositionals: false }) ? checkConfig(io) : EXIT.usage),
  },
  keys: keysCommand,
  keygen: keygenCommand,
  rotate: rotateCommand,
  retire: retireCommand,
  mint: mintCommand,
  verify: verifyCommand,
  decode: decodeCommand,
  client: clientCommand,
  'nginx-claims': nginxClaimsCommand,
  sessions: sessionsCommand,
};

/** What `tokengate --help` prints: every command's usage and summary, and the exit statuses. */
export function cliHelp(): string {
  return [
    'usage: tokengate <command> [arguments]',
    '',
    'commands:',
    ...Object.values(COMMANDS).map((c) => `  ${c.usage}\n      ${c.summary}`),
    '',
    'Configuration comes from the environment, as for the signer (docs/reference/configuration.md).',
    'tokengate <command> --help says more about a command.',
    'Exit status: 0 done, 1 the check, the key ring or the token failed, 2 a wrong command line.',
    '',
  ].join('\n');
}

/** What `tokengate <command> --help` prints (the docs quote it: `npm run docs`). */
export function commandHelp(command: Command): string {
  return `usage: ${command.usage}\n\n${command.summary}\n${command.details ? `\n${command.details.join('\n')}\n` : ''}`;
}

/** Runs one command line; never throws for bad input, and returns the exit status. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.err : io.out).write(cliHelp());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.err.write(`tokengate: unknown command ${JSON.stringify(name.slice(0, 64))}\n\n${cliHelp()}`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out.write(commandHelp(command));
    return EXIT.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    // A system call's failure (EACCES, ENOSPC...) names its path; nothing else is echoed, as it could quote a key.
    const system = err instanceof Error && 'syscall' in err && errnoCode(err) !== undefined;
    io.err.write(`tokengate ${name}: failed: ${system ? err.message : 'unexpected error'}\n`);
    return EXIT.failed;
  }
}
