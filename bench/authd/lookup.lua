-- GET /v1/holders/{id}/licences for holders drawn at random from the first HOLDERS numbers issued
-- (with VERIFY=true, authd verifies each licence too: the counter desk's lookup). MATTER: the matter
-- (default ZJ-BDCZY-001).
package.path = os.getenv("BENCH_DIR") .. "/?.lua;" .. package.path
require "common"
expected_status = 200
local token = os.getenv("TOKEN")
local holders = tonumber(os.getenv("HOLDERS") or "1000")
local verify = os.getenv("VERIFY") == "true" and "&verify=true" or ""
local matter = os.getenv("MATTER") or "ZJ-BDCZY-001"

-- Every request formatted once, in each thread's init: formatting one per request (the number, its
-- check digit, wrk.format) was Lua work on the cores the server runs on.
local requests = {}
function init(args)
  for i = 1, holders do
    requests[i] = wrk.format("GET", "/v1/holders/" .. person(i - 1) ..
                             "/licences?matter=" .. matter .. "&use_cause=%E4%B8%8D%E5%8A%A8%E4%BA%A7%E7%99%BB%E8%AE%B0" ..
                             verify, {["authorization"] = "Bearer " .. token})
  end
end

function request()
  return requests[math.random(1, holders)]
end
