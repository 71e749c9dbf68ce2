-- p1_space.lua - problem 1's space of architectures and its run plan.
--
-- A run is identified by "p1-<seed>-<index>" (real or random labels) or
-- "p1-<seed>-t<rank>-<j>" (the teacher task at a known rank). Everything about a run - its
-- architecture, its label setting, its training seed - is a function of (seed, index) only,
-- so the same --n and --seed give the same runs in the same order, a larger --n extends a
-- smaller one, and a sweep can be split across machines by index.
--
-- Architecture space: depth d uniform in [depth_min, depth_max] hidden layers; each hidden
-- width drawn log-uniformly in [width_min, width_max] and rounded to a multiple of 8
-- (at least 8). "Enough capacity": every hidden width >= 2 x classes and the parameter count
-- >= min_params; a draw that fails is drawn again from the same stream (up to 100 times).
local runlog = require "runlog"

local M = {}

function M.num_parameters(sizes)
  local p = 0
  for i = 1, #sizes - 1 do p = p + sizes[i] * sizes[i + 1] + sizes[i + 1] end
  return p
end

local function draw_widths(g, o, classes)
  local d = g.int(o.depth_min, o.depth_max)
  local lo, hi = math.log(o.width_min), math.log(o.width_max)
  local w = {}
  for i = 1, d do
    local x = math.exp(lo + (hi - lo) * g.uniform())
    w[i] = math.max(8, math.floor(x / 8 + 0.5) * 8)
    w[i] = math.min(w[i], math.max(8, o.width_max))
  end
  return w
end

-- Hidden widths for run (seed, index) on inputs of size dim with `classes` outputs.
-- o: depth_min, depth_max, width_min, width_max, min_params.
function M.architecture(seed, index, o, dim, classes)
  local g = runlog.rng(seed, index)
  for _ = 1, 100 do
    local w = draw_widths(g, o, classes)
    local sizes = { dim }
    for i, x in ipairs(w) do sizes[i + 1] = x end
    sizes[#sizes + 1] = classes
    local ok = M.num_parameters(sizes) >= o.min_params
    for _, x in ipairs(w) do if x < 2 * classes then ok = false end end
    if ok then return sizes end
  end
  error(string.format("no architecture with enough capacity in 100 draws (widths %d..%d, >= %d parameters, "
    .. "min width %d): widen --width-min/--width-max or lower --min-params",
    o.width_min, o.width_max, o.min_params, 2 * classes), 0)
end

-- Whether run `index` trains on random labels: exactly floor(n * fraction) of the first n
-- runs do, spread evenly, whatever n is.
function M.random_labels(index, fraction)
  return math.floor(index * fraction + 1e-9) > math.floor((index - 1) * fraction + 1e-9)
end

-- The plan: a list of runs { id, index, kind = "real"|"random"|"teacher", teacher_rank,
-- run_seed }. o: seed, n, random_labels, teacher_ranks, teacher_runs.
function M.plan(o)
  local runs = {}
  for i = 1, o.n do
    runs[#runs + 1] = {
      id = string.format("p1-%d-%d", o.seed, i), index = i,
      kind = M.random_labels(i, o.random_labels) and "random" or "real",
      run_seed = o.seed * 100003 + i,
    }
  end
  for _, k in ipairs(o.teacher_ranks) do
    for j = 1, o.teacher_runs do
      -- teacher runs draw from their own index range, away from the main sweep's
      local index = 1000000 + k * 1000 + j
      runs[#runs + 1] = {
        id = string.format("p1-%d-t%d-%d", o.seed, k, j), index = index,
        kind = "teacher", teacher_rank = k, run_seed = o.seed * 100003 + index,
      }
    end
  end
  return runs
end

return M
