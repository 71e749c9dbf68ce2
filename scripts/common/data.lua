-- data.lua - the real datasets the studies train on (Fashion-MNIST, MNIST: rh.data), as the
-- options every study shares name them (--dataset, --data-dir, --train-split, --holdout,
-- --train-subset, --test-subset, --probe), and the task table a run takes: train, test, the
-- set training accuracy is measured on, and a fixed probe batch (activation and gradient
-- ranks: common/measure.lua).
local rh = require "rankhost"

local M = {}

-- The first n samples of ds (all of them when n is 0 or at least its size).
function M.first(ds, n)
  if n > 0 and n < ds:size() then return ds:subset(1, n) end
  return ds
end

-- The dataset `which` ("fashion_mnist", "mnist") under options o: the split --train-split
-- (with --holdout > 0 the test set is that fraction of it, else the test split), the first
-- --train-subset / --test-subset samples of each (0: all); --data-dir is for o.dataset's
-- files (empty: rh.data's search path). Returns { train, test, source, dataset (in words) }.
function M.real(o, which)
  local load = rh.data[which]
  local dir = o.data_dir ~= "" and which == o.dataset and o.data_dir or nil
  local train, test
  if o.holdout > 0 then
    local all = load { dir = dir, split = o.train_split }
    test, train = all:split(o.holdout, o.seed)
  else
    train = load { dir = dir, split = o.train_split }
    test = load { dir = dir, split = "test" }
  end
  train, test = M.first(train, o.train_subset), M.first(test, o.test_subset)
  return { train = train, test = test, source = train.dir or dir or "",
    dataset = string.format("%s (%d train / %d test)", which, train:size(), test:size()) }
end

-- Completes a task table { train, test, ... }: the probe batch (probe_x, probe_y: the first
-- --probe training samples), train_eval (the first eval_max training samples, 10,000 when
-- not given, all with 0), dim and classes. Returns the task.
function M.finish(task, o, eval_max)
  local n = math.min(o.probe, task.train:size())
  local idx = {}
  for i = 1, n do idx[i] = i end
  task.probe_x, task.probe_y = task.train:batch(idx)
  task.train_eval = M.first(task.train, eval_max or 10000)
  task.dim, task.classes = task.train.dim, task.train.classes
  return task
end

return M
