-- One request shape for a whole wrk run, from the environment:
--   BENCH_METHOD (GET or POST), BENCH_BODY, BENCH_CONTENT_TYPE, BENCH_API_KEY (sent as X-API-KEY when set),
--   BENCH_ACCEPT, BENCH_ACCEPT_ENCODING.
-- Browser-like headers: Sec-Fetch-Site says the request comes from the app's own page.
-- At the end, prints one line `RESULT {json}` with the counts and the latency percentiles in microseconds.
local function env(name, default)
  local v = os.getenv(name)
  if v == nil or v == "" then return default end
  return v
end

wrk.method = env("BENCH_METHOD", "GET")
if wrk.method == "POST" then
  wrk.body = env("BENCH_BODY", "")
  wrk.headers["Content-Type"] = env("BENCH_CONTENT_TYPE", "application/x-www-form-urlencoded")
end
wrk.headers["Accept"] = env("BENCH_ACCEPT", "application/json")
wrk.headers["Sec-Fetch-Site"] = "same-origin"
local key = env("BENCH_API_KEY", nil)
if key then wrk.headers["X-API-KEY"] = key end
local encoding = env("BENCH_ACCEPT_ENCODING", nil)
if encoding then wrk.headers["Accept-Encoding"] = encoding end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"non_2xx_3xx":%d,"connect_errors":%d,'
      .. '"read_errors":%d,"write_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
