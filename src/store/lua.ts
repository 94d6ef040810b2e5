// The Redis store's decisions, each one Lua script: atomic on the server, so no two signer
// instances ever interleave a read and a write. Deadlines are unix seconds from the signer's
// clock; keys expire with EXPIREAT on the same numbers, so signers and Redis need NTP-close clocks.
// CREATE_SESSION and ROTATE_REFRESH run behind the deadline guard (script-guard.ts), so their
// ARGV below is what they see, not what goes on the wire. Claims are stored with a MAC that only
// the signers can compute; Redis hands it back and the signer checks it (session-integrity.ts).

/**
 * Records a revocation: keeps the later of the old and new deadline, prunes what ended more
 * than `margin` ago, lets the set expire `margin` after its last deadline, and tells every
 * instance's mirror. Returns the deadline now in force.
 */
const REVOKE_FN = `
local function revoke(set, member, untilS, now, margin, channel)
  local old = tonumber(redis.call('ZSCORE', set, member))
  if old and old > untilS then untilS = old end
  redis.call('ZADD', set, untilS, member)
  redis.call('ZREMRANGEBYSCORE', set, '-inf', '(' .. (now - margin))
  local last = redis.call('ZRANGE', set, -1, -1, 'WITHSCORES')
  if last[2] then redis.call('EXPIREAT', set, math.ceil(tonumber(last[2]) + margin)) end
  redis.call('PUBLISH', channel, untilS .. ' ' .. member)
  return untilS
end
`;

/**
 * KEYS: session hash, the user's session index. ARGV: sid, refresh jti, claims JSON, session
 * end, dead-at (end or the refresh token's expiry), now, per-user cap, session-key prefix, MAC,
 * the client's address and user agent ('' when unknown).
 * Drops the user's ended sessions from the index, then the ones ending first while at the cap.
 */
export const CREATE_SESSION = `
local sid, jti, claims, ends, deadAt, now, cap, prefix, mac = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7]), ARGV[8], ARGV[9]
local ip, ua = ARGV[10] or '', ARGV[11] or ''
local index = KEYS[2]
redis.call('ZREMRANGEBYSCORE', index, '-inf', now)
if redis.call('ZCARD', index) >= cap then
  for _, other in ipairs(redis.call('ZRANGE', index, 0, -1)) do
    if redis.call('EXISTS', prefix .. other) == 0 then redis.call('ZREM', index, other) end
  end
  local excess = redis.call('ZCARD', index) - cap + 1
  if excess > 0 then
    for _, other in ipairs(redis.call('ZRANGE', index, 0, excess - 1)) do redis.call('DEL', prefix .. other) end
    redis.call('ZREMRANGEBYRANK', index, 0, excess - 1)
  end
end
redis.call('HSET', KEYS[1], 'claims', claims, 'exp', ends, 'mac', mac, 'dead', deadAt, 'cur', jti, 'rot', now, 'st', now, 'ip', ip, 'ua', ua)
redis.call('EXPIREAT', KEYS[1], math.ceil(tonumber(deadAt)))
redis.call('ZADD', index, ends, sid)
local last = redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')
redis.call('EXPIREAT', index, math.ceil(tonumber(last[2])))
return 1
`;

/**
 * KEYS: session hash, revoked set. ARGV: presented jti, next jti, now, grace, next token's
 * expiry or '', reuse revocation deadline or '', the session's revoked member, margin, channel,
 * then '1', address, user agent when the refresher's client is known (it becomes the last seen).
 * Returns {'rotated', claims, end, previous 'prev' or '', previous 'rot', previous 'dead', MAC or
 * nil} (what UNROTATE needs), {'grace', claims, end, MAC or nil}, {'reused', deadline} or
 * {'unknown'}.
 */
export const ROTATE_REFRESH = `${REVOKE_FN}
local f = redis.call('HMGET', KEYS[1], 'claims', 'exp', 'dead', 'cur', 'prev', 'rot', 'mac')
local presented, now = ARGV[1], tonumber(ARGV[3])
if not f[1] or tonumber(f[3]) <= now then return {'unknown'} end
local ends = tonumber(f[2])
if presented == f[4] then
  local deadAt = ends
  local nextExpiry = tonumber(ARGV[5])
  if nextExpiry and nextExpiry < deadAt then deadAt = nextExpiry end
  redis.call('HSET', KEYS[1], 'prev', presented, 'cur', ARGV[2], 'rot', ARGV[3], 'dead', deadAt)
  if ARGV[10] == '1' then redis.call('HSET', KEYS[1], 'ip', ARGV[11], 'ua', ARGV[12]) end
  redis.call('EXPIREAT', KEYS[1], math.ceil(deadAt))
  return {'rotated', f[1], f[2], f[5] or '', f[6] or '0', f[3], f[7]}
end
if f[5] and presented == f[5] and now - tonumber(f[6]) < tonumber(ARGV[4]) then return {'grace', f[1], f[2], f[7]} end
redis.call('DEL', KEYS[1])
local untilS = ends
local reuseUntil = tonumber(ARGV[6])
if reuseUntil and reuseUntil < untilS then untilS = reuseUntil end
return {'reused', revoke(KEYS[2], ARGV[7], untilS, now, tonumber(ARGV[8]), ARGV[9])}
`;

