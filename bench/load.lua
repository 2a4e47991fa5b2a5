-- wrk script for bench/load.sh: rotates over the paths in $LOAD_PATHS_FILE (one per
-- line), sends the bearer token in $LOAD_TOKEN, and prints the figures as one line
-- of JSON that load.sh turns into the table.
local paths = {}
local token = os.getenv("LOAD_TOKEN")

function init(args)
  for line in io.lines(os.getenv("LOAD_PATHS_FILE")) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  -- Threads start at different places in the list.
  counter = math.random(#paths)
end

function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter], { ["Authorization"] = "Bearer " .. token })
end

statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p95_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"non_2xx":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, non2xx,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
