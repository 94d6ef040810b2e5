import { stat } from 'node:fs/promises';
import { formatProblems, parseConfig } from '../config/load.js';
import { loadSecret, SecretError } from '../secret/load-secret.js';
import { EXIT, type CliIo } from './run.js';

/**
 * `tokengate check-config`: everything the signer checks before it listens, without listening,
 * without creating a secret file and without connecting anywhere. Secrets are never printed.
 */
export async function checkConfig(io: CliIo): Promise<number> {
  const result = parseConfig(io.env);
  if (!result.ok) {
    io.err.write(`${formatProblems(result.problems)}\n`);
    return EXIT.failed;
  }
  const config = result.config;
  const lines: string[] = [];
  if (config.JWT_SECRET !== undefined) {
    lines.push('secret:   JWT_SECRET (from the environment)');
  } else if (await exists(config.JWT_SECRET_FILE)) {
    try {
      const loaded = await loadSecret({ file: config.JWT_SECRET_FILE });
      const loose = loaded.looseMode !== undefined ? ` (mode ${loaded.looseMode.toString(8)}: readable by other users; chmod 600 it)` : '';
      lines.push(`secret:   ${config.JWT_SECRET_FILE}${loose}`);
    } catch (err) {
      if (!(err instanceof SecretError)) throw err;
      io.err.write(`tokengate: invalid configuration:\n  - JWT_SECRET_FILE: ${err.message}\n`);
      return EXIT.failed;
    }
  } else {
    lines.push(`secret:   ${config.JWT_SECRET_FILE} does not exist yet; the signer creates it (mode 0600) at its first start`);
  }
  lines.push(`signer:   listens on ${config.SIGNER_HOST}:${config.SIGNER_PORT}, asks ${config.AUTHENTICATE_URL}`);
  // The URL may hold a password: only whether it is set, and the prefix.
  lines.push(config.REDIS_URL === undefined ? 'store:    in memory (one signer instance)' : `store:    Redis (REDIS_URL set), keys under ${JSON.stringify(config.KEY_PREFIX)}${config.STORE_FAIL_OPEN ? ', STORE_FAIL_OPEN=true' : ''}`);
  lines.push(`browsers: ${config.PUBLIC_ORIGIN}${config.COOKIE_SECURE ? '' : ' (COOKIE_SECURE=false: cookies over plain http)'}`);
  io.out.write(`configuration OK\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
  return EXIT.ok;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
