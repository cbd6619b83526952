-- wrk script of bench/pages.py: counts the answers other than 200 (wrk counts only
-- status >= 400, so a redirect would pass) and prints the figures as one JSON line.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  not_200 = 0
end

function response(status, headers, body)
  if status ~= 200 then
    not_200 = not_200 + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("not_200")
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH-JSON {"requests": %d, "duration_us": %d, "bytes": %d, "not_200": %d, '
      .. '"socket_errors": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, total,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
