import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config/load.js';
import { keyFileName } from '../signing-keys/algorithms.js';
import { loadVerifyRing } from '../signing-keys/keyring.js';
import { addKey, ringExists, setActive } from '../signing-keys/operations.js';
import { parseCommand, validAlg, validKid } from './args.js';
import { formatDuration, formatInstant, parseDuration } from './duration.js';
import { EXIT, note, usageError, type CliIo, type Command } from './io.js';
import { cliConfig, keyRingFailure, whenSignersReload } from './load-keys.js';
import { keyFileExists, readActive } from './ring-summary.js';
import { retireAfter } from './retire.js';

const NAME = 'rotate';
/** The longest --wait: a day is past any sensible JWKS cache. */
const MAX_WAIT_S = 86400;

/** `tokengate rotate`: phase two of a rotation, making a key that every signer knows the signing key. */
export const rotateCommand: Command = {
  usage: 'tokengate rotate [--kid KID] [--alg ALG] [--wait SECONDS]',
  summary: 'make a key the signing key: an existing one (--kid), or a new one once every signer has loaded it',
  details: [
    '--kid KID       activate this key, added earlier with tokengate keygen (phase two of a rotation)',
    '--alg ALG       without --kid: the algorithm of the new key (default: JWT_ALG)',
    '--wait SECONDS  without --kid: how long to wait between writing the new key and activating it',
    '                (90, 90s, 15m, 1h; default 2 x KEYS_CHECK_INTERVAL_S + 1, so every polling signer',
    '                has loaded it). Services that verify with /.well-known/jwks.json cache it for',
    '                JWKS_MAX_AGE_S: when they exist, wait at least that long.',
    'The previous key keeps verifying until tokengate retire removes it.',
  ],
  run: rotate,
};

async function rotate(args: string[], io: CliIo): Promise<number> {
  const options = { kid: { type: 'string' }, alg: { type: 'string' }, wait: { type: 'string' } } as const;
  const parsed = parseCommand(NAME, io, { args, options, strict: true, allowPositionals: false });
  if (!parsed) return EXIT.usage;
  const { kid, alg, wait } = parsed.values;
  if (!validAlg(NAME, io, alg) || !validKid(NAME, io, kid)) return EXIT.usage;
  if (kid !== undefined && (alg !== undefined || wait !== undefined))
    return usageError(io, NAME, '--alg and --wait are for a new key; with --kid the key is activated as it is, at once');
  const waitParsed = wait === undefined ? undefined : parseDuration(wait, 0, MAX_WAIT_S);
  if (waitParsed && !waitParsed.ok) return usageError(io, NAME, `--wait ${waitParsed.reason}`);
  const config = cliConfig(io);
  if (!config) return EXIT.failed;
  const interval = config.KEYS_CHECK_INTERVAL_S;
  if (kid === undefined && waitParsed === undefined && interval === 0) {
    return usageError(
      io,
      NAME,
      'KEYS_CHECK_INTERVAL_S=0: signers load keys only at a SIGHUP, so rotate cannot know when they have the new one. Run tokengate keygen, send SIGHUP to every signer, then tokengate rotate --kid <kid> (or give --wait when something else reloads them)',
    );
  }
  const dir = config.KEYS_DIR;
  const before = await readActive(dir);
  let target = kid;
  try {
    // A ring that does not load would not load with the new active key either: say so before changing it.
    if (await ringExists(dir)) await loadVerifyRing(dir);
    if (target === undefined) {
      target = (await addKey(dir, alg ?? config.JWT_ALG)).kid;
      await waitForSigners(io, config, target, waitParsed?.seconds ?? 2 * interval + 1);
    } else if (!(await keyFileExists(NAME, io, dir, target))) {
      return EXIT.failed;
    } else if (before?.kid === target) {
      io.out.write(`${target}\n`);
      note(io, NAME, `${target} is already the active key`);
      return EXIT.ok;
    }
    await warnIfYoung(io, config, target);
    await setActive(dir, target);
  } catch (err) {
    return keyRingFailure(NAME, io, dir, err);
  }
  io.out.write(`${target}\n`);
  const previous = before?.kid ?? (config.JWT_ALG === 'HS256' ? 'the secret (no kid)' : 'none');
  note(io, NAME, `active key: ${previous} -> ${target}; signers switch to it at their next reload (${whenSignersReload(config)})`);
  if (before)
    note(
      io,
      NAME,
      `${before.kid} keeps verifying the tokens it signed; retire it with tokengate retire ${before.kid} after ${formatInstant(Date.now() / 1000 + retireAfter(config))}`,
    );
  return EXIT.ok;
}

async function waitForSigners(io: CliIo, _config: Config, kid: string, seconds: number): Promise<void> {
  note(
    io,
    NAME,
    `wrote the new key ${kid}; waiting ${formatDuration(seconds)} so every signer loads it before it signs (interrupting leaves it added, not active)`,
  );
  // Progress about ten times over the wait, so a long one does not look stuck.
  const step = Math.max(1, Math.ceil(seconds / 10));
  for (let left = seconds; left > 0; left -= step) {
    await sleep(Math.min(step, left) * 1000);
    if (left - step > 0) note(io, NAME, `${formatDuration(left - step)} left`);
  }
}

/** A key younger than a poll cycle, or the JWKS cache, may be unknown to some verifier when it starts signing. */
async function warnIfYoung(io: CliIo, config: Config, kid: string): Promise<void> {
  const info = await stat(join(config.KEYS_DIR, keyFileName(kid))).catch(() => undefined);
  if (!info) return;
  const age = (Date.now() - info.mtimeMs) / 1000;
  const polls = 2 * config.KEYS_CHECK_INTERVAL_S + 1;
  if (config.KEYS_CHECK_INTERVAL_S > 0 && age < polls) {
    note(
      io,
      NAME,
      `warning: ${kid} was written ${formatDuration(age)} ago: a signer that has not loaded it yet refuses its tokens until it does (${whenSignersReload(config)})`,
    );
  }
  if (age < config.JWKS_MAX_AGE_S) {
    note(
      io,
      NAME,
      `services that verify with /.well-known/jwks.json cache it for JWKS_MAX_AGE_S (${formatDuration(config.JWKS_MAX_AGE_S)}); ${kid} is ${formatDuration(age)} old, so such a service may refuse its tokens for a while (--wait ${config.JWKS_MAX_AGE_S} covers it)`,
    );
  }
}
