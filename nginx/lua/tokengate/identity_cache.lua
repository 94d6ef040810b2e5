-- tokengate's OpenResty front: the identities the signer verified, cached inside nginx.
--
-- A protected location runs `access()` instead of `auth_request`:
--   * a credential seen before, while this worker hears the signer's revocation feed, is answered
--     from the `tokengate_identities` shared dict: no subrequest, no crypto, no JSON;
--   * anything else goes to the very `/_auth` subrequest the stock template uses (the signer's
--     `/verify`), and its answer is applied as `auth_request` would apply it: identity variables on
--     a pass, the same 401/403/503 error pages otherwise. A pass the signer marked cacheable
--     (`X-Tokengate-Cacheable: <ttl> <jti> <sid>`) is stored for that ttl.
-- Nothing about a token is decided here: the signer decides, and says what may be kept. No
-- secret or private key is ever here; entries are keyed by a SHA-1 of the request line and the
-- credentials, and hold only what the signer answered.
--
-- Every worker polls the signer's `GET /revocations` every `poll_interval` seconds and marks each
-- revoked token, session and user in `tokengate_revoked`; a hit whose token, session or user is
-- marked goes back to the signer. A worker that has not heard the feed for `stale_after` seconds answers
-- nothing from the cache. Each signer process numbers its feed itself: a worker keeps its
-- position in each one it hears (several instances, or cluster workers behind one port), and one
-- new to it answers with its whole window (the last two minutes), which covers everything the
-- workers have not heard as long as one of them heard the feed within that window; otherwise, and
-- when the keys or the policy change (the feed's `generation`), every entry is retired at once.

local ngx = ngx
local var = ngx.var
local shared = ngx.shared
local now = ngx.now
local sha1_bin = ngx.sha1_bin
local capture = ngx.location.capture
local find, sub, match, lower, gsub = string.find, string.sub, string.match, string.lower, string.gsub
local concat = table.concat
local cjson = require("cjson.safe")

local M = {}

local conf = {
    signers = {},
    poll_interval = 0.25,
    stale_after = 3,
    lookup_timeout_ms = 1000,
}

-- This worker's view of the feed: its position in each signer process (a few, oldest dropped).
local feed = { heard_at = -1, scope = "path", max_ttl = 0, next_signer = 1 }
local positions, position_order = {}, {}
local MAX_POSITIONS = 16
local polling = false

local identities, revoked

-- `tag` names the entries still valid: the feed's generation and how many resets there were.
local function current_tag()
    return revoked:get("tag")
end

local function retire_all(reason)
    -- Every entry goes now; the new tag also keeps out what a subrequest still under way would
    -- store under the old one. Flushing does not depend on the tag being written (a full dict).
    identities:flush_all()
    local resets = revoked:incr("resets", 1, 0)
    local ok, err = revoked:safe_set("tag", tostring(revoked:get("generation")) .. "/" .. tostring(resets))
    if not ok then ngx.log(ngx.ERR, "tokengate identity cache: cannot write its tag (", err, ")") end
    ngx.log(ngx.INFO, "tokengate identity cache: every entry retired (", reason, ")")
end

local function remember_position(instance, seq)
    if positions[instance] == nil then
        position_order[#position_order + 1] = instance
        if #position_order > MAX_POSITIONS then positions[table.remove(position_order, 1)] = nil end
    end
    positions[instance] = seq
end

local function feed_path()
    local at = {}
    for i = #position_order, 1, -1 do
        local instance = position_order[i]
        at[#at + 1] = instance .. "." .. tostring(positions[instance])
    end
    return "/revocations?at=" .. concat(at, ",")
end

--- Called once in init_by_lua with the signers' addresses ("host:port", "[v6]:port").
function M.configure(opts)
    for k, v in pairs(opts) do conf[k] = v end
end

-- A GET to one signer over a cosocket, answering the body of a 200, or nil and why.
local function get(addr, path)
    local host, port = match(addr, "^%[(.+)%]:(%d+)$")
    if not host then host, port = match(addr, "^(.+):(%d+)$") end
    if not host then return nil, "bad signer address " .. addr end
    local sock = ngx.socket.tcp()
    sock:settimeouts(conf.lookup_timeout_ms, conf.lookup_timeout_ms, conf.lookup_timeout_ms)
    local ok, err = sock:connect(host, tonumber(port))
    if not ok then return nil, err end
    ok, err = sock:send("GET " .. path .. " HTTP/1.1\r\nHost: tokengate-signer\r\nAccept: application/json\r\n\r\n")
    if not ok then sock:close() return nil, err end
    local status_line
    status_line, err = sock:receive("*l")
    if not status_line then sock:close() return nil, err end
    local status = tonumber(match(status_line, "^HTTP/1%.%d (%d%d%d)"))
    local length, close = nil, false
    while true do
        local line
        line, err = sock:receive("*l")
        if not line then sock:close() return nil, err end
        if line == "" then break end
        local name, value = match(line, "^([^:]+):%s*(.-)%s*$")
        if name then
            name = lower(name)
            if name == "content-length" then length = tonumber(value)
            elseif name == "connection" and lower(value) == "close" then close = true end
        end
    end
    if not length or length > 8 * 1024 * 1024 then sock:close() return nil, "no usable content-length" end
    local body
    body, err = sock:receive(length)
    if not body then sock:close() return nil, err end
    if close then sock:close() else sock:setkeepalive(30000, 2) end
    if status ~= 200 then return nil, "status " .. tostring(status) end
    return body
end

-- Applies one page of the feed; true when more pages wait.
local function apply(page)
    feed.scope = page.scope == "any" and "any" or "path"
    feed.max_ttl = tonumber(page.maxTtl) or 0
    local generation = tostring(page.generation)
    if generation ~= revoked:get("generation") then
        revoked:safe_set("generation", generation)
        retire_all("new keys or policy")
    elseif page.reset then
        -- A whole window: enough unless no worker heard the feed within it.
        local heard = revoked:get("heard_at")
        local window = tonumber(page.windowS) or 0
        if not heard or now() - heard > window - 10 then retire_all("feed gap longer than its window") end
    end
    if not current_tag() then retire_all("first poll") end
    -- A revocation outlives every entry that could name it.
    local keep = feed.max_ttl + 5
    for _, r in ipairs(page.revoked or {}) do
        local kind, id = r[1], r[2]
        -- `u` names a user: every entry of theirs goes back to the signer, which knows which of
        -- their tokens came before the revocation (a login after it passes there, as it should).
        if (kind == "t" or kind == "s" or kind == "u") and type(id) == "string" then
            local ok, err = revoked:safe_set(kind .. ":" .. id, true, keep)
            if not ok then
                -- Full: no revocation may be forgotten, so nothing cached may be trusted.
                retire_all("revocation dict full: " .. tostring(err))
                revoked:flush_expired(1000)
            end
        end
    end
    remember_position(page.instance, tonumber(page.seq) or 0)
    return page.more == true
end

local function valid_page(page)
    return type(page) == "table" and type(page.instance) == "string" and find(page.instance, "^[%w_-]+$") ~= nil
end

local function poll_once()
    local n = #conf.signers
    local last_err = "no signer configured"
    for attempt = 1, n do
        local i = (feed.next_signer + attempt - 2) % n + 1
        local body, err = get(conf.signers[i], feed_path())
        if body then
            local page = cjson.decode(body)
            if not valid_page(page) then return false, "not a feed page" end
            -- Stay with a signer that answers: fewer windows to read.
            feed.next_signer = i
            for _ = 1, 100 do
                if not apply(page) then break end
                body, err = get(conf.signers[i], feed_path())
                if not body then return false, err end
                page = cjson.decode(body)
                if not valid_page(page) then return false, "not a feed page" end
            end
            feed.heard_at = now()
            revoked:safe_set("heard_at", feed.heard_at)
            return true
        end
        last_err = conf.signers[i] .. ": " .. tostring(err)
    end
    return false, last_err
end

-- Whether this worker said it lost the feed: said once when it goes stale, once when it is back.
local said_stale = false

local function poll(premature)
    if premature or polling then return end
    polling = true
    local ok, result, err = pcall(poll_once)
    polling = false
    if not ok then err = result end
    if ok and result then
        if said_stale then ngx.log(ngx.WARN, "tokengate identity cache: revocation feed back") end
        said_stale = false
    elseif not said_stale and now() - feed.heard_at > conf.stale_after then
        said_stale = true
        ngx.log(ngx.WARN, "tokengate identity cache: no revocation feed (", err, "): answering every request through the signer until it is back")
    end
end

--- Called in init_worker_by_lua: every worker polls the feed itself.
function M.start_worker()
    identities = shared.tokengate_identities
    revoked = shared.tokengate_revoked
    if not identities or not revoked then
        ngx.log(ngx.ERR, "tokengate identity cache: lua_shared_dict tokengate_identities and tokengate_revoked are required")
        return
    end
    ngx.timer.at(0, poll)
    local ok, err = ngx.timer.every(conf.poll_interval, poll)
    if not ok then ngx.log(ngx.ERR, "tokengate identity cache: cannot start the feed timer: ", err) end
end

-- A control character in a header value (but tab): nginx lets it through, the signer's HTTP parser
-- answers 400 with no answer nginx can read in a subrequest. Refused here as the stock front
-- refuses it (its auth_request turns the signer's 400 into the same JSON 400).
local CONTROL = "[%z\1-\8\11\12\14-\31\127]"

-- Whether the request is one the signer refuses whatever its token, and how: `identity` (a
-- header in the gateway's X-Auth-* namespace: the signer answers 401) or `malformed`.
local function signer_refuses()
    local ok, raw = pcall(ngx.req.raw_header, true)
    if ok and raw then
        if find(raw, "^[Xx]%-[Aa][Uu][Tt][Hh]%-") or find(raw, "\n[Xx]%-[Aa][Uu][Tt][Hh]%-") then return "identity" end
        -- CONTROL leaves out tab, CR and LF: the line ends of a raw header.
        if find(raw, CONTROL) then return "malformed" end
        return nil
    end
    -- HTTP/2 has no raw header: ask the parsed ones.
    for name, value in pairs(ngx.req.get_headers(200, true)) do
        if sub(lower(name), 1, 7) == "x-auth-" then return "identity" end
        if type(value) == "string" and find(value, CONTROL) then return "malformed" end
    end
    return nil
end

local SEP = "\0"
local fields = {}

-- Splits an entry into `fields` (reused: a worker runs one handler at a time), answering the count.
local function split(value)
    local n, pos = 0, 1
    while true do
        local z = find(value, SEP, pos, true)
        n = n + 1
        if not z then fields[n] = sub(value, pos) return n end
        fields[n] = sub(value, pos, z - 1)
        pos = z + 1
    end
end

-- Entry: tag, jti, sid, sub, roles, claims, kind, then claim variable/value pairs.
local function serve_hit(key, value, tag)
    local n = split(value)
    if n < 7 or fields[1] ~= tag then return false end
    if revoked:get("t:" .. fields[2]) or (fields[3] ~= "-" and revoked:get("s:" .. fields[3])) or revoked:get("u:" .. fields[4]) then
        identities:delete(key)
        return false
    end
    var.tokengate_sub = fields[4]
    var.tokengate_roles = fields[5]
    var.tokengate_claims = fields[6]
    var.tokengate_kind = fields[7]
    for i = 8, n - 1, 2 do var[fields[i]] = fields[i + 1] end
    return true
end

local function header(res, name)
    local v = res.header[name]
    if type(v) == "table" then v = v[1] end
    return v
end

-- The claim headers of a pass (X-Auth-<Name> besides the four), as `tokengate nginx-claims` names their variables.
local BASE = { ["x-auth-sub"] = true, ["x-auth-roles"] = true, ["x-auth-claims"] = true, ["x-auth-kind"] = true }

local function apply_pass(res, key, tag)
    local sub_ = header(res, "X-Auth-Sub") or ""
    local roles = header(res, "X-Auth-Roles") or ""
    local claims = header(res, "X-Auth-Claims") or ""
    local kind = header(res, "X-Auth-Kind") or ""
    var.tokengate_sub, var.tokengate_roles, var.tokengate_claims, var.tokengate_kind = sub_, roles, claims, kind
    var.tokengate_access_cookie = header(res, "X-Tokengate-Access-Cookie") or ""
    var.tokengate_refresh_cookie = header(res, "X-Tokengate-Refresh-Cookie") or ""
    local extra = {}
    for name, value in pairs(res.header) do
        local l = lower(name)
        if sub(l, 1, 7) == "x-auth-" and not BASE[l] then
            local variable = "tokengate_claim_" .. gsub(sub(l, 8), "-", "_")
            if type(value) == "table" then value = value[1] end
            -- Only the claim headers this nginx was configured for (tokengate-claims.conf) exist.
            if pcall(function() var[variable] = value end) then
                extra[#extra + 1] = variable
                extra[#extra + 1] = value
            end
        end
    end
    local mark = header(res, "X-Tokengate-Cacheable")
    if not (key and mark) then return end
    local ttl, jti, sid = match(mark, "^(%d+) ([%w_-]+) ([%w_-]+)$")
    ttl = tonumber(ttl)
    -- Kept only if nothing was retired while the signer was asked, and never longer than the feed allows.
    if not ttl or ttl < 1 or current_tag() ~= tag then return end
    if ttl > feed.max_ttl then ttl = feed.max_ttl end
    if ttl < 1 then return end
    local value = concat({ tag, jti, sid, sub_, roles, claims, kind }, SEP)
    if #extra > 0 then value = value .. SEP .. concat(extra, SEP) end
    identities:set(key, value, ttl)
end

--- access_by_lua in a protected location: a cached identity, or the signer's answer applied.
function M.access()
    local key, tag
    if identities and feed.heard_at >= 0 and now() - feed.heard_at < conf.stale_after then
        tag = current_tag()
        local auth, cookie = var.http_authorization, var.http_cookie
        -- A token in the query is the signer's to read (two of them are refused), and never cached
        -- (the signer does not mark it either). The raw URI: $args is already without `jwt=` here.
        if tag and (auth or cookie) and not find(var.request_uri, "jwt=", 1, true) then
            if feed.scope == "any" then
                key = sha1_bin("any" .. SEP .. (auth or "") .. SEP .. (cookie or ""))
            else
                key = sha1_bin(var.request_method .. SEP .. var.request_uri .. SEP .. (auth or "") .. SEP .. (cookie or ""))
            end
            local value = identities:get(key)
            if value then
                local refusal = signer_refuses()
                if refusal == "malformed" then
                    var.tokengate_auth_status = "400"
                    return ngx.exec("@tokengate_auth_failed")
                end
                if not refusal and serve_hit(key, value, tag) then return end
            end
        end
    end

    -- The signer's parser refuses such a request in a way a subrequest cannot read: refused here.
    if signer_refuses() == "malformed" then
        var.tokengate_auth_status = "400"
        return ngx.exec("@tokengate_auth_failed")
    end
    local res = capture("/_auth")
    local status = res.status
    if status >= 200 and status < 300 then
        return apply_pass(res, key, tag)
    end
    var.tokengate_access_cookie = header(res, "X-Tokengate-Access-Cookie") or ""
    var.tokengate_refresh_cookie = header(res, "X-Tokengate-Refresh-Cookie") or ""
    if status == 401 then
        var.tokengate_location = header(res, "X-Tokengate-Location") or ""
        local challenge = header(res, "WWW-Authenticate")
        if challenge then ngx.header["WWW-Authenticate"] = challenge end
        return ngx.exit(401)
    end
    if status == 403 then
        var.tokengate_page = header(res, "X-Tokengate-Page") or ""
        return ngx.exit(403)
    end
    -- What auth_request does with anything else: 500, with the signer's status for the error page.
    var.tokengate_auth_status = tostring(status)
    return ngx.exit(500)
end

return M
