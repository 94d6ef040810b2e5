import { decodeJwt, decodeProtectedHeader } from 'jose';
import { MAX_TOKEN_LENGTH } from '../tokens/limits.js';
import { parseCommand } from './args.js';
import { EXIT, failure, note, type CliIo, type Command } from './io.js';
import { tokenArgument } from './token-input.js';

const NAME = 'decode';

/** `tokengate decode`: the header and claims as JSON, with a warning that nothing was verified. */
export const decodeCommand: Command = {
  usage: 'tokengate decode <token>|-',
  summary: 'print the header and claims of a token WITHOUT verifying it (tokengate verify does)',
  details: ['-   read the token from stdin', 'A "Bearer " prefix is fine.'],
  run: decode,
};

async function decode(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(NAME, io, { args, options: {}, strict: true, allowPositionals: true }, 1);
  if (!parsed) return EXIT.usage;
  const input = await tokenArgument(NAME, io, parsed.positionals[0]);
  if (!input.ok) return input.status;
  const token = input.token;
  if (token.length > MAX_TOKEN_LENGTH) return failure(io, NAME, `the token is longer than ${MAX_TOKEN_LENGTH} characters, which tokengate never accepts`);
  try {
    const header = decodeProtectedHeader(token);
    const claims = decodeJwt(token);
    io.out.write(`${JSON.stringify({ header, claims }, null, 2)}\n`);
    note(io, NAME, 'NOT verified: anyone can write a token that decodes');
    return EXIT.ok;
  } catch (err) {
    return failure(io, NAME, `not a JWT: ${(err as Error).message}`);
  }
}
