-- GET BENCH_PATH; with BENCH_USERS set, each thread sends its own user's token (bench/out/users.tsv),
-- with BENCH_TOKEN set, every request sends that token. Prints one JSON line of results.
-- BENCH_PATHS ("a|b|c"): each request picks one of these paths at random instead.
-- BENCH_CLIENTS=N: requests come from N client addresses in turn (X-Forwarded-For; the server trusts one hop),
-- as many shoppers do, so per-client rate limits apply as in production.
-- BENCH_DISTINCT=1: every request is a distinct list query (min_price=0.01, 0.02, ...).
local path = os.getenv("BENCH_PATH")
local threads = {}
local counter = 0

local function read_users()
  local users = {}
  for line in io.lines(os.getenv("BENCH_USERS")) do
    local token, address = line:match("([^\t]+)\t(%d+)")
    users[#users + 1] = {token = token, address = address}
  end
  return users
end

function setup(thread)
  counter = counter + 1
  thread:set("index", counter)
  threads[#threads + 1] = thread
end

function init(args)
  local token = os.getenv("BENCH_TOKEN")
  if os.getenv("BENCH_USERS") then
    local users = read_users()
    token = users[((index - 1) % #users) + 1].token
  end
  if token then
    wrk.headers["Authorization"] = "Bearer " .. token
  end
  paths = {}
  for p in string.gmatch(os.getenv("BENCH_PATHS") or "", "[^|]+") do paths[#paths + 1] = p end
  clients = tonumber(os.getenv("BENCH_CLIENTS") or "0")
  distinct = os.getenv("BENCH_DISTINCT")
  sent = 0
  math.randomseed(index * 7919)
end

function request()
  sent = sent + 1
  local target = path
  if #paths > 0 then
    target = paths[math.random(1, #paths)]
  end
  if distinct then
    local cents = sent * 2 + index - 1  -- two threads, never the same query
    target = string.format("/api/products?per_page=20&min_price=%d.%02d", math.floor(cents / 100), cents % 100)
  end
  local headers = nil
  if clients > 0 then
    local n = (index * 7919 + sent) % clients
    headers = {["X-Forwarded-For"] = string.format("10.%d.%d.%d", math.floor(n / 65536), math.floor(n / 256) % 256, n % 256)}
  end
  return wrk.format("GET", target, headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
