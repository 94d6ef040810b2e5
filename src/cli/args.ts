import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isKeyAlg, KEY_ALGS, KID_PATTERN, type KeyAlg } from '../signing-keys/algorithms.js';
import { usageError, type CliIo } from './io.js';

/** What parseArgs returns for a given config, with each option's type. */
export type Parsed<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<T>>;

/**
 * Parses a subcommand's arguments strictly (unknown options and missing values are errors) and
 * allows at most `maxPositionals` positionals; a wrong command line is reported and gives undefined.
 */
export function parseCommand<T extends ParseArgsConfig>(name: string, io: CliIo, config: T, maxPositionals = 0): Parsed<T> | undefined {
  let parsed: Parsed<T>;
  try {
    parsed = parseArgs(config);
  } catch (err) {
    // node's messages name the option at fault ("Unknown option '--x'"), never an option's value.
    usageError(io, name, (err as Error).message);
    return undefined;
  }
  const extra = parsed.positionals.slice(maxPositionals);
  if (extra.length > 0) {
    usageError(io, name, `unexpected argument ${JSON.stringify(extra[0]!.slice(0, 64))} (see tokengate ${name} --help)`);
    return undefined;
  }
  return parsed;
}

/** True when `value` is absent or a supported algorithm; otherwise says why (the caller exits 2). */
export function validAlg(name: string, io: CliIo, value: string | undefined): value is KeyAlg | undefined {
  if (value === undefined || isKeyAlg(value)) return true;
  usageError(io, name, `--alg must be one of ${KEY_ALGS.join(', ')} (got ${JSON.stringify(value.slice(0, 32))})`);
  return false;
}

/** True when `value` is absent or a well-formed kid; otherwise says why (the caller exits 2). */
export function validKid(name: string, io: CliIo, value: string | undefined): boolean {
  if (value === undefined || KID_PATTERN.test(value)) return true;
  usageError(io, name, `a kid is 1 to 64 letters, digits, "_" or "-" (got ${JSON.stringify(value.slice(0, 80))})`);
  return false;
}
