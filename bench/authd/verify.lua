-- POST /v1/verify with one licence as application/cbor (LICENCE: its file).
package.path = os.getenv("BENCH_DIR") .. "/?.lua;" .. package.path
require "common"
expected_status = 200
wrk.method = "POST"
wrk.path = "/v1/verify"
wrk.body = read_file(os.getenv("LICENCE"))
wrk.headers["content-type"] = "application/cbor"
wrk.headers["authorization"] = "Bearer " .. os.getenv("TOKEN")
