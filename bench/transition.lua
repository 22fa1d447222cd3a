-- wrk script for the order_transition scenario: every request moves a different order of
-- the pool bench/orders.py created (ids BENCH_POOL_FIRST..BENCH_POOL_LAST, all in the
-- flow's initial status, version 1) to BENCH_TO, so every request is a valid transition.
-- Thread t of n takes ids first+t, first+t+n, ...; past the pool the move is refused
-- (non-2xx), and the run reports it instead of measuring refusals.
dofile(os.getenv("BENCH_REPORT_LUA"))

local first = tonumber(os.getenv("BENCH_POOL_FIRST"))
local last = tonumber(os.getenv("BENCH_POOL_LAST"))
local threads = tonumber(os.getenv("BENCH_THREADS"))
local target = os.getenv("BENCH_TO")
local started = 0

function setup(thread)
  thread:set("offset", started)
  started = started + 1
end

function init(args)
  next_id = first + offset
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["HX-Request"] = "true"
  wrk.headers["X-CSRFToken"] = os.getenv("BENCH_CSRF")
end

function request()
  local id = next_id
  next_id = next_id + threads
  if id > last then id = last end
  return wrk.format(nil, "/orders/board/" .. id .. "/move", nil, "to=" .. target .. "&version=1")
end
