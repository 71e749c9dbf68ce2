-- sandbox.lua - rh.sandbox: running a Lua file a user wrote to steer a study (a prune policy,
-- a weight-decay schedule) as data rather than as a program with the whole standard library.
--
-- rh.sandbox.load(path, {what = "policy", budget = N, require = {"problem2.net"}}) loads the
-- file as text (no bytecode) in a fresh environment and returns what it returns. The
-- environment holds the pure parts of Lua (math, string, table, utf8, pairs, pcall, ...),
-- os.clock/time/date, print, a view of `rh` without its files and processes (no rh.io,
-- rh.proc, rh.mpi, rh.log, rh.plot, rh.save, rh.load), and require of the listed modules
-- only. Reading any other global (io, os.execute, load, debug, package, coroutine, ...) is an
-- error naming the file and the name; os.exit is an error too, so a file cannot end a study
-- with status 0. The chunk and every function in the table it returns run under an
-- instruction budget (default rh.sandbox.BUDGET Lua instructions a call): past it, the call
-- is stopped with an error naming the file. What the budget cannot see: time spent inside
-- one C function (a huge string.rep, a long pattern match) and memory.
local rh = require "rankhost"

local M = {}
M.BUDGET = 100000000 -- about 0.1 to 1 s of Lua a call; the shipped policies use thousands

local SAFE_GLOBALS = { "assert", "error", "ipairs", "next", "pairs", "pcall", "print", "rawequal", "rawget",
  "rawlen", "rawset", "select", "setmetatable", "tonumber", "tostring", "type", "xpcall", "_VERSION" }
local SAFE_LIBS = { "math", "string", "table", "utf8" }
local RH_VISIBLE = { "Tensor", "addmm", "arange", "clock", "device", "empty", "eye", "full", "generator", "json",
  "linalg", "matmul", "nn", "ones", "rand", "randn", "rank", "seed", "tensor", "version", "zeros", "zeros_like" }

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

-- Runs fn(...) under a count hook of `budget` instructions. Past the budget the hook raises at
-- every instruction of any function but this runner, so a pcall inside the file cannot
-- swallow the stop: each frame it returns to raises again, up to the runner's own pcall.
local depth = 0 -- a call from inside a sandboxed call counts against the outer budget
local function run(label, budget, fn, ...)
  if depth > 0 then return fn(...) end
  local old_hook, old_mask, old_count = debug.gethook()
  -- a hook set from C (a fuzzer's, a profiler's) reads as a string and cannot be put back from
  -- Lua: it is left alone, and whoever set it bounds the call
  if old_hook ~= nil and type(old_hook) ~= "function" then return fn(...) end
  local runner = debug.getinfo(1, "f").func
  local over = false
  local function hook()
    if debug.getinfo(2, "f").func == runner then return end
    if not over then
      over = true
      debug.sethook(hook, "", 1)
    end
    error(string.format("%s ran more than %d Lua instructions (an endless loop?)", label, budget), 0)
  end
  depth = depth + 1
  debug.sethook(hook, "", budget)
  local res = table.pack(pcall(fn, ...))
  depth = depth - 1
  if old_hook then debug.sethook(old_hook, old_mask, old_count) else debug.sethook() end
  if not res[1] then error(res[2], 0) end
  return table.unpack(res, 2, res.n)
end
M.run = run

-- A table whose missing names are errors naming the file and the name (not a nil to call).
local function strict(t, label, prefix)
  return setmetatable(t, { __index = function(_, k)
    error(string.format("%s: '%s%s' is not available here (the file runs sandboxed: no io, os.execute, load, "
                        .. "debug, files or processes)", label, prefix, tostring(k)), 2)
  end })
end

local function environment(label, allowed)
  local env = {}
  for _, k in ipairs(SAFE_GLOBALS) do env[k] = _G[k] end
  for _, k in ipairs(SAFE_LIBS) do env[k] = copy(_G[k]) end
  env.getmetatable = function(v) if type(v) ~= "string" then return getmetatable(v) end end
  env.os = strict({ clock = os.clock, time = os.time, date = os.date, difftime = os.difftime,
    exit = function() error(label .. ": os.exit is not allowed (an error ends the study with a failure status)", 2) end },
    label, "os.")
  local view = {}
  for _, k in ipairs(RH_VISIBLE) do view[k] = rh[k] end
  env.rh = strict(view, label, "rh.")
  local ok_modules = {}
  for _, name in ipairs(allowed or {}) do ok_modules[name] = true end
  env.require = function(name)
    if not ok_modules[name] then
      error(string.format("%s: require '%s' is not allowed here (allowed: %s)", label, tostring(name),
                          #(allowed or {}) > 0 and table.concat(allowed, ", ") or "none"), 2)
    end
    return require(name)
  end
  env._G = env
  return strict(env, label, "")
end

-- rh.sandbox.load(path [, opts]) -> the value the file returns (a table's functions wrapped
-- to run under the budget too), or nil and a message (a file that cannot be read or parsed,
-- or whose chunk fails or runs past the budget).
function M.load(path, opts)
  opts = rh.check_options("sandbox.load", opts, { "what", "budget", "require" }, 2) or {}
  local label = (opts.what or "file") .. " " .. path
  local budget = opts.budget or M.BUDGET
  if math.type(budget) ~= "integer" or budget < 1 then error("sandbox.load: budget must be an integer >= 1", 2) end
  local chunk, err = loadfile(path, "t", environment(label, opts.require))
  if not chunk then return nil, err end
  local ok, v = pcall(run, label, budget, chunk)
  if not ok then return nil, tostring(v) end
  if type(v) == "table" then
    for k, f in pairs(v) do
      if type(f) == "function" then v[k] = function(...) return run(label, budget, f, ...) end end
    end
  end
  return v
end

return M
