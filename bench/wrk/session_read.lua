-- W3: each request presents the cookie of one of the pre-written sessions, chosen at random.
-- Set by run.sh: SESSION_COOKIE (cookie name), SESSION_COUNT (sessions seeded).
-- The requests are formatted once in init(): request() only picks one, so wrk spends as little
-- CPU as it can per request (it shares the cores with the server).
local name = os.getenv("SESSION_COOKIE")
local count = tonumber(os.getenv("SESSION_COUNT"))
local requests = {}

function setup(thread)
  thread:set("seed", math.random(1, 1000000))
end

function init()
  math.randomseed(seed)
  for i = 0, count - 1 do
    requests[i + 1] = wrk.format("GET", nil, { ["Cookie"] = name .. "=bench-session-" .. i })
  end
end

function request()
  return requests[math.random(count)]
end
