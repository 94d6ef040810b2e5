import type { Logger } from '../log/logger.js';
import type { ConfigWarning } from './load.js';

/** The message of the log line for each unknown variable: stable, for log searches and alerts. */
export const UNKNOWN_VARIABLE_MESSAGE = 'unknown configuration variable ignored';

/** Logs each unknown variable at `warn` with its name and the one probably meant; never its value, which may be a secret. */
export function logConfigWarnings(logger: Logger, warnings: readonly ConfigWarning[]): void {
  for (const { variable, suggestion } of warnings) logger.warn(suggestion === undefined ? { variable } : { variable, suggestion }, UNKNOWN_VARIABLE_MESSAGE);
}
