-- bench/wrk/report.lua: the wrk script bench/runner drives every load cell
-- with (wrk -s bench/wrk/report.lua ... http://127.0.0.1:PORT/PATH).
--
-- Requests: the same GET the Go generator (bench/load, bench/runner's
-- request()) sends: the path and query come from the URL, wrk adds
-- "Host: 127.0.0.1:PORT" itself, and the headers below are the ones
-- /headers reads. The request is built once per thread (no request()
-- function) and no response() function is defined, so wrk never calls into
-- Lua per request: defining either would multiply its CPU cost.
--
-- Output: done() prints one JSON line after wrk's usual summary, which the
-- runner parses (bench/runner/wrk.go). Times are in µs. wrk counts a
-- response with a status above 399 as errors.status; everything else that
-- completed is "ok" (the servers answer 200; a 3xx would count as ok).
-- Latencies are of every completed response, whatever its status.
-- "quantiles_us" is [percentile, µs] at a fixed grid, fine at the tail;
-- the runner rebuilds a histogram from it so that cells can be merged
-- across rounds.

wrk.method = "GET"
wrk.headers["User-Agent"] = "ahoy-bench/1.0"
wrk.headers["Accept"] = "*/*"
wrk.headers["Cookie"] = "session=abc; theme=dark"

-- The percentile grid: every 1 % up to 99, every 0.1 % to 99.9, 99.95 and
-- 99.99, then max. Each latency:percentile() scans wrk's per-µs counts
-- from the minimum, so a hundred of them cost a few ms at most.
local grid = {}
for p = 1, 99 do grid[#grid + 1] = p end
for p = 991, 999 do grid[#grid + 1] = p / 10 end
grid[#grid + 1] = 99.95
grid[#grid + 1] = 99.99

function done(summary, latency, requests)
  local e = summary.errors
  local q = {}
  if summary.requests > 0 and latency.max > 0 then
    -- A point is left out when the next one has the same value: the
    -- runner reads [p, v] as "p % of the latencies are at most v".
    local prevP, prevV
    for _, p in ipairs(grid) do
      local v = latency:percentile(p)
      if prevV and v ~= prevV then
        q[#q + 1] = string.format("[%g,%d]", prevP, prevV)
      end
      prevP, prevV = p, v
    end
    if prevV ~= latency.max then
      q[#q + 1] = string.format("[%g,%d]", prevP, prevV)
    end
    q[#q + 1] = string.format("[100,%d]", latency.max)
  end
  local p50, p99, mean = 0, 0, 0
  if #q > 0 then
    p50, p99, mean = latency:percentile(50), latency:percentile(99), latency.mean
  end
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"ok":%d,"non_2xx":%d,' ..
    '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,' ..
    '"p50_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,"quantiles_us":[%s]}\n',
    summary.requests, summary.duration, summary.bytes,
    summary.requests - e.status, e.status,
    e.connect, e.read, e.write, e.timeout,
    p50, p99, latency.max, mean, table.concat(q, ",")))
end
