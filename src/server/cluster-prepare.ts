import type { Config } from '../config/load.js';
import { KeyRingError } from '../signing-keys/errors.js';
import { openKeys } from '../signing-keys/open-keys.js';
import type { Logger } from '../log/logger.js';
import { loadSecret, SecretError } from '../secret/load-secret.js';
import { EXIT } from '../exit.js';

/**
 * The primary's share of the start, before any worker exists: the signing secret (generated on
 * first start) and, for an asymmetric JWT_ALG, the first key of the ring. Both are race-safe
 * already (exclusive creates), but done once here they are generated and logged once, not raced
 * by every worker; a secret or ring that cannot be used exits 2 before any fork, as one signer does.
 */
export async function prepareOnce(config: Config, logger: Logger): Promise<void> {
  const loaded = await loadSecret({ value: config.JWT_SECRET, file: config.JWT_SECRET_FILE }).catch((err: unknown) => {
    if (!(err instanceof SecretError)) throw err;
    logger.fatal(err.message);
    process.exit(EXIT.usage);
  });
  if (loaded.source === 'generated') logger.info({ file: config.JWT_SECRET_FILE }, 'generated a new signing secret (mode 0600)');
  // Under HS256 the secret signs until a ring is made by hand: nothing to generate.
  if (config.JWT_ALG === 'HS256') return;
  const opened = await openKeys({ dir: config.KEYS_DIR, alg: config.JWT_ALG, generate: true }).catch((err: unknown) => {
    if (!(err instanceof KeyRingError)) throw err;
    logger.fatal({ dir: config.KEYS_DIR, problems: err.problems }, `the key ring in ${config.KEYS_DIR} cannot be used`);
    process.exit(EXIT.usage);
  });
  if (opened.generated !== undefined)
    logger.info({ dir: config.KEYS_DIR, kid: opened.generated, alg: config.JWT_ALG }, 'generated a new key ring (key files mode 0600)');
}
