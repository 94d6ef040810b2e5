/**
 * A Redis connection as the parts beside the store use it (login throttling): one Lua script
 * call, atomic on the server, bounded by `REDIS_TIMEOUT_MS`, failing with
 * `StoreUnavailableError`. The Redis store implements it; keys are given without the prefix.
 */
export interface ScriptRunner {
  /** Runs `script` (EVALSHA, loading it on first use) on `keys` (each prefixed with KEY_PREFIX) and `args`. */
  runScript(script: string, keys: string[], args: (string | number)[]): Promise<unknown>;
}
