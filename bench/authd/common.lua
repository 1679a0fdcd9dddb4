-- Shared by the bench/authd wrk scripts: deterministic, valid resident identity numbers (GB 11643), so
-- issuance spreads over a million holders and lookups ask for holders that exist.
local weights = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
local checks = "10X98765432"

function person(n)
  local days = n % 16800                       -- 50 years x 12 months x 28 days
  local year = 1950 + math.floor(days / 336)
  local month = 1 + math.floor(days / 28) % 12
  local day = 1 + days % 28
  local seq = math.floor(n / 16800) % 1000
  local body = string.format("330106%04d%02d%02d%03d", year, month, day, seq)
  local sum = 0
  for i = 1, 17 do sum = sum + tonumber(body:sub(i, i)) * weights[i] end
  local c = (sum % 11) + 1
  return body .. checks:sub(c, c)
end

function read_file(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

-- Each wrk thread takes every nthreads-th number, starting at its own offset.
local threads = {}
function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end

-- The status of every answer is checked by wrk itself: `FAILURES` counts those of 400 or above
-- (summary.errors.status). No response() hook by default: with one, wrk parses every answer's headers
-- and body into Lua, which on these two cores took CPU from the server it measures. SHOW_FAILURES=1
-- adds the hook, to print the first three answers of another status than expected_status.
if os.getenv("SHOW_FAILURES") == "1" then
  local shown = 0
  function response(status, headers, body)
    if status ~= expected_status and shown < 3 then
      shown = shown + 1
      io.stderr:write("unexpected status " .. status .. ": " .. body:sub(1, 200) .. "\n")
    end
  end
end

function done(summary, latency, requests)
  io.write(string.format("FAILURES %d\n", summary.errors.status))
  io.write(string.format("P99_MS %.3f\n", latency:percentile(99) / 1000))
  io.write(string.format("P50_MS %.3f\n", latency:percentile(50) / 1000))
end

-- RATE (requests per second this wrk is to send, over its THREADS threads): requests leave on a
-- schedule, as counters' lookups arrive, instead of each connection sending its next the moment its
-- answer came. Unpaced, wrk measures the server saturated, where the mean latency is only the
-- connections over the rate (Little's law); paced, it measures the latency of a load the server
-- carries. A connection whose answer came back waits for the thread's next slot; when the server falls
-- behind the schedule it is sent at once (and the rate wrk reports says so). wrk takes the delay in
-- whole milliseconds: a request may leave up to 1 ms before its slot, and the slots keep the rate.
local rate = tonumber(os.getenv("RATE") or "0")
if rate > 0 then
  local ffi = require "ffi"
  ffi.cdef [[
    typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
    int clock_gettime(int clock, bench_timespec *ts);
  ]]
  local ts = ffi.new("bench_timespec")
  local function now_ms()
    ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
  end
  local interval = tonumber(os.getenv("THREADS") or "2") * 1000 / rate
  local slot
  function delay()
    local now = now_ms()
    slot = (slot or now) + interval
    return slot > now and slot - now or 0
  end
end
