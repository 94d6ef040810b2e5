import { join } from 'node:path';
import type { Config } from '../config/load.js';
import { errnoCode } from '../signing-keys/errors.js';
import { ensurePrivateDir, writePrivateFile } from '../signing-keys/private-file.js';
import { CLIENT_NAME_RULE, clientFileName, isClientName } from '../service-clients/names.js';
import { canonicalKeyText, keyFingerprint, parseClientPublicKey } from '../service-clients/public-key.js';
import { parseCommand } from './args.js';
import { existingClientFiles, readClientKeyFile, removeIfPresent } from './client-files.js';
import { EXIT, failure, note, usageError, type CliIo } from './io.js';
import { cliConfig, whenSignersReload } from './load-keys.js';

const NAME = 'client add';

/**
 * `tokengate client add NAME FILE [--force]`: checks a client's public key and writes it into
 * CLIENTS_DIR (mode 0600) in its canonical form; prints the file written.
 */
export async function clientAdd(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(NAME, io, { args, options: { force: { type: 'boolean' } }, strict: true, allowPositionals: true }, 2);
  if (!parsed) return EXIT.usage;
  const [name, file] = parsed.positionals;
  if (name === undefined || file === undefined) return usageError(io, NAME, 'give the client name and its public key file: tokengate client add NAME FILE');
  if (!isClientName(name)) return usageError(io, NAME, `${CLIENT_NAME_RULE} (got ${JSON.stringify(name.slice(0, 80))})`);
  const config = cliConfig(io);
  if (!config) return EXIT.failed;
  const input = await readClientKeyFile(io, NAME, file);
  if (!input) return EXIT.failed;
  const key = parseClientPublicKey(input.text);
  if (!key.ok) return failure(io, NAME, `${file} ${key.reason}`);

  const dir = config.CLIENTS_DIR;
  const existing = await existingClientFiles(dir, name);
  if (existing.length > 0 && !parsed.values.force)
    return failure(io, NAME, `client ${name} is already registered (${existing[0]!.path}); --force replaces its key`);
  const path = join(dir, clientFileName(name, key.value.format));
  try {
    await ensurePrivateDir(dir);
    await writePrivateFile(path, canonicalKeyText(key.value), parsed.values.force ? 'replace' : 'create');
    // A key in the other format would make the name registered twice: the signers would refuse the directory.
    for (const other of existing) if (other.path !== path) await removeIfPresent(other.path);
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') return failure(io, NAME, `client ${name} was registered meanwhile (${path}); --force replaces its key`);
    throw err;
  }
  io.out.write(`${path}\n`);
  explain(io, config, name, key.value.alg, keyFingerprint(key.value.key), path, existing.length > 0);
  return EXIT.ok;
}

function explain(io: CliIo, config: Config, name: string, alg: string, fingerprint: string, path: string, replaced: boolean): void {
  note(io, NAME, `${replaced ? 'replaced the key of' : 'registered'} client ${name}: ${alg}, key ${fingerprint}, in ${path} (mode 0600)`);
  note(io, NAME, `signers accept its tokens ${whenSignersReload(config)}; it signs them with: tokengate client sign --key PRIVATE_KEY --name ${name}`);
}
