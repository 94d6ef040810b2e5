import { createApp } from './app.js';
import { loadConfigOrExit } from './config/load.js';
import { bindErrorText, closeOnSignals, exitOnSignalsWhileStarting, listen } from './server/listen.js';
import { prepareDeps } from './startup.js';

const config = loadConfigOrExit();
const starting = exitOnSignalsWhileStarting();
const deps = await prepareDeps(config);
const server = await listen(createApp(config, deps), config.SIGNER_HOST, config.SIGNER_PORT).catch((err: unknown) => {
  deps.logger.fatal(bindErrorText(err, config.SIGNER_HOST, config.SIGNER_PORT));
  process.exit(1);
});
deps.logger.info({ host: config.SIGNER_HOST, port: config.SIGNER_PORT }, 'signer listening');
starting();
// SIGHUP reloads the key ring (as nginx -s reload does its config); a ring that fails to load is logged and the old one kept.
process.on('SIGHUP', () => void deps.keyReloader.reload('SIGHUP'));
closeOnSignals([server], deps.logger, {
  timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  onClosed: () => {
    deps.keyReloader.stop();
    return deps.store?.close() ?? Promise.resolve();
  },
});
