-- Each connection is one buyer (its own thread and token): add a product to the cart, check out, repeat.
-- BENCH_HOT set: every buyer buys product 1; otherwise a random product among 1..1000.
local threads = {}
local counter = 0
local hot = os.getenv("BENCH_HOT")

function setup(thread)
  counter = counter + 1
  thread:set("index", counter)
  threads[#threads + 1] = thread
end

function init(args)
  local n = 0
  for line in io.lines(os.getenv("BENCH_USERS")) do
    n = n + 1
    if n == index then
      token, address = line:match("([^\t]+)\t(%d+)")
    end
  end
  wrk.headers["Authorization"] = "Bearer " .. token
  wrk.headers["Content-Type"] = "application/json"
  checking_out, checkouts, failures = false, 0, 0
  math.randomseed(index * 7919)
end

-- What comes next is decided by the last response, not by counting requests: wrk calls request() once
-- more than it sends (to check the script), and a count would then check out a cart never filled.
function request()
  if checking_out then
    return wrk.format("POST", "/api/sales/checkout", nil,
      string.format('{"delivery_address_id": %s}', address))
  end
  local product = hot and 1 or math.random(1, 1000)
  return wrk.format("POST", "/api/sales/cart/items", nil,
    string.format('{"product_id": %d, "quantity": 1}', product))
end

function response(status, headers, body)
  if checking_out then
    if status == 201 then checkouts = checkouts + 1 else failures = failures + 1 end
    checking_out = false
  elseif status < 300 then
    checking_out = true
  else
    failures = failures + 1
  end
end

function done(summary, latency, requests)
  local total, failed = 0, 0
  for _, t in ipairs(threads) do
    total = total + t:get("checkouts")
    failed = failed + t:get("failures")
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "checkouts": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "errors": %d}\n',
    summary.requests, total, summary.duration, latency:percentile(50), latency:percentile(99),
    failed + e.connect + e.read + e.write + e.timeout))
end
