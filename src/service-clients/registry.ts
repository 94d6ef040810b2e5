import type { KeyObject } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode, type KeyProblem } from '../signing-keys/errors.js';
import { readSmallFile } from '../signing-keys/small-file.js';
import { MAX_KEY_FILE_BYTES } from '../signing-keys/key-file.js';
import type { ClientAlg } from './key-type.js';
import { CLIENT_NAME_RULE, isClientName, parseClientFileName } from './names.js';
import { parseClientPublicKey } from './public-key.js';

/** A registered client: its name, its public key and the one algorithm that key verifies. */
export interface RegisteredClient {
  readonly name: string;
  readonly alg: ClientAlg;
  readonly key: KeyObject;
  /** The file it was read from, relative to CLIENTS_DIR. */
  readonly file: string;
}

/** Every client in CLIENTS_DIR at the last load, by name. */
export interface ClientRegistry {
  readonly clients: ReadonlyMap<string, RegisteredClient>;
}

/** The registry of the moment (reloaded on SIGHUP and on change). */
export type ClientsSource = () => ClientRegistry;

export const EMPTY_REGISTRY: ClientRegistry = Object.freeze({ clients: new Map<string, RegisteredClient>() });

/** CLIENTS_DIR cannot be used as it is; `problems` lists every reason found, file by file. */
export class ClientsError extends Error {
  override name = 'ClientsError';
  readonly problems: readonly KeyProblem[];

  constructor(problems: readonly KeyProblem[]) {
    super(problems.map((p) => `${p.file}: ${p.reason}`).join('; '));
    this.problems = Object.freeze([...problems]);
  }
}

export interface LoadedClients {
  registry: ClientRegistry;
  /** Problems that do not stop the load: files others may change, files that are not client keys. */
  warnings: KeyProblem[];
}

/**
 * Reads every `<name>.pem` and `<name>.jwk.json` in `dir`. A missing directory is no client at
 * all; any problem (a bad key, a private key, a bad name, one client twice) throws ClientsError
 * listing all of them, so a half-edited directory is never half used.
 */
export async function loadClients(dir: string): Promise<LoadedClients> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => !n.startsWith('.')).sort();
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { registry: EMPTY_REGISTRY, warnings: [] };
    throw new ClientsError([{ file: dir, reason: `cannot be read (${errnoCode(err) ?? 'error'})` }]);
  }
  const problems: KeyProblem[] = [];
  const warnings: KeyProblem[] = [];
  const clients = new Map<string, RegisteredClient>();
  for (const file of names) {
    const parsed = parseClientFileName(file);
    if (!parsed) {
      warnings.push({ file, reason: 'ignored: not <name>.pem or <name>.jwk.json' });
      continue;
    }
    if (!isClientName(parsed.name)) {
      problems.push({ file, reason: `the file name is not <name>.pem or <name>.jwk.json: ${CLIENT_NAME_RULE}` });
      continue;
    }
    const other = clients.get(parsed.name);
    if (other) {
      problems.push({ file, reason: `client ${parsed.name} also has ${other.file}; keep one key file per client` });
      continue;
    }
    const read = await readClientFile(join(dir, file));
    if (read === 'gone') continue; // listed a moment ago, removed since (tokengate client remove)
    if (!read.ok) {
      problems.push({ file, reason: read.reason });
      continue;
    }
    if (read.format !== parsed.format) {
      problems.push({ file, reason: `holds a ${read.format === 'pem' ? 'PEM key' : 'JWK'}, not what the file name says` });
      continue;
    }
    if (read.mode & 0o022) warnings.push({ file, reason: `mode ${read.mode.toString(8).padStart(4, '0')} lets other users replace the key; use 0600 or 0644` });
    clients.set(parsed.name, { name: parsed.name, alg: read.alg, key: read.key, file });
  }
  if (problems.length > 0) throw new ClientsError(problems);
  return { registry: { clients }, warnings };
}

type ReadResult = { ok: true; alg: ClientAlg; key: KeyObject; format: 'pem' | 'jwk'; mode: number } | { ok: false; reason: string } | 'gone';

/** One client file, symlinks followed (as Kubernetes mounts secrets), size-capped. */
async function readClientFile(path: string): Promise<ReadResult> {
  const file = await readSmallFile(path, MAX_KEY_FILE_BYTES);
  if (!file.ok) return file.missing ? 'gone' : file;
  const { text, mode } = file;
  const parsed = parseClientPublicKey(text);
  return parsed.ok ? { ok: true, ...parsed.value, mode } : parsed;
}
