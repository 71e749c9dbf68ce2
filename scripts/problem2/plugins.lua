-- plugins.lua - policies and weight-decay schedules: Lua files loaded at run time (a name of
-- a file shipped in scripts/problem2/policies or schedules, or a path), the variants of a
-- study (a schedule with its own --gamma), and the checks of what a policy or schedule
-- returns. Bad output is refused with a message that names the file and the layer.
--
-- A policy or schedule runs sandboxed (rh.sandbox, bindings/lua/sandbox.lua): the pure parts
-- of Lua and a view of rh without files or processes, require of problem2.net only, and an
-- instruction budget on loading and on every call; os.exit, io, os.execute and the like are
-- errors naming the file.
local M = {}

-- The modules a policy may require (its init may build networks with problem2.net).
M.REQUIRE = { "problem2.net" }

-- Loads a policy or schedule: `name` is a path (it has a '/' or ends in .lua) or the name of
-- a file in dir/folder. Returns the table (with .path), or nil and a message.
function M.load(kind, dir, folder, name, required)
  local path = name
  if not name:find("/", 1, true) and not name:match("%.lua$") then path = dir .. "/" .. folder .. "/" .. name .. ".lua" end
  if not rh.io.exists(path) then return nil, "cannot load " .. kind .. " '" .. name .. "': cannot open " .. path end
  local t, err = rh.sandbox.load(path, { what = kind, require = M.REQUIRE })
  if t == nil and err then return nil, kind .. " " .. path .. " failed: " .. err end
  if type(t) ~= "table" or type(t[required]) ~= "function" then
    return nil, kind .. " " .. path .. " must return a table with a function '" .. required .. "'"
  end
  if kind == "policy" and t.init ~= nil and type(t.init) ~= "function" then
    return nil, "policy " .. path .. ": init must be a function"
  end
  t.path = path
  return t
end

-- A variant "SCHEDULE[:G]": the schedule's name or path and the --gamma it runs with.
-- Returns {spec, schedule, gamma, id (for run ids), label}, or nil and a message.
function M.variant(spec, default_gamma)
  local name, g = spec:match("^(.-):([^:/]+)$")
  local gamma = default_gamma
  if name then
    gamma = tonumber(g)
    if not gamma or gamma < 0 then return nil, "--schedule " .. spec .. ": expected SCHEDULE[:GAMMA], GAMMA a number >= 0" end
  else
    name = spec
  end
  if name == "" then return nil, "--schedule: an empty schedule name" end
  local base = name:match("([^/]+)$"):gsub("%.lua$", "")
  local uses_gamma = name == "gamma" or g ~= nil
  local id = (uses_gamma and string.format("%s%g", base, gamma) or base):gsub("[^%w%.]", "")
  local label = uses_gamma and string.format("%s %g", base, gamma) or base
  return { spec = spec, schedule = name, gamma = gamma, id = id, label = label }
end

-- The options a variant's schedule sees: the study's, with the variant's gamma.
function M.variant_options(o, v)
  local vo = {}
  for k, x in pairs(o) do vo[k] = x end
  vo.gamma = v.gamma
  return vo
end

-- Weight decay and learning rate of iteration k from a schedule, checked.
function M.hyper(schedule, k, ctx)
  local wd = schedule.weight_decay(k, ctx)
  local lr = schedule.lr and schedule.lr(k, ctx) or ctx.options.lr
  if type(wd) ~= "number" or wd ~= wd or wd < 0 or type(lr) ~= "number" or lr ~= lr or lr <= 0 then
    error(string.format("schedule %s gave weight_decay=%s lr=%s at iteration %d (need numbers, wd >= 0, lr > 0)",
      schedule.path, tostring(wd), tostring(lr), k), 0)
  end
  return wd, lr
end

-- The widths a policy returned, checked: one whole number >= 1 per hidden layer (then raised
-- to min_width). Anything else is an error naming the policy file, the iteration and the layer.
function M.checked_widths(policy, w, n, min_width, k)
  local where = string.format("policy %s (deciding iteration %d)", policy.path, k)
  if type(w) ~= "table" then
    error(string.format("%s: widths() must return a list of %d widths, got %s", where, n, type(w)), 0)
  end
  if #w ~= n then
    error(string.format("%s: widths() returned %d widths for %d hidden layers", where, #w, n), 0)
  end
  local out = {}
  for i = 1, n do
    local v = w[i]
    if type(v) ~= "number" or v ~= v or v == math.huge or v == -math.huge then
      error(string.format("%s: the width of layer %d is not a number: %s", where, i, v ~= v and "NaN" or tostring(v)), 0)
    end
    if v <= 0 then error(string.format("%s: the width of layer %d is %s; a width must be >= 1", where, i, tostring(v)), 0) end
    if not math.tointeger(v) then
      error(string.format("%s: the width of layer %d is %s, not a whole number", where, i, tostring(v)), 0)
    end
    out[i] = math.max(math.tointeger(v), min_width)
  end
  return out
end

-- Calls policy.widths and checks its answer; an error inside the policy names the file too.
function M.widths(policy, stats, ctx, min_width)
  local ok, w = pcall(policy.widths, stats, ctx)
  if not ok then
    error(string.format("policy %s failed deciding iteration %d: %s", policy.path, ctx.iteration, tostring(w)), 0)
  end
  return M.checked_widths(policy, w, #stats, min_width, ctx.iteration)
end

return M
