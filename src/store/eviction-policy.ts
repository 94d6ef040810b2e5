import type { Logger } from '../log/logger.js';
import type { RedisCommands } from './redis-connection.js';
import { describeRedisError } from './redis-errors.js';
import { StoreUnavailableError } from './store.js';

/**
 * Warns when Redis may evict keys under memory pressure. Every tokengate key has a TTL, so the
 * `volatile-*` policies can evict the revocation set as surely as the `allkeys-*` ones: an
 * evicted revocation is a logged-out token that works again. Only `noeviction` is safe (writes
 * then fail, and callers answer 503). Run on every (re)connect; managed Redis often refuses
 * CONFIG, and then there is nothing to check.
 */
export class EvictionPolicyCheck {
  /** The policy last warned about, so a reconnect to the same server does not warn again. */
  private warned: string | undefined;

  constructor(
    private readonly commands: RedisCommands,
    private readonly logger: Logger,
  ) {}

  async run(): Promise<void> {
    let reply: unknown;
    try {
      reply = await this.commands.send(['CONFIG', 'GET', 'maxmemory-policy']);
    } catch (err) {
      const reason = err instanceof StoreUnavailableError ? err.message : describeRedisError(err);
      this.logger.debug({ err: reason }, 'could not read Redis maxmemory-policy (CONFIG refused?); not checking it');
      return;
    }
    const policy = readPolicy(reply);
    if (policy === undefined || policy === 'noeviction') {
      this.logger.debug({ policy }, 'checked Redis maxmemory-policy');
      this.warned = undefined;
      return;
    }
    if (policy === this.warned) {
      this.logger.debug({ policy }, 'Redis maxmemory-policy unchanged since the warning');
      return;
    }
    this.warned = policy;
    this.logger.warn(
      { policy },
      'Redis maxmemory-policy is not noeviction: under memory pressure Redis may evict revocations (every tokengate key has a TTL, so volatile-* policies can too) and refused tokens would work again; set maxmemory-policy noeviction',
    );
  }
}

/** CONFIG GET answers `[name, value]` (RESP2) or a map (RESP3). */
function readPolicy(reply: unknown): string | undefined {
  if (Array.isArray(reply)) return typeof reply[1] === 'string' ? reply[1] : undefined;
  if (reply instanceof Map) return typeof reply.get('maxmemory-policy') === 'string' ? (reply.get('maxmemory-policy') as string) : undefined;
  if (typeof reply === 'object' && reply !== null) {
    const value = (reply as Record<string, unknown>)['maxmemory-policy'];
    return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}
