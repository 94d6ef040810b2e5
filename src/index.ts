import { createApp } from './app.js';
import { loadConfigOrExit } from './config/load.js';
import { createLogger } from './log/logger.js';
import { loadSecret, SecretError } from './secret/load-secret.js';
import { bindErrorText, closeOnSignals, listen } from './server/listen.js';
import { importHmacKey } from './tokens/keys.js';

const config = loadConfigOrExit();
const logger = createLogger(config.LOG_LEVEL);

const loaded = await loadSecret({ value: config.JWT_SECRET, file: config.JWT_SECRET_FILE }).catch((err: unknown) => {
  if (!(err instanceof SecretError)) throw err;
  logger.fatal(err.message);
  process.exit(2);
});
if (loaded.source === 'generated') logger.info({ file: config.JWT_SECRET_FILE }, 'generated a new signing secret (mode 0600)');
if (loaded.looseMode !== undefined) {
  logger.warn({ file: config.JWT_SECRET_FILE, mode: loaded.looseMode.toString(8) }, 'the signing secret file is readable by other users; chmod 600 it');
}

const app = createApp(config, { logger, key: await importHmacKey(loaded.secret) });
const server = await listen(app, config.SIGNER_HOST, config.SIGNER_PORT).catch((err: unknown) => {
  logger.fatal(bindErrorText(err, config.SIGNER_HOST, config.SIGNER_PORT));
  process.exit(1);
});
logger.info({ host: config.SIGNER_HOST, port: config.SIGNER_PORT }, 'signer listening');
closeOnSignals([server], logger);
