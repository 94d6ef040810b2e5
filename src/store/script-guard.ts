import { LATE_REPLY } from './redis-errors.js';

/**
 * Runs first in every deadline-guarded script. ARGV[1] is the deadline (ms, Redis's clock); the
 * script below sees ARGV without it, exactly as its caller passed it, so any script can be
 * guarded without knowing. A script that Redis reaches only after the deadline (Redis was
 * paused, or busy, and the caller already answered 503) writes nothing and returns an error.
 *
 * TIME before writes needs effects replication: the only mode since Redis 7 (where
 * `replicate_commands` is a no-op that stays for compatibility) and the default since 5;
 * the call switches 3.2 and 4 to it, where verbatim replication would refuse the writes.
 */
const GUARD = `if redis.replicate_commands then redis.replicate_commands() end
local tokengate_time = redis.call('TIME')
if tonumber(tokengate_time[1]) * 1000 + math.floor(tonumber(tokengate_time[2]) / 1000) > tonumber(ARGV[1]) then
  return redis.error_reply('${LATE_REPLY} the deadline passed before the script ran; nothing was written')
end
local tokengate_argv = {}
for i = 2, #ARGV do tokengate_argv[i - 1] = ARGV[i] end
local ARGV = tokengate_argv
`;

/** `script` behind the deadline guard; a `#!lua` flags line, if any, stays first. */
export function guardScript(script: string): string {
  if (!script.startsWith('#!')) return GUARD + script;
  const eol = script.indexOf('\n');
  return eol < 0 ? `${script}\n${GUARD}` : script.slice(0, eol + 1) + GUARD + script.slice(eol + 1);
}
