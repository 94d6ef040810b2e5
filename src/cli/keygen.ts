import { join } from 'node:path';
import { keyFileName, type KeyAlg } from '../signing-keys/algorithms.js';
import { addKey, setActive } from '../signing-keys/operations.js';
import type { Config } from '../config/load.js';
import { parseCommand, validAlg, validKid } from './args.js';
import { EXIT, note, type CliIo, type Command } from './io.js';
import { cliConfig, keyRingFailure, whenSignersReload } from './load-keys.js';
import { readActive } from './ring-summary.js';

const NAME = 'keygen';

/** `tokengate keygen`: phase one of a rotation, a new key every signer loads for verifying before it signs. */
export const keygenCommand: Command = {
  usage: 'tokengate keygen [--alg ALG] [--kid KID] [--activate]',
  summary: 'write a new key into the key ring (KEYS_DIR, mode 0600), not active; print its kid',
  details: [
    '--alg ALG     HS256, RS256, ES256 or EdDSA (default: JWT_ALG)',
    '--kid KID     the key id, 1 to 64 letters, digits, "_" or "-" (default: the date and random hex)',
    '--activate    make it the signing key at once: for a setup before any signer runs, or a single signer',
    '',
    'Without --activate the key only verifies: once every signer has loaded it, make it sign with',
    'tokengate rotate --kid KID, and no signer ever meets a token from a key it does not know.',
  ],
  run: keygen,
};

async function keygen(args: string[], io: CliIo): Promise<number> {
  const options = { alg: { type: 'string' }, kid: { type: 'string' }, activate: { type: 'boolean' } } as const;
  const parsed = parseCommand(NAME, io, { args, options, strict: true, allowPositionals: false });
  if (!parsed) return EXIT.usage;
  const { alg: algValue, kid: wanted, activate } = parsed.values;
  if (!validAlg(NAME, io, algValue) || !validKid(NAME, io, wanted)) return EXIT.usage;
  const config = cliConfig(io);
  if (!config) return EXIT.failed;
  const alg = algValue ?? config.JWT_ALG;
  const dir = config.KEYS_DIR;
  let kid: string;
  try {
    kid = (await addKey(dir, alg, wanted)).kid;
    if (activate) await setActive(dir, kid);
  } catch (err) {
    return keyRingFailure(NAME, io, dir, err);
  }
  io.out.write(`${kid}\n`);
  await explain(io, config, alg, kid, activate === true);
  return EXIT.ok;
}

async function explain(io: CliIo, config: Config, alg: KeyAlg, kid: string, activated: boolean): Promise<void> {
  const file = join(config.KEYS_DIR, keyFileName(kid));
  if (activated) {
    note(
      io,
      NAME,
      `wrote the ${alg} key ${kid} to ${file} (mode 0600) and made it active: signers sign with it ${whenSignersReload(config)}; one that has not loaded it yet refuses its tokens until then (keygen, then rotate --kid, avoids that)`,
    );
    return;
  }
  note(io, NAME, `wrote the ${alg} key ${kid} to ${file} (mode 0600); it is not active`);
  note(io, NAME, `it verifies tokens once every signer has loaded it (${whenSignersReload(config)}); then make it sign with: tokengate rotate --kid ${kid}`);
  if (await readActive(config.KEYS_DIR)) return;
  // A ring without `active` signs nothing: under HS256 the secret keeps signing, any other JWT_ALG refuses such a ring.
  note(
    io,
    NAME,
    config.JWT_ALG === 'HS256'
      ? 'the ring has no active key yet, so the secret keeps signing (tokens without kid) until you activate one'
      : `the ring has no active key yet, which JWT_ALG=${config.JWT_ALG} requires: signers will not load it until tokengate rotate --kid ${kid}`,
  );
}
