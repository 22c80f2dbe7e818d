-- W3: each request presents the cookie of one of the pre-written sessions, chosen at random.
-- Set by run.sh: SESSION_COOKIE (cookie name), SESSION_COUNT (sessions seeded).
local name = os.getenv("SESSION_COOKIE")
local count = tonumber(os.getenv("SESSION_COUNT"))

function setup(thread)
  thread:set("seed", math.random(1, 1000000))
end

function init()
  math.randomseed(seed)
end

function request()
  local id = math.random(0, count - 1)
  return wrk.format("GET", nil, { ["Cookie"] = name .. "=bench-session-" .. id })
end
