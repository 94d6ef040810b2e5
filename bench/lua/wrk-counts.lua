-- wrk script of `npm run bench` (bench/load/wrk.ts runs it). It counts every answer by status and
-- checks each against what its request expects, then prints `tg-bench ...` lines that
-- bench/load/wrk-report.ts reads. Arguments after the URL, as name=value:
--   expect=0|<status>   what a fixed request must get (0: any 2xx)
--   headers=<file>      `Name: value` lines sent with every request
--   method=<M>          body=<file>: the request's method and body
--   tokens=<prefix>     a token mix: thread i reads <prefix>-<i>.txt, lines `<expect> <kind> <token>`,
--                       and sends them in turn as `Authorization: Bearer`. With a mix of expected
--                       answers, wrk runs one connection per thread, so each answer belongs to the
--                       request sent before it, unless `echo=1`. Past the end of its list a thread
--                       starts again, and counts those requests as repeats (the first-sight runs
--                       must not have any).
--   echo=1              the app echoes the request's X-Tg-Seq header: each request carries its
--                       token's line number there, so a pass (which the app answers) is matched to
--                       its token exactly on any connection; an answer without it (a refusal by the
--                       gateway) goes to the oldest request still waiting that expects a refusal,
--                       or counts as kind `unmatched` (a valid token refused) when there is none.

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

local expect, kind = 0, "fixed"
local tokens, expects, kinds_of, count, sent = {}, {}, {}, 0, 0
-- A token's request is `head .. Authorization (.. X-Tg-Seq) .. tail`: built per request, since
-- formatting a hundred thousand requests up front (first sight) made wrk slow to start.
local head, tail
local echo = false
-- Line numbers of the requests sent that expect a refusal and have no answer yet, oldest first;
-- `passed[line]` counts those the app answered after all (a wrong pass), to be skipped.
local refusals, first_refusal, last_refusal, passed = {}, 1, 0, {}
-- A number global, so done() can read it with thread:get().
repeats = 0

local function option(args, name)
  for i = 1, #args do
    local k, v = args[i]:match("^([%w_]+)=(.*)$")
    if k == name then return v end
  end
end

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local function next_request()
  local at = sent % count + 1
  sent = sent + 1
  if sent > count then repeats = sent - count end
  expect, kind = expects[at], kinds_of[at]
  if echo and expect ~= 0 then
    last_refusal = last_refusal + 1
    refusals[last_refusal] = at
  end
  local seq = echo and ("X-Tg-Seq: " .. at .. "\r\n") or ""
  return head .. "Authorization: Bearer " .. tokens[at] .. "\r\n" .. seq .. tail
end

-- The request an answer belongs to when the app echoed nothing: the oldest waiting refusal.
local function take_refusal()
  while first_refusal <= last_refusal do
    local at = refusals[first_refusal]
    refusals[first_refusal] = nil
    first_refusal = first_refusal + 1
    if (passed[at] or 0) == 0 then return at end
    passed[at] = passed[at] - 1
  end
  return nil
end

local function load_tokens(path)
  wrk.headers["Authorization"] = nil
  local base = wrk.format()
  local blank = assert(base:find("\r\n\r\n", 1, true), "no end of headers in the request")
  head, tail = base:sub(1, blank + 1), base:sub(blank + 2)
  for line in io.lines(path) do
    local want, k, token = line:match("^(%d+) (%S+) (%S+)$")
    if want then
      count = count + 1
      tokens[count], expects[count], kinds_of[count] = token, tonumber(want), k
    end
  end
  assert(count > 0, "no tokens in " .. path)
  request = next_request
end

