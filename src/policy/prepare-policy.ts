import type { Config } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import { loadPolicy } from './load-policy.js';
import { startPolicyReloader, type PolicyReloader } from './policy-reloader.js';
import { EXIT } from '../exit.js';

/**
 * Loads POLICY_FILE at start and follows it; undefined without one (every path then needs a valid
 * identity, as before policies). A file that cannot be used exits 2 with every problem, as a bad
 * configuration does: a signer must never start with fewer rules than its operator wrote.
 */
export async function preparePolicy(config: Config, logger: Logger): Promise<PolicyReloader | undefined> {
  const file = config.POLICY_FILE;
  if (file === undefined) return undefined;
  const result = await loadPolicy(file);
  if (!result.ok) {
    logger.fatal({ file, problems: result.problems }, `the policy in ${file} cannot be used: ${result.problems.join('; ')}`);
    process.exit(EXIT.usage);
  }
  const { policy } = result.loaded;
  logger.info({ file, rules: policy.rules.length, default: policy.default.kind, caseSensitive: policy.caseSensitive }, 'policy loaded');
  return startPolicyReloader({ file, initial: result.loaded, logger, intervalMs: config.POLICY_CHECK_INTERVAL_S * 1000 });
}
