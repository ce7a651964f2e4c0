-- wrk script for scripts/gatebench.sh: every request asks /gate/auth about a
-- CDA entries request; 90% carry a valid delivery token, 10% an unknown one.
local tokens = {}
local f = io.open(os.getenv("GATEBENCH_TOKENS") or "tokens.txt")
for line in f:lines() do
  local key, tok = line:match("(%S+) (%S+)")
  tokens[#tokens + 1] = { key, tok }
end
f:close()
math.randomseed(os.time())
local n = #tokens

request = function()
  local t = tokens[math.random(n)]
  local tok = t[2]
  if math.random(10) == 1 then
    tok = "cs000000000000000000000000" -- invalid: 401
  end
  wrk.headers["api_key"] = t[1]
  wrk.headers["access_token"] = tok
  wrk.headers["X-Original-Method"] = "GET"
  wrk.headers["X-Original-URI"] = "/v3/content_types/blog/entries?environment=production"
  return wrk.format("GET", "/gate/auth")
end