function init(args)
  expect = tonumber(option(args, "expect") or "0")
  local headers = option(args, "headers")
  if headers then
    for line in io.lines(headers) do
      local name, value = line:match("^([^:]+): (.*)$")
      if name then wrk.headers[name] = value end
    end
  end
  wrk.method = option(args, "method") or wrk.method
  local body = option(args, "body")
  if body then wrk.body = slurp(body) end
  echo = option(args, "echo") == "1"
  local tokens = option(args, "tokens")
  if tokens then load_tokens(tokens .. "-" .. thread_index .. ".txt") end
  -- The process's CPU so far: reading the token files is not load (wrk inits its threads in turn,
  -- before any starts), so done() counts from the last of these.
  init_cpu = os.clock()
end

-- Counts live in plain number globals (status_<code>, answers_<kind>, unexpected_<kind>) named in
-- the string globals `codes` and `kind_names`: wrk's thread:get() copies tables wrongly (it pops the
-- thread's stack once too often, and wrk 4.1 crashes now and then), numbers and strings safely.
codes, kind_names = "", ""
local status_count, status_name, kind_count = {}, {}, {}

local function count_status(status)
  local name = status_name[status]
  if not name then
    name = "status_" .. status
    status_name[status], status_count[status] = name, 0
    codes = codes .. status .. " "
  end
  local n = status_count[status] + 1
  status_count[status] = n
  _G[name] = n
end

local function count_kind(ok)
  local c = kind_count[kind]
  if not c then
    c = { answers = 0, unexpected = 0, a = "answers_" .. kind, u = "unexpected_" .. kind }
    kind_count[kind] = c
    kind_names = kind_names .. kind .. " "
    _G[c.u] = 0
  end
  c.answers = c.answers + 1
  _G[c.a] = c.answers
  if not ok then
    c.unexpected = c.unexpected + 1
    _G[c.u] = c.unexpected
  end
end

function response(status, headers)
  count_status(status)
  if echo then
    local line = tonumber(headers["X-Tg-Seq"] or headers["x-tg-seq"] or "")
    if line and expects[line] and expects[line] ~= 0 then passed[line] = (passed[line] or 0) + 1 end
    if not line then line = take_refusal() end
    if line and expects[line] then
      expect, kind = expects[line], kinds_of[line]
    else
      expect, kind = -1, "unmatched"
    end
  end
  if expect == 0 then count_kind(status >= 200 and status < 300) else count_kind(status == expect) end
end

local function words(s)
  local out = {}
  for w in s:gmatch("%S+") do out[#out + 1] = w end
  return out
end

function done(summary, latency)
  local e = summary.errors
  local started_cpu = 0
  for _, t in ipairs(threads) do started_cpu = math.max(started_cpu, t:get("init_cpu") or 0) end
  local out = {
    string.format("tg-bench run answers=%d duration_us=%d p50_us=%d p99_us=%d cpu_s=%.3f connect=%d read=%d write=%d timeout=%d",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), os.clock() - started_cpu,
      e.connect, e.read, e.write, e.timeout),
  }
  local all_statuses, all_kinds, order, all_repeats = {}, {}, {}, 0
  for _, t in ipairs(threads) do
    all_repeats = all_repeats + t:get("repeats")
    for _, code in ipairs(words(t:get("codes"))) do
      all_statuses[code] = (all_statuses[code] or 0) + t:get("status_" .. code)
    end
    for _, k in ipairs(words(t:get("kind_names"))) do
      if not all_kinds[k] then
        all_kinds[k] = { answers = 0, unexpected = 0 }
        order[#order + 1] = k
      end
      local sum = all_kinds[k]
      sum.answers = sum.answers + t:get("answers_" .. k)
      sum.unexpected = sum.unexpected + t:get("unexpected_" .. k)
    end
  end
  out[#out + 1] = string.format("tg-bench repeats %d", all_repeats)
  for code, n in pairs(all_statuses) do out[#out + 1] = string.format("tg-bench status %s %d", code, n) end
  for _, k in ipairs(order) do
    local c = all_kinds[k]
    out[#out + 1] = string.format("tg-bench kind %s answers=%d unexpected=%d", k, c.answers, c.unexpected)
  end
  io.write(table.concat(out, "\n"), "\n")
end
