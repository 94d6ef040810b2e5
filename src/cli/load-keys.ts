import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatProblems, formatWarnings, parseConfig, type Config, type ConfigWarning } from '../config/load.js';
import { KeyRingError, type KeyProblem } from '../signing-keys/errors.js';
import { openKeys } from '../signing-keys/open-keys.js';
import { ringExists } from '../signing-keys/operations.js';
import type { TokenKeys } from '../signing-keys/token-keys.js';
import { loadSecret, SecretError, type LoadedSecret } from '../secret/load-secret.js';
import { importHmacKey, type SigningKey } from '../tokens/keys.js';
import { failure, note, type CliIo } from './io.js';

/** The configuration from the environment, as the signer reads it; undefined after listing every problem. */
export function cliConfig(io: CliIo): Config | undefined {
  return cliConfigWithWarnings(io)?.config;
}

/** As `cliConfig`, with the unknown variables the signer would warn about (with every problem, they are listed too). */
export function cliConfigWithWarnings(io: CliIo): { config: Config; warnings: ConfigWarning[] } | undefined {
  const result = parseConfig(io.env);
  if (result.ok) return result;
  io.err.write(`${[formatProblems(result.problems), formatWarnings(result.warnings)].filter((t) => t !== '').join('\n')}\n`);
  return undefined;
}

/**
 * The HS256 secret as the signer reads it, or 'missing' when its file does not exist yet: unlike
 * the signer, the CLI never creates it (a secret made here would differ from the signers' own).
 * Throws SecretError, whose message never holds the secret.
 */
export async function readExistingSecret(config: Config): Promise<LoadedSecret | 'missing'> {
  if (config.JWT_SECRET !== undefined) return loadSecret({ value: config.JWT_SECRET, file: config.JWT_SECRET_FILE });
  const present = await stat(config.JWT_SECRET_FILE).then(
    () => true,
    () => false,
  );
  return present ? loadSecret({ file: config.JWT_SECRET_FILE }) : 'missing';
}

/** One line per problem, file by file; reasons never hold key material. */
export function formatKeyProblems(dir: string, problems: readonly KeyProblem[]): string {
  return [`the key ring in ${dir} cannot be used:`, ...problems.map((p) => `  - ${p.file}: ${p.reason}`)].join('\n');
}

/**
 * The keys a signer with this configuration signs and verifies with now, loaded the same way
 * (openKeys without generating); undefined after saying why they cannot be loaded.
 */
export async function openCliKeys(name: string, io: CliIo, config: Config): Promise<TokenKeys | undefined> {
  const dir = config.KEYS_DIR;
  if (config.JWT_ALG !== 'HS256' && !(await ringExists(dir))) {
    failure(io, name, `no key ring in ${dir} yet: the signer generates an ${config.JWT_ALG} one at its first start, or run tokengate keygen --activate`);
    return undefined;
  }
  // Only HS256 uses the secret; a host that holds only an asymmetric ring needs none.
  const secretKey = config.JWT_ALG === 'HS256' ? await secretKeyFor(name, io, config) : undefined;
  if (config.JWT_ALG === 'HS256' && !secretKey) return undefined;
  try {
    const opened = await openKeys({ dir, alg: config.JWT_ALG, secretKey, generate: false });
    for (const w of opened.warnings) note(io, name, `warning: ${w.file}: ${w.reason}`);
    return opened.keys;
  } catch (err) {
    keyRingFailure(name, io, dir, err);
    return undefined;
  }
}

async function secretKeyFor(name: string, io: CliIo, config: Config): Promise<SigningKey | undefined> {
  try {
    const loaded = await readExistingSecret(config);
    if (loaded !== 'missing') return await importHmacKey(loaded.secret);
    failure(
      io,
      name,
      `JWT_SECRET_FILE ${config.JWT_SECRET_FILE} does not exist: under HS256 the secret signs and verifies; point JWT_SECRET_FILE at the signers' file (the CLI never creates one)`,
    );
  } catch (err) {
    if (!(err instanceof SecretError)) throw err;
    failure(io, name, err.message);
  }
  return undefined;
}

/** Reports a KeyRingError file by file and returns exit status 1; anything else is not ours to explain. */
export function keyRingFailure(name: string, io: CliIo, dir: string, err: unknown): number {
  if (!(err instanceof KeyRingError)) throw err;
  if (err.code === 'invalid_key_ring') return failure(io, name, formatKeyProblems(dir, err.problems));
  // A refused operation (kid_exists, unknown_kid, active_key) is about one file: one line.
  return failure(io, name, err.problems.map((p) => `${join(dir, p.file)}: ${p.reason}`).join('; '));
}

/** When running signers pick up a change in KEYS_DIR, for the explanations. */
export function whenSignersReload(config: Config): string {
  const interval = config.KEYS_CHECK_INTERVAL_S;
  return interval > 0 ? `at a SIGHUP, or within KEYS_CHECK_INTERVAL_S=${interval}s` : 'at a SIGHUP (KEYS_CHECK_INTERVAL_S=0: signers do not poll)';
}
