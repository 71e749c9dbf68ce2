-- p1_data.lua - the tasks problem 1 trains on: the real dataset (Fashion-MNIST or MNIST,
-- a documented subset), its random-label twin, and the teacher task at each known rank.
-- Every run also gets a fixed probe batch (for gradient ranks) and a training-evaluation set.
local rh = require "rankhost"

local M = {}

local DEFAULT_DIRS = {
  fashion_mnist = "/usr/share/datasets/fashion-mnist",
  mnist = "/usr/share/datasets/mnist",
}

local function first(ds, n)
  if n > 0 and n < ds:size() then return ds:subset(1, n) end
  return ds
end

-- Completes a task table: probe batch = the first `probe` training samples.
local function finish(task, o)
  local n = math.min(o.probe, task.train:size())
  local idx = {}
  for i = 1, n do idx[i] = i end
  task.probe_x, task.probe_y = task.train:batch(idx)
  -- accuracy on the training set is measured on (at most) test-subset-many samples
  task.train_eval = first(task.train, math.max(o.test_subset, 1000))
  return task
end

local function real_task(o)
  local dir = o.data_dir ~= "" and o.data_dir or DEFAULT_DIRS[o.dataset]
  local load = rh.data[o.dataset]
  local train, test
  if o.holdout > 0 then
    local all = load { dir = dir, split = o.train_split }
    test, train = all:split(o.holdout, o.seed)
  else
    train = load { dir = dir, split = o.train_split }
    test = load { dir = dir, split = "test" }
  end
  train, test = first(train, o.train_subset), first(test, o.test_subset)
  return { train = train, test = test, dim = train.dim, classes = train.classes,
    dataset = string.format("%s (%s, %d train / %d test)", o.dataset, dir, train:size(), test:size()) }
end

-- tasks.get(run) -> the task of a run (kinds "real", "random", "teacher"); built once each.
function M.tasks(o)
  local cache = {}
  local t = {}
  function t.get(run)
    local key = run.kind == "teacher" and ("teacher" .. run.teacher_rank) or run.kind
    if cache[key] then return cache[key] end
    local task
    if run.kind == "teacher" then
      local n, k = o.teacher_n, run.teacher_rank
      local all = rh.data.teacher { n = n + n // 4, dim = o.teacher_dim, rank = k, classes = 10, seed = o.seed * 7919 + k }
      task = { train = all:subset(1, n), test = all:subset(n + 1, n + n // 4), dim = o.teacher_dim, classes = 10,
        dataset = string.format("teacher (rank %d, dim %d, %d train / %d test)", k, o.teacher_dim, n, n // 4) }
    else
      local real = cache.real or real_task(o)
      cache.real = cache.real or finish(real, o)
      if run.kind == "real" then return cache.real end
      task = { train = rh.data.random_labels(real.train, o.label_noise, o.seed), test = real.test,
        dim = real.dim, classes = real.classes,
        dataset = real.dataset .. string.format(", random labels (%g of training labels)", o.label_noise) }
    end
    cache[key] = finish(task, o)
    return cache[key]
  end
  return t
end

return M
