-- wrk script of bench/pages.py: counts the answers other than the expected status (the
-- script's argument, 200 if none; wrk counts only status >= 400, so a redirect would
-- pass) and prints the figures as one JSON line ("not_200": the unexpected answers).
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  not_200 = 0
  counter = 0
  expected = tonumber(args[1]) or 200
end

-- A path with "uncached=1" gets a new query parameter on every request, so that no
-- request is answered from the page cache (booking/pagecache.py): the cost of rendering.
function request()
  local path = wrk.path
  if string.find(path, "uncached=1", 1, true) then
    counter = counter + 1
    path = path .. "&n=" .. counter
  end
  return wrk.format(nil, path)
end

function response(status, headers, body)
  if status ~= expected then
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
