import { CLIENT_NAME_RULE, isClientName } from '../service-clients/names.js';
import { parseCommand } from './args.js';
import { existingClientFiles, removeIfPresent } from './client-files.js';
import { EXIT, failure, note, usageError, type CliIo } from './io.js';
import { cliConfig, whenSignersReload } from './load-keys.js';

const NAME = 'client remove';

/** `tokengate client remove NAME`: deletes the client's key file; signers refuse its tokens once they reload. */
export async function clientRemove(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(NAME, io, { args, options: {}, strict: true, allowPositionals: true }, 1);
  if (!parsed) return EXIT.usage;
  const [name] = parsed.positionals;
  if (name === undefined) return usageError(io, NAME, 'give the client name: tokengate client remove NAME');
  if (!isClientName(name)) return usageError(io, NAME, `${CLIENT_NAME_RULE} (got ${JSON.stringify(name.slice(0, 80))})`);
  const config = cliConfig(io);
  if (!config) return EXIT.failed;
  const files = await existingClientFiles(config.CLIENTS_DIR, name);
  if (files.length === 0) return failure(io, NAME, `no client ${name} in ${config.CLIENTS_DIR}`);
  for (const file of files) await removeIfPresent(file.path);
  note(io, NAME, `removed client ${name} (${files.map((f) => f.path).join(', ')}); signers refuse its tokens ${whenSignersReload(config)}`);
  return EXIT.ok;
}
