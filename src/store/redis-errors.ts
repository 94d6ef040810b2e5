import { ErrorReply } from 'redis';
import { StoreUnavailableError } from './store.js';

/**
 * The first word of the error reply a deadline-guarded script gives when Redis reaches it only
 * after the caller stopped waiting (see `script-guard.ts`): it wrote nothing.
 */
export const LATE_REPLY = 'TOKENGATE_LATE';

/**
 * Error replies that say Redis cannot serve now (loading, read-only replica, out of memory, a
 * password problem...), as opposed to a command this code got wrong.
 */
const UNAVAILABLE_REPLY = /^(LOADING|BUSY|READONLY|OOM|NOAUTH|WRONGPASS|NOPERM|MASTERDOWN|MISCONF|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|ERR max number of clients)/;

/**
 * A short, log-safe description of a Redis client error: the class, the system error code or
 * the reply's first word. Never the message of a connection error, which may name the server,
 * and never the URL (it may hold a password).
 */
export function describeRedisError(err: unknown): string {
  if (!(err instanceof Error)) return typeof err;
  // node-redis leaves ErrorReply's name as plain 'Error'.
  if (err instanceof ErrorReply) return `ErrorReply ${err.message.split(' ', 1)[0] ?? ''}`.trim();
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? `${err.name} ${code}` : err.name;
}

/**
 * What a failed Redis call becomes: `StoreUnavailableError` when Redis is unreachable, slow or
 * refusing service; a script error stays as it is (a bug, which must not read as an outage).
 */
export function toStoreError(err: unknown): Error {
  if (err instanceof StoreUnavailableError) return err;
  if (err instanceof ErrorReply && err.message.startsWith(`${LATE_REPLY} `)) {
    return new StoreUnavailableError('Redis reached the script only after its deadline; it wrote nothing');
  }
  if (err instanceof ErrorReply && !UNAVAILABLE_REPLY.test(err.message)) return err;
  return new StoreUnavailableError(`Redis is unavailable (${describeRedisError(err)})`);
}

/**
 * Settles like `pending`, or rejects with `StoreUnavailableError` after `ms`. node-redis bounds
 * only commands not yet written; one sent to a Redis that hangs waits for ever without this.
 */
export function withTimeout<T>(pending: Promise<T>, ms: number): Promise<T> {
  // A late rejection after the timeout has nobody left to hear it.
  pending.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailableError(`Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
}
