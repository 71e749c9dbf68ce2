-- tasks.lua - the data each of problem 1's runs trains on, built once per task and shared
-- by every run (and, copy-on-write, by every local worker) that uses it:
--   real      the real dataset (--dataset, first --train-size / --test-size images)
--   noise f   the real task with a seeded fraction f of its training labels replaced
--   random    every label replaced (noise 1, the sweep's memorisation control)
--   teacher k rh.data.teacher: labels of a random rank-k teacher, --teacher-n samples
--   parity k  rh.data.parity: k-sparse parity of --parity-bits bits, --parity-n samples
--   mnist     MNIST, found on rh.data's search path
-- Each task also has a fixed probe batch (activation and gradient ranks) and a set on which
-- training accuracy is measured (common/data.lua's finish; the real datasets are its real).
local rh = require "rankhost"
local data = require "common.data"

local M = {}

-- Whether MNIST's files are on rh.data's search path (for --ladder-mnist auto).
function M.mnist_found(o)
  local ok = pcall(rh.data.mnist, { split = "test", dir = o.dataset == "mnist" and o.data_dir ~= "" and o.data_dir or nil })
  return ok
end

-- The key of a run's task: runs with equal keys share one task.
function M.key(run)
  if run.kind == "real" or run.kind == "wd0" or run.kind == "long" then return "real" end
  if run.kind == "random" then return "noise:1:" .. run.index end
  if run.kind == "mnist" then return "mnist" end
  return string.format("%s:%g:%d", run.kind, run.level, run.seed_index)
end

-- tasks.new(o) -> t; t.get(run) -> the task { train, test, train_eval, probe_x, probe_y, dim,
-- classes, dataset } (built on first use).
function M.new(o)
  local cache = {}
  local t = {}
  local function real()
    if not cache.real then cache.real = data.finish(data.real(o, o.dataset), o) end
    return cache.real
  end
  function t.get(run)
    local key = M.key(run)
    if cache[key] then return cache[key] end
    local task
    if key == "real" then
      return real()
    elseif run.kind == "mnist" then
      task = data.real(o, "mnist")
    elseif run.kind == "noise" or run.kind == "random" then
      local r = real()
      local f = run.kind == "random" and 1 or run.level
      -- the labels replaced depend on the run's seed, not on the order tasks are built in
      task = { train = f > 0 and rh.data.random_labels(r.train, f, run.run_seed) or r.train, test = r.test,
        dataset = r.dataset .. string.format(", %g of training labels random", f) }
    elseif run.kind == "teacher" then
      local n, k = o.teacher_n, run.level
      local all = rh.data.teacher { n = n + n // 4, dim = o.teacher_dim, rank = k, classes = 10, seed = run.run_seed }
      task = { train = all:subset(1, n), test = all:subset(n + 1, n + n // 4),
        dataset = string.format("teacher rank %d (dim %d, %d train / %d test)", k, o.teacher_dim, n, n // 4) }
    elseif run.kind == "parity" then
      local n, k = o.parity_n, run.level
      local all = rh.data.parity { n = n + n // 4, bits = o.parity_bits, k = k, seed = run.run_seed }
      task = { train = all:subset(1, n), test = all:subset(n + 1, n + n // 4),
        dataset = string.format("%d-sparse parity (%d bits, %d train / %d test)", k, o.parity_bits, n, n // 4) }
    else
      error("tasks: no task for a run of kind " .. tostring(run.kind), 0)
    end
    cache[key] = data.finish(task, o)
    return cache[key]
  end
  return t
end

return M
