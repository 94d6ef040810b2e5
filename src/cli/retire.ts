import { join } from 'node:path';
import type { Config } from '../config/load.js';
import { keyFileName } from '../signing-keys/algorithms.js';
import { retireKey } from '../signing-keys/operations.js';
import { parseCommand, validKid } from './args.js';
import { formatDuration, formatInstant } from './duration.js';
import { EXIT, failure, note, usageError, type CliIo, type Command } from './io.js';
import { cliConfig, keyRingFailure, whenSignersReload } from './load-keys.js';
import { keyFileExists, readActive } from './ring-summary.js';

const NAME = 'retire';

/** `tokengate retire <kid>`: the last step of a rotation, once no live token needs the old key. */
export const retireCommand: Command = {
  usage: 'tokengate retire <kid> [--force]',
  summary: "delete a key that no longer signs; tokens it signed are refused from the signers' next reload",
  details: [
    '--force   retire it even though tokens it signed may still be alive: their sessions are signed out',
    '',
    'The active key is never retired. Without --force, a key is kept until every token it may have',
    'signed has expired: the last activation + KEYS_CHECK_INTERVAL_S + max(TOKEN_TTL_S, REFRESH_TTL_S)',
    '+ CLOCK_SKEW_S. Tokens made with tokengate mint --ttl may live longer: retire only past their expiry.',
  ],
  run: retire,
};

/** Seconds after a key stops signing until no token it signed can still be accepted. */
export function retireAfter(config: Config): number {
  // Signers go on signing with the old key until their next reload: up to KEYS_CHECK_INTERVAL_S later.
  return Math.max(config.TOKEN_TTL_S, config.REFRESH_TTL_S) + config.CLOCK_SKEW_S + config.KEYS_CHECK_INTERVAL_S;
}

async function retire(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(NAME, io, { args, options: { force: { type: 'boolean' } }, strict: true, allowPositionals: true }, 1);
  if (!parsed) return EXIT.usage;
  const kid = parsed.positionals[0];
  if (kid === undefined) return usageError(io, NAME, `give the kid to retire (usage: ${retireCommand.usage})`);
  if (!validKid(NAME, io, kid)) return EXIT.usage;
  const config = cliConfig(io);
  if (!config) return EXIT.failed;
  const dir = config.KEYS_DIR;
  const file = join(dir, keyFileName(kid));
  const active = await readActive(dir);
  if (active?.kid === kid)
    return failure(
      io,
      NAME,
      `${kid} is the active key: make another key active first (tokengate rotate), and retire ${kid} once the tokens it signed have expired`,
    );
  if (!(await keyFileExists(NAME, io, dir, kid))) return EXIT.failed;
  // `active` is rewritten at each activation, so its time bounds when any other key last signed.
  const changedAt = active ? active.since.getTime() / 1000 : 0;
  const aliveUntil = active ? changedAt + retireAfter(config) : 0;
  const now = Date.now() / 1000;
  const early = aliveUntil > now;
  if (early && !parsed.values.force) {
    return failure(
      io,
      NAME,
      `tokens signed by ${kid} may be alive until ${formatInstant(aliveUntil)} (in ${formatDuration(aliveUntil - now)}: the active key changed at ${formatInstant(changedAt)}, and signers take up to KEYS_CHECK_INTERVAL_S to switch, and tokens live up to max(TOKEN_TTL_S, REFRESH_TTL_S) + CLOCK_SKEW_S). Retire it then, or now with --force, which signs those sessions out`,
    );
  }
  try {
    await retireKey(dir, kid);
  } catch (err) {
    return keyRingFailure(NAME, io, dir, err);
  }
  note(
    io,
    NAME,
    `retired ${kid} (deleted ${file}): signers drop it at their next reload (${whenSignersReload(config)}), and refuse the tokens it signed from then on`,
  );
  if (early) note(io, NAME, `--force: sessions still holding tokens signed by ${kid} are signed out at that reload`);
  return EXIT.ok;
}
