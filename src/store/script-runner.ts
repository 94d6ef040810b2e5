/**
 * A Redis connection as the parts beside the store use it (login throttling): one Lua script
 * call, atomic on the server, bounded by `REDIS_TIMEOUT_MS`, failing with
 * `StoreUnavailableError`. The Redis store implements it; keys are given without the prefix.
 *
 * Every script runs behind a deadline guard, added here, that the script itself need not know
 * of: if Redis reaches it only after the caller stopped waiting (a paused or overloaded Redis
 * catching up), it writes nothing and the call fails with `StoreUnavailableError`, as the
 * caller already believed. The script sees KEYS and ARGV exactly as passed.
 */
export interface ScriptRunner {
  /** Runs `script` (EVALSHA, loading it on first use) on `keys` (each prefixed with KEY_PREFIX) and `args`, refused once late. */
  runScript(script: string, keys: string[], args: (string | number)[]): Promise<unknown>;
}
