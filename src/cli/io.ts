import { EXIT } from '../exit.js';

/** Exit codes (`src/exit.ts`): 0 done, 1 the check, the key ring or the token failed, 2 the command line is wrong. */
export { EXIT };

/** Where a command writes, and what it reads; tests pass their own. */
export interface CliIo {
  env: Record<string, string | undefined>;
  out: { write(text: string): unknown };
  err: { write(text: string): unknown };
  /** Standard input, for `verify -`; absent when a caller has none to give. */
  in?: AsyncIterable<string | Uint8Array>;
}

/** One subcommand: its usage line, one-line summary, option help for `--help`, and what it runs. */
export interface Command {
  usage: string;
  summary: string;
  /** Lines shown under the summary by `tokengate <command> --help`. */
  details?: readonly string[];
  run(args: string[], io: CliIo): Promise<number> | number;
}

/** Writes an explanation line, `tokengate <command>: message`, on stderr: stdout stays machine-usable. */
export function note(io: CliIo, name: string, message: string): void {
  io.err.write(`tokengate ${name}: ${message}\n`);
}

/** Says what is wrong with the command line and returns exit status 2. */
export function usageError(io: CliIo, name: string, message: string): number {
  note(io, name, message);
  return EXIT.usage;
}

/** Says what failed and returns exit status 1. */
export function failure(io: CliIo, name: string, message: string): number {
  note(io, name, message);
  return EXIT.failed;
}
