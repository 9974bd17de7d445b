-- wrk script for bench/web.py: each request takes the next (cookie, path) pair of a list file, so
-- that many members (each with their own session cookie and their own URLs) are used.
--   wrk -c 10 -d 10s --latency -s bench/cycle.lua http://127.0.0.1:5200 -- pairs.tsv [hx]
-- pairs.tsv: one "cookie<TAB>path" a line (an empty cookie sends none). "hx" adds HX-Request: true.
-- done() prints one JSON line: requests, seconds, errors, non-200 responses, latency percentiles (µs).

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
  table.insert(threads, thread)
end

function init(args)
  items = {}
  for line in io.lines(args[1]) do
    local cookie, path = line:match("^([^\t]*)\t(.+)$")
    if path then table.insert(items, {cookie, path}) end
  end
  if #items == 0 then error("no cookie<TAB>path lines in " .. args[1]) end
  hx = args[2] == "hx"
  -- Threads start at different places in the list, so they do not ask for the same pages at once.
  position = math.floor((thread_number - 1) * #items / 4) % #items
  bad = 0
end

function request()
  position = position % #items + 1
  local item = items[position]
  local headers = {}
  if item[1] ~= "" then headers["Cookie"] = item[1] end
  if hx then headers["HX-Request"] = "true" end
  return wrk.format("GET", item[2], headers)
end

function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local non200 = 0
  for _, thread in ipairs(threads) do non200 = non200 + (thread:get("bad") or 0) end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.6f, "non200": %d, "errors": {"connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d}, "p50": %d, "p95": %d, "p99": %d, "max": %d}\n',
    summary.requests, summary.duration / 1e6, non200, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
