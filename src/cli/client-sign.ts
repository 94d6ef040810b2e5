import { isClientName, CLIENT_NAME_RULE } from '../service-clients/names.js';
import { parseClientPrivateKey } from '../service-clients/private-key.js';
import { signClientToken } from '../service-clients/sign-client-token.js';
import { parseCommand } from './args.js';
import { readClientKeyFile } from './client-files.js';
import { EXIT, failure, note, usageError, type CliIo } from './io.js';

const NAME = 'client sign';

/**
 * `tokengate client sign --key FILE --name NAME`: prints `JWT <token>`, a fresh header value (the
 * time now, a random nonce) for `curl -H "Authorization: $(tokengate client sign ...)"`. Reads no
 * configuration: it runs on the client's machine, which holds the private key and nothing else.
 */
export async function clientSign(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(NAME, io, { args, options: { key: { type: 'string' }, name: { type: 'string' } }, strict: true, allowPositionals: false });
  if (!parsed) return EXIT.usage;
  const { key: file, name } = parsed.values;
  if (file === undefined || name === undefined) return usageError(io, NAME, 'give the private key and the client name: --key FILE --name NAME');
  if (!isClientName(name)) return usageError(io, NAME, `${CLIENT_NAME_RULE} (got ${JSON.stringify(name.slice(0, 80))})`);
  const input = await readClientKeyFile(io, NAME, file);
  if (!input) return EXIT.failed;
  const key = parseClientPrivateKey(input.text);
  if (!key.ok) return failure(io, NAME, `${file} ${key.reason}`);
  if (input.mode & 0o077) note(io, NAME, `warning: ${file} has mode ${input.mode.toString(8).padStart(4, '0')}: others can read the private key; chmod 600 it`);
  io.out.write(`JWT ${await signClientToken({ key: key.key, alg: key.alg, name })}\n`);
  return EXIT.ok;
}