/**
 * KEYS: the nonce's key. ARGV: TTL in seconds. SET NX: 1 when this call recorded the nonce, 0 when
 * it was already there (a replay). Runs behind the deadline guard: a claim Redis reaches only after
 * the client was told 503 records nothing, so the client's retry with the same token is no replay.
 */
export const CLAIM_NONCE = `
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 1 end
return 0
`;

/**
 * KEYS: revoked set, and for a session its hash (deleted: its refresh tokens stop at once).
 * ARGV: member, untilS, now, margin, channel. Returns the deadline in force. Unguarded: a
 * revocation that Redis reaches late still applies (see `RedisStore.revoke`).
 */
export const REVOKE = `${REVOKE_FN}
if KEYS[2] then redis.call('DEL', KEYS[2]) end
return revoke(KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5])
`;

/**
 * KEYS: revoked set, the user's session index. ARGV: the user's member, untilS, now, margin,
 * channel, session-key prefix, the sessions' deadline. Deletes every session in the index (their
 * refresh tokens stop at once) and revokes each by id (`s:<sid>`, through the sessions' deadline),
 * deletes the index, then records the user's revocation (their tokens up to the member's
 * not-before second). Unguarded, like REVOKE. Returns {sessions ended, deadline in force, the
 * ids revoked...}.
 */
export const REVOKE_SUBJECT = `${REVOKE_FN}
local now, margin, ended, out = tonumber(ARGV[3]), tonumber(ARGV[4]), 0, {}
for _, sid in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  ended = ended + redis.call('DEL', ARGV[6] .. sid)
  revoke(KEYS[1], 's:' .. sid, tonumber(ARGV[7]), now, margin, ARGV[5])
  out[#out + 1] = sid
end
redis.call('DEL', KEYS[2])
table.insert(out, 1, revoke(KEYS[1], ARGV[1], tonumber(ARGV[2]), now, margin, ARGV[5]))
table.insert(out, 1, ended)
return out
`;

/**
 * KEYS: session hash, revoked set, the user's session index. ARGV: sid, the session's revoked
 * member, untilS, now, margin, channel. Ends the session only if it is live and in this user's
 * index (so in no one else's): 1, or 0 and nothing written.
 */
export const END_SESSION_OF = `${REVOKE_FN}
local dead = tonumber(redis.call('HGET', KEYS[1], 'dead'))
if not dead or dead <= tonumber(ARGV[4]) or not redis.call('ZSCORE', KEYS[3], ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[3], ARGV[1])
revoke(KEYS[2], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6])
return 1
`;

/**
 * KEYS: the user's session index. ARGV: now, session-key prefix. Writes nothing. Returns, per
 * live session (oldest end first): sid, start, last rotation, end, address, user agent.
 */
export const LIST_SESSIONS = `
local now, out = tonumber(ARGV[1]), {}
for _, sid in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')) do
  local f = redis.call('HMGET', ARGV[2] .. sid, 'st', 'rot', 'exp', 'ip', 'ua', 'dead')
  if f[3] and tonumber(f[6]) > now then
    out[#out + 1] = {sid, f[1] or f[2], f[2], f[3], f[4] or '', f[5] or ''}
  end
end
return out
`;

/**
 * KEYS: session hash. ARGV: the rotated-away (presented) jti, the jti it was rotated to, and the
 * session's 'prev', 'rot' and 'dead' before the rotation (ROTATE_REFRESH's answer). Puts the
 * rotation back while nothing has happened since (the new jti is still current): a rotation too
 * few replicas acknowledged, answered 503, so that the client's retry with the same refresh
 * token works instead of looking like reuse. Unguarded. Returns 1 when undone, else 0.
 */
export const UNROTATE = `
if redis.call('HGET', KEYS[1], 'cur') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'cur', ARGV[1], 'rot', ARGV[4], 'dead', ARGV[5])
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], 'prev') else redis.call('HSET', KEYS[1], 'prev', ARGV[3]) end
redis.call('EXPIREAT', KEYS[1], math.ceil(tonumber(ARGV[5])))
return 1
`;

/**
 * KEYS: session hash, the user's session index. ARGV: sid, its first refresh jti. Removes a
 * session CREATE_SESSION just wrote (too few replicas acknowledged it, and the login answered
 * 503), unless it was used since. Unguarded. Returns 1 when removed, else 0.
 */
export const UNCREATE_SESSION = `
if redis.call('HGET', KEYS[1], 'cur') ~= ARGV[2] or redis.call('HEXISTS', KEYS[1], 'prev') == 1 then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`;

/** KEYS: the nonce's key. Forgets a nonce CLAIM_NONCE just recorded (too few replicas acknowledged it, and the client was answered 503), so its retry is no replay. */
export const UNCLAIM_NONCE = `return redis.call('DEL', KEYS[1])`;
