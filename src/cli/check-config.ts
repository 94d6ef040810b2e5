import { replicationOf } from '../config/redis-settings.js';
import type { Config } from '../config/load.js';
import type { LoadedSecret } from '../secret/load-secret.js';
import { SecretError } from '../secret/load-secret.js';
import { EXIT, type CliIo } from './io.js';
import { cliConfigWithWarnings, keyRingFailure, readExistingSecret } from './load-keys.js';
import { describeRing, summarizeRing, type RingSummary } from './ring-summary.js';
import { checkPolicyFile } from '../policy/check-policy-file.js';
import { checkClientsDir } from './client-check.js';

/**
 * `tokengate check-config`: everything the signer checks before it listens, without listening,
 * without creating a secret file or a key ring and without connecting anywhere. Secrets are never printed.
 */
export async function checkConfig(io: CliIo): Promise<number> {
  const loaded = cliConfigWithWarnings(io);
  if (!loaded) return EXIT.failed;
  const { config, warnings } = loaded;
  let secret: LoadedSecret | 'missing';
  try {
    secret = await readExistingSecret(config);
  } catch (err) {
    if (!(err instanceof SecretError)) throw err;
    io.err.write(`tokengate: invalid configuration:\n  - JWT_SECRET_FILE: ${err.message}\n`);
    return EXIT.failed;
  }
  let ring: RingSummary;
  try {
    ring = await summarizeRing(config);
  } catch (err) {
    return keyRingFailure('check-config', io, config.KEYS_DIR, err);
  }
  const policy = await checkPolicyFile(config.POLICY_FILE);
  if (!policy.ok) {
    io.err.write(`tokengate: invalid configuration:\n${policy.problems.map((p) => `  - POLICY_FILE: ${p}\n`).join('')}`);
    return EXIT.failed;
  }
  const clients = await checkClientsDir(config.CLIENTS_DIR);
  if (!clients.ok) {
    io.err.write(`tokengate: invalid configuration:\n${clients.problems.map((p) => `  - CLIENTS_DIR: ${p}\n`).join('')}`);
    return EXIT.failed;
  }
  const lines = [
    secretLine(config, secret),
    `keys:     ${describeRing(config, ring)}`,
    ...(ring.kind === 'ring' ? ring.warnings.map((w) => `          warning: ${w.file}: ${w.reason}`) : []),
    `signer:   listens on ${config.SIGNER_HOST}:${config.SIGNER_PORT}, asks ${config.AUTHENTICATE_URL}`,
    storeLine(config),
    `browsers: ${config.PUBLIC_ORIGIN}${config.COOKIE_SECURE ? '' : ' (COOKIE_SECURE=false: cookies over plain http)'}`,
    policy.line,
    clients.line,
    // What the signer logs at start: names only, as the values may be secrets.
    ...warnings.map((w) => `warning:  ${w.variable}: ${w.message}`),
  ];
  io.out.write(`configuration OK\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
  return EXIT.ok;
}

/** The URL may hold a password: only whether it is set, the sentinels' count and master name, and the prefix. */
function storeLine(config: Config): string {
  if (config.REDIS_URL === undefined && config.REDIS_SENTINELS === undefined) return 'store:    in memory (one signer instance)';
  const where =
    config.REDIS_SENTINELS === undefined
      ? 'Redis (REDIS_URL set)'
      : `Redis through ${config.REDIS_SENTINELS.length} sentinel(s), master ${JSON.stringify(config.REDIS_SENTINEL_MASTER)}${config.REDIS_SENTINEL_TLS ? ' over TLS' : ''}`;
  const { replicas, timeoutMs, unmet } = replicationOf(config);
  const wait = replicas > 0 ? `, writes wait for ${replicas} replica(s) (${unmet} after ${timeoutMs} ms)` : '';
  return `store:    ${where}, keys under ${JSON.stringify(config.KEY_PREFIX)}${wait}${config.STORE_FAIL_OPEN ? ', STORE_FAIL_OPEN=true' : ''}`;
}

function secretLine(config: Config, secret: LoadedSecret | 'missing'): string {
  if (config.JWT_SECRET !== undefined) return 'secret:   JWT_SECRET (from the environment)';
  if (secret === 'missing') return `secret:   ${config.JWT_SECRET_FILE} does not exist yet; the signer creates it (mode 0600) at its first start`;
  const loose = secret.looseMode !== undefined ? ` (mode ${secret.looseMode.toString(8)}: readable by other users; chmod 600 it)` : '';
  return `secret:   ${config.JWT_SECRET_FILE}${loose}`;
}
