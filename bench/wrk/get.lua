-- GET BENCH_PATH; with BENCH_USERS set, each thread sends its own user's token (bench/out/users.tsv),
-- with BENCH_TOKEN set, every request sends that token. Prints one JSON line of results.
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
end

function request()
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
