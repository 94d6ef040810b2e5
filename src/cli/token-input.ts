import { usageError, type CliIo } from './io.js';

/** More than this on stdin is not a token; reading stops rather than filling memory. */
const MAX_STDIN_BYTES = 64 * 1024;

/** A token as pasted: surrounding space and a `Bearer ` prefix (copied from a header) are dropped. */
export function cleanToken(text: string): string {
  return text.trim().replace(/^Bearer\s+/i, '');
}

/**
 * The token argument of a command, or its standard input for `-` (which keeps the token out of
 * shell history and `ps`); a missing or empty token is a usage error, returned as its exit status.
 */
export async function tokenArgument(name: string, io: CliIo, arg: string | undefined): Promise<{ ok: true; token: string } | { ok: false; status: number }> {
  if (arg === undefined) return { ok: false, status: usageError(io, name, `give the token, or - to read it from stdin (usage: tokengate ${name} <token>|-)`) };
  const text = arg === '-' ? await readStdin(io) : arg;
  if (text === undefined) return { ok: false, status: usageError(io, name, `more than ${MAX_STDIN_BYTES} bytes on stdin: that is not a token`) };
  const token = cleanToken(text);
  if (token === '') return { ok: false, status: usageError(io, name, arg === '-' ? 'no token on stdin' : 'the token is empty') };
  return { ok: true, token };
}

async function readStdin(io: CliIo): Promise<string | undefined> {
  if (!io.in) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of io.in) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk);
    size += buf.length;
    if (size > MAX_STDIN_BYTES) return undefined;
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}
