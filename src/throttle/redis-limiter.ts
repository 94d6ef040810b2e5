import type { ScriptRunner } from '../store/script-runner.js';
import { intervalMs, SLACK_MS } from './gcra.js';
import type { FailureLimiter, FailureRule } from './limiter.js';

// The same GCRA as gcra.ts, in Lua so that each operation is one atomic step on the server.
// Each key holds its `tat` (epoch ms, as "%.17g" so a fractional interval round-trips) and
// expires when it is drained (PX = tat - now): nothing outlives its use.
// ARGV[1] is now (ms); ARGV[2i], ARGV[2i+1] are the interval and window (ms) of KEYS[i].

/** Takes a slot under every key, or none; returns 0, or the whole ms until one would be free. */
const ACQUIRE = `
local now = tonumber(ARGV[1])
local wait = 0
local tats = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  local tat = tonumber(redis.call('GET', key))
  tats[i] = tat
  if tat then
    local w = tat - now - (window - interval)
    if w > wait then wait = w end
  end
end
if wait > ${SLACK_MS} then return math.ceil(wait) end
for i, key in ipairs(KEYS) do
  local tat = tats[i]
  if not tat or tat < now then tat = now end
  tat = tat + tonumber(ARGV[2 * i])
  redis.call('SET', key, string.format('%.17g', tat), 'PX', math.ceil(tat - now))
end
return 0
`;

/** Gives one slot back under every key; a key with nothing left is deleted. */
const RELEASE = `
local now = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local tat = tonumber(redis.call('GET', key))
  if tat then
    tat = tat - tonumber(ARGV[2 * i])
    if tat > now then
      redis.call('SET', key, string.format('%.17g', tat), 'PX', math.ceil(tat - now))
    else
      redis.call('DEL', key)
    end
  end
end
return 0
`;

const RESET = `return redis.call('DEL', KEYS[1])`;

/** Failed-login counts in Redis, shared by every signer instance; one Lua script per operation. */
export class RedisFailureLimiter implements FailureLimiter {
  constructor(private readonly redis: ScriptRunner) {}

  async acquire(rules: readonly FailureRule[], nowMs: number): Promise<number> {
    return Number(await this.redis.runScript(ACQUIRE, keysOf(rules), argsOf(rules, nowMs)));
  }

  async release(rules: readonly FailureRule[], nowMs: number): Promise<void> {
    await this.redis.runScript(RELEASE, keysOf(rules), argsOf(rules, nowMs));
  }

  async reset(key: string): Promise<void> {
    await this.redis.runScript(RESET, [key], []);
  }
}

const keysOf = (rules: readonly FailureRule[]) => rules.map((r) => r.key);

const argsOf = (rules: readonly FailureRule[], nowMs: number) => [nowMs, ...rules.flatMap((r) => [intervalMs(r), r.windowMs])];
