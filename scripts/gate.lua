-- wrk script for scripts/gatebench.sh and scripts/proxybench.sh: CDA entries
-- reads, 90% with a valid delivery token, 10% with an unknown one, random
-- for each request (so every unknown token is a cache miss the first time).
--
-- GATEBENCH_MODE=gate (default): ask nginx's way, GET /gate/auth?api=cda with
-- X-Original-Method and X-Original-URI. GATEBENCH_MODE=proxy: send the CDA
-- request itself (to a proxy listener, a reverse proxy or nginx in front).
local tokens = {}
local f = assert(io.open(os.getenv("GATEBENCH_TOKENS") or "tokens.txt"))
for line in f:lines() do
  local key, tok = line:match("(%S+) (%S+)")
  tokens[#tokens + 1] = { key, tok }
end
f:close()
local n = #tokens
local proxy = os.getenv("GATEBENCH_MODE") == "proxy"
-- GATEBENCH_UNKNOWN=fixed sends one unknown token every time instead (after
-- the first, a remembered miss): to tell the store lookups' share apart.
local fixed = os.getenv("GATEBENCH_UNKNOWN") == "fixed"
-- GATEBENCH_UNKNOWN_TENTHS: how many requests in ten carry an unknown token
-- (default 1; 0 = all valid, 10 = a flood of random tokens).
local unknown_tenths = tonumber(os.getenv("GATEBENCH_UNKNOWN_TENTHS") or "1")
local uri = "/v3/content_types/blog/entries?environment=production"

local thread_id = 0
function setup(thread)
  thread_id = thread_id + 1
  thread:set("seed", thread_id)
end

function init(args)
  math.randomseed(os.time() * 1000 + (seed or 0))
end

-- unknown returns a random token of the right shape: cs + 24 hex digits.
local function unknown()
  return string.format("cs%06x%06x%06x%06x", math.random(0, 0xffffff), math.random(0, 0xffffff),
    math.random(0, 0xffffff), math.random(0, 0xffffff))
end

request = function()
  local t = tokens[math.random(n)]
  local tok = t[2]
  if math.random(10) <= unknown_tenths then
    tok = fixed and "cs000000000000000000000000" or unknown() -- 401
  end
  local h = { ["api_key"] = t[1], ["access_token"] = tok }
  if proxy then
    return wrk.format("GET", uri, h)
  end
  h["X-Original-Method"] = "GET"
  h["X-Original-URI"] = uri
  return wrk.format("GET", "/gate/auth?api=cda", h)
end
