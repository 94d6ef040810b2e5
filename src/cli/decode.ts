import { decodeJwt, decodeProtectedHeader } from 'jose';
import { MAX_TOKEN_LENGTH } from '../tokens/limits.js';
import { EXIT, type CliIo } from './run.js';

/** `tokengate decode <token>`: the header and claims as JSON, with a warning that nothing was verified. */
export function decode(args: string[], io: CliIo): number {
  if (args.length !== 1 || args[0]!.startsWith('-')) {
    io.err.write(`tokengate decode: give exactly one token (usage: tokengate decode <token>)\n`);
    return EXIT.usage;
  }
  const token = args[0]!.trim().replace(/^Bearer\s+/i, '');
  if (token.length > MAX_TOKEN_LENGTH) {
    io.err.write(`tokengate decode: the token is longer than ${MAX_TOKEN_LENGTH} characters, which tokengate never accepts\n`);
    return EXIT.failed;
  }
  try {
    const header = decodeProtectedHeader(token);
    const claims = decodeJwt(token);
    io.out.write(`${JSON.stringify({ header, claims }, null, 2)}\n`);
    io.err.write('tokengate decode: NOT verified: anyone can write a token that decodes\n');
    return EXIT.ok;
  } catch (err) {
    io.err.write(`tokengate decode: not a JWT: ${(err as Error).message}\n`);
    return EXIT.failed;
  }
}
