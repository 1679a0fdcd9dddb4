-- GET /healthz: the baseline every figure is compared with.
package.path = os.getenv("BENCH_DIR") .. "/?.lua;" .. package.path
require "common"
expected_status = 200
wrk.path = "/healthz"
