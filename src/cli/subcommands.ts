import { usageError, type CliIo } from './io.js';

/** One subcommand of a `tokengate <command> <subcommand>` family. */
export type Subcommand = (args: string[], io: CliIo) => Promise<number>;

/** Runs `tokengate <command> <sub> ...` by its subcommand, or names the subcommands in a usage error (exit 2). */
export function runSubcommand(command: string, subcommands: Record<string, Subcommand>, args: string[], io: CliIo): Promise<number> | number {
  const [sub, ...rest] = args;
  const run = sub !== undefined && Object.hasOwn(subcommands, sub) ? subcommands[sub] : undefined;
  if (run) return run(rest, io);
  const names = Object.keys(subcommands);
  const choices = names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : (names[0] ?? '');
  const what = sub === undefined ? 'give a subcommand' : `unknown subcommand ${JSON.stringify(sub.slice(0, 32))}`;
  return usageError(io, command, `${what}: ${choices} (see tokengate ${command} --help)`);
}
