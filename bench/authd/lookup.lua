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

function request()
  local path = "/v1/holders/" .. person(math.random(0, holders - 1)) ..
               "/licences?matter=" .. matter .. "&use_cause=%E4%B8%8D%E5%8A%A8%E4%BA%A7%E7%99%BB%E8%AE%B0" .. verify
  return wrk.format("GET", path, {["authorization"] = "Bearer " .. token})
end
