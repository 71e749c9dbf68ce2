-- test_sandbox.lua - policies and schedules run sandboxed (rh.sandbox through
-- scripts/problem2/plugins.lua, issue 24 item 7): a policy that calls os.exit(0), opens a
-- file, runs a command, loops forever (also inside its own pcall), requires a module or reads
-- rh.io is refused with a message naming the policy file; the shipped policies and schedules
-- still load and answer as before.
local T = require "testlib"
local src = os.getenv("RH_SOURCE") or "."
package.path = src .. "/scripts/?.lua;" .. package.path
local plugins = require "problem2.plugins"

local dir = rh.io.mkdtemp("rh-test-sandbox")
local function policy_file(name, body)
  local p = dir .. "/" .. name .. ".lua"
  local f = assert(io.open(p, "w"))
  f:write(body)
  f:close()
  return p
end
local stats = { { width = 8, rank = { energy = 3 } }, { width = 6, rank = { energy = 2 } } }
local ctx = { iteration = 1, options = { fraction = 0.5 } }
-- loads `body` as a policy and asks it for widths: the load's or the call's error message
local function refusal(name, body)
  local p = policy_file(name, body)
  local pol, err = plugins.load("policy", dir, "policies", p, "widths")
  if not pol then return err, p end
  local ok, e = pcall(plugins.widths, pol, stats, ctx, 1)
  return ok and "accepted" or tostring(e), p
end
local function refused(what, pattern, name, body)
  local msg, p = refusal(name, body)
  T.ok(msg:find(p, 1, true), what .. ": the message names the policy file: " .. msg)
  T.ok(msg:find(pattern, 1, true), what .. ": expected '" .. pattern .. "' in: " .. msg)
end

-- a smaller budget keeps the endless loops below short (the default is rh.sandbox.BUDGET)
local default_budget = rh.sandbox.BUDGET
rh.sandbox.BUDGET = 2000000
local widths = "widths = function(stats) local w = {} for i, s in ipairs(stats) do w[i] = s.width end return w end"
refused("os.exit(0) when loaded", "os.exit is not allowed", "exit_load", "os.exit(0)\nreturn { " .. widths .. " }")
refused("os.exit(0) deciding", "os.exit is not allowed", "exit_call", "return { widths = function() os.exit(0) end }")
refused("io.open", "'io' is not available here", "io_open",
  "return { widths = function() local f = io.open('/etc/passwd') return { 1, 1 } end }")
refused("os.execute", "'os.execute' is not available here", "execute",
  "return { widths = function() os.execute('touch " .. dir .. "/pwned') return { 1, 1 } end }")
T.ok(not rh.io.exists(dir .. "/pwned"), "os.execute ran nothing")
refused("an endless loop when loaded", "ran more than 2000000 Lua instructions", "loop_load", "while true do end")
refused("an endless loop deciding", "ran more than 2000000 Lua instructions", "loop_call",
  "return { widths = function() local n = 0 while true do n = n + 1 end end }")
refused("an endless loop that catches its own stop", "ran more than 2000000 Lua instructions", "loop_pcall",
  "return { widths = function() while true do pcall(function() while true do end end) end end }")
refused("an endless loop through its own wrapped functions", "ran more than 2000000 Lua instructions", "loop_self",
  "local P = {}\nP.step = function() return 1 end\nP.widths = function() while true do P.step() end end\nreturn P")
refused("require of another module", "require 'os' is not allowed here", "req", "local o = require 'os'\nreturn { " .. widths .. " }")
refused("rh.io", "'rh.io' is not available here", "rhio",
  "return { widths = function() rh.io.write_atomic('" .. dir .. "/x', 'x') return { 1, 1 } end }")
refused("load of a string", "'load' is not available here", "load", "return { widths = function() return load('return {1,1}')() end }")
refused("debug", "'debug' is not available here", "dbg", "debug.sethook() return { " .. widths .. " }")
refused("a bytecode file", "attempt to load a binary chunk", "bytecode", string.dump(function() return {} end))

rh.sandbox.BUDGET = default_budget

-- what a policy legitimately uses is there: math, string, table, ipairs, tensors, nn, rank,
-- require of problem2.net, os.clock, print
local good = policy_file("good", [[
local Net = require "problem2.net"
assert(type(Net) == "table")
local t0 = os.clock()
return {
  widths = function(stats, ctx)
    local w = {}
    for i, s in ipairs(stats) do w[i] = math.max(1, math.floor(s.width * ctx.options.fraction)) end
    local x = rh.ones(2, 2):sum()
    assert(string.format("%d", #w) == "2" and table.concat(w, ",") ~= "" and os.clock() >= t0 and x)
    return w
  end,
}]])
local pol = assert(plugins.load("policy", dir, "policies", good, "widths"))
T.eq(table.concat(plugins.widths(pol, stats, ctx, 1), ","), "4,3", "a policy using the allowed library works")

-- the shipped policies and schedules load sandboxed and answer
local shipped = src .. "/scripts/problem2"
for _, name in ipairs { "effective", "energy", "fraction", "numerical", "relative", "widen" } do
  T.ok(plugins.load("policy", shipped, "policies", name, "widths"), "shipped policy " .. name .. " loads")
end
local o = { weight_decay = 1e-3, wd_final = 1e-2, lr = 0.1, max_iters = 4, gamma = 0.5 }
for _, name in ipairs { "constant", "cosine", "gamma" } do
  local s = assert(plugins.load("schedule", shipped, "schedules", name, "weight_decay"))
  local wd, lr = plugins.hyper(s, 0, { iteration = 0, options = o })
  T.near(wd, 1e-3, 1e-12, "schedule " .. name .. " starts at --weight-decay")
  T.near(lr, 0.1, 1e-12, "schedule " .. name .. " starts at --lr")
end
local g = assert(plugins.load("schedule", shipped, "schedules", "gamma", "weight_decay"))
T.near(plugins.hyper(g, 2, { iteration = 2, options = o }), 2.5e-4, 1e-12, "gamma schedule at iteration 2")

-- the budget leaves the caller's own hook as it was, and a later call runs normally
T.eq(debug.gethook(), nil, "no hook is left behind")
T.eq(rh.sandbox.run("test", 1000, function(a, b) return a + b end, 2, 3), 5, "rh.sandbox.run returns the results")

for _, name in ipairs(rh.io.listdir(dir)) do os.remove(dir .. "/" .. name) end
os.remove(dir)
T.done()
