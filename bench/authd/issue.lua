-- POST /v1/licences: one licence per request, each for another holder. Environment: TOKEN, KIND
-- (marriage: 结婚证, Ed25519 signer; property: 不动产权证书, SM2 signer; hukou: 居民户口簿, P-256 signer),
-- BASE (first holder number).
package.path = os.getenv("BENCH_DIR") .. "/?.lua;" .. package.path
require "common"
expected_status = 201
local token = os.getenv("TOKEN")
local kind = os.getenv("KIND") or "marriage"
local base = tonumber(os.getenv("BASE") or "0")
local step, n = 1, 0

function init(args)
  n = base + (offset or 0)
  step = tonumber(os.getenv("THREADS") or "2")
end

local bodies = {
  marriage = [[{"type":"11100000000013338W002","holder":{"id":"%s","name":"张三"},"elements":{"spouse_name":"李四","spouse_id":"11010119900307651X","registration_date":"2024-05-20","registration_authority":"杭州市西湖区民政局"}}]],
  hukou = [[{"type":"11100000000013338W004","holder":{"id":"%s","name":"张三"},"elements":{"household_number":"330106001234","household_head":"张三","relationship":"户主","address":"杭州市西湖区文三路1号"}}]],
  property = [[{"type":"11100000000013338W006","holder":{"id":"%s","name":"张三"},"elements":{"unit_number":"330106001001GB00001F00010001","location":"杭州市西湖区文三路1号1幢101室","ownership":"单独所有","usage":"住宅","area_m2":89}}]],
}

function request()
  local body = string.format(bodies[kind], person(n))
  n = n + step
  return wrk.format("POST", "/v1/licences", {["content-type"] = "application/json", ["authorization"] = "Bearer " .. token}, body)
end
