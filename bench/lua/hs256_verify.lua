-- Setup (e) of `npm run bench`: the OpenResty-style reference, an HS256 check inside nginx
-- (access_by_lua), never part of tokengate's product path. It checks what the signer checks for
-- an access token signed with the secret alone (no key ring): the compact shape and length, alg
-- HS256 without kid or crit, typ, the HMAC-SHA256 signature (LuaJIT FFI to nginx's own libcrypto),
-- exp / nbf / iat with the leeway, iss and (when set) aud, and sub / roles safe for a header.
-- It does not check revocations or the policy: the OpenResty recipe had neither.
local ffi = require("ffi")
local cjson = require("cjson.safe")

ffi.cdef([[
typedef struct evp_md_st EVP_MD;
const EVP_MD *EVP_sha256(void);
unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len,
                    const unsigned char *d, size_t n, unsigned char *md, unsigned int *md_len);
]])

-- nginx is linked against libcrypto, so its symbols are already in the process.
local crypto = ffi.C
if not pcall(function() return crypto.HMAC end) then crypto = ffi.load("libcrypto.so.3") end

local MAX_TOKEN_LENGTH = 4096
local MAX_SUB_LENGTH, MAX_ROLES, MAX_ROLE_LENGTH = 256, 64, 64
local SEGMENTS = "^([%w_-]+)%.([%w_-]+)%.([%w_-]+)$"
local ACCESS_TYPS = { jwt = true, ["at+jwt"] = true }

local M = {}
local config = {}
local md = ffi.new("unsigned char[32]")
local md_len = ffi.new("unsigned int[1]")

--- Reads the secret file once, in nginx's master (before workers drop privileges); trailing
--- whitespace is not part of the secret, as src/secret/load-secret.ts reads it.
function M.init(opts)
  local f = assert(io.open(opts.secret_file, "rb"))
  local raw = f:read("*a")
  f:close()
  local secret = raw:gsub("[\r\n\t ]+$", "")
  assert(#secret >= 32, "the secret is shorter than 32 bytes")
  config = { secret = secret, issuer = opts.issuer, audience = opts.audience, skew = opts.clock_skew_s }
end

local function b64url_decode(s)
  return ngx.decode_base64((s:gsub("[-_]", { ["-"] = "+", ["_"] = "/" })))
end

local function b64url_encode(s)
  return (ngx.encode_base64(s, true):gsub("[+/]", { ["+"] = "-", ["/"] = "_" }))
end

local function hs256(data)
  crypto.HMAC(crypto.EVP_sha256(), config.secret, #config.secret, data, #data, md, md_len)
  return ffi.string(md, md_len[0])
end

local function decode_object(segment)
  local json = b64url_decode(segment)
  if not json then return nil end
  local value = cjson.decode(json)
  if type(value) ~= "table" then return nil end
  return value
end

-- Printable ASCII with no leading or trailing space (the signer's identityClaims.sub).
local function header_safe(s)
  if type(s) ~= "string" or #s == 0 or #s > MAX_SUB_LENGTH then return false end
  return s:find("^[\33-\126]$") ~= nil or s:find("^[\33-\126][\32-\126]*[\33-\126]$") ~= nil
end

-- A JSON array decodes to a table whose pairs are exactly 1..n; an object does not.
local function is_array(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n == #t
end

local function roles_of(roles)
  if roles == nil then return "" end
  if type(roles) ~= "table" or not is_array(roles) or #roles > MAX_ROLES then return nil end
  for i = 1, #roles do
    local r = roles[i]
    -- Printable ASCII without space or comma, so a role never splits in X-Auth-Roles.
    if type(r) ~= "string" or #r > MAX_ROLE_LENGTH or not r:find("^[\33-\43\45-\126]+$") then return nil end
  end
  return table.concat(roles, ",")
end

local function typ_fits(typ)
  if typ == nil then return true end
  if type(typ) ~= "string" then return false end
  return ACCESS_TYPS[typ:lower():gsub("^application/", "")] == true
end

local function audience_fits(aud)
  if config.audience == nil then return true end
  if aud == config.audience then return true end
  if type(aud) ~= "table" then return false end
  for i = 1, #aud do if aud[i] == config.audience then return true end end
  return false
end

local function session_claim_ok(v)
  return v == nil or (type(v) == "string" and #v >= 1 and #v <= 128)
end

local function token_of(authorization)
  if authorization == nil then return nil end
  local scheme, rest = authorization:match("^%s*(%S+)%s+(%S+)%s*$")
  if scheme then return scheme:lower() == "bearer" and rest or nil end
  return authorization:match("^%s*(%S+)%s*$")
end

--- The verdict on one token: its payload segment and claims, or nil and why not.
local function verify(token)
  if token == nil then return nil, "no_token" end
  if #token > MAX_TOKEN_LENGTH then return nil, "token_too_long" end
  local h, p, s = token:match(SEGMENTS)
  if not h then return nil, "malformed" end
  local header = decode_object(h)
  if not header or header.alg ~= "HS256" or header.kid ~= nil or header.crit ~= nil then return nil, "bad_header" end
  if not typ_fits(header.typ) then return nil, "wrong_token_type" end
  if b64url_encode(hs256(h .. "." .. p)) ~= s then return nil, "bad_signature" end
  local claims = decode_object(p)
  if not claims then return nil, "malformed" end
  local now, skew = ngx.time(), config.skew
  if type(claims.exp) ~= "number" or claims.exp <= now - skew then return nil, "expired" end
  if claims.nbf ~= nil and (type(claims.nbf) ~= "number" or claims.nbf > now + skew) then return nil, "not_yet_valid" end
  if claims.iat ~= nil and (type(claims.iat) ~= "number" or claims.iat > now + skew) then return nil, "iat_in_future" end
  if claims.iss ~= config.issuer or not audience_fits(claims.aud) then return nil, "invalid_claims" end
  if not header_safe(claims.sub) then return nil, "unsafe_claims" end
  local roles = roles_of(claims.roles)
  if not roles then return nil, "unsafe_claims" end
  if not session_claim_ok(claims.jti) or not session_claim_ok(claims.sid) then return nil, "bad_session_claims" end
  return { sub = claims.sub, roles = roles, payload = p }
end

--- access_by_lua: lets a valid token through with the identity in nginx variables, else 401
--- (the server's error_page writes the JSON body and the challenge).
function M.access()
  local identity = verify(token_of(ngx.var.http_authorization))
  if not identity then return ngx.exit(ngx.HTTP_UNAUTHORIZED) end
  ngx.var.tg_sub = identity.sub
  ngx.var.tg_roles = identity.roles
  -- The payload segment is already base64url of the claims' JSON, as X-Auth-Claims wants.
  ngx.var.tg_claims = identity.payload
end

return M
