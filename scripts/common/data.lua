-- data.lua - the real datasets the studies train on (Fashion-MNIST, MNIST: rh.data), as the
-- options every study shares name them (--dataset fashion-mnist|mnist, --data-dir,
-- --train-split, --holdout, --train-size, --test-size, --probe), and the task table a run
-- takes: train, test, the set training accuracy is measured on, and a fixed probe batch
-- (activation and gradient ranks: common/measure.lua).
local rh = require "rankhost"

local M = {}

-- The first n samples of ds (all of them when n is 0 or at least its size).
function M.first(ds, n)
  if n > 0 and n < ds:size() then return ds:subset(1, n) end
  return ds
end

-- The dataset `which` ("fashion-mnist", "mnist") under options o: the split --train-split
-- (train unless said), and as its test set a fraction --holdout of it when --holdout > 0,
-- else the test split; a folder that holds only the test split (t10k files) gives 5/6 of it
-- to training and 1/6 to test (seeded by --seed). Then the first --train-size /
-- --test-size samples of each (0: all). --data-dir is for o.dataset's files (empty:
-- rh.data's search path). Returns { train, test, source, dataset (in words) }; raises
-- "dataset: ..." when the files are not found.
function M.real(o, which)
  local load = rh.data[(which:gsub("%-", "_"))]
  if not load then error("no dataset '" .. tostring(which) .. "' (fashion-mnist, mnist)", 0) end
  local dir = o.data_dir ~= "" and which == o.dataset and o.data_dir or nil
  local split, holdout = o.train_split or "train", o.holdout or 0
  local train, test
  if holdout > 0 then
    local all = load { dir = dir, split = split }
    test, train = all:split(holdout, o.seed)
  else
    test = load { dir = dir, split = "test" }
    local ok, full = pcall(load, { dir = dir, split = split })
    if ok then
      train = full
    elseif split == "train" then
      -- only the 10k test set in the folder: 5/6 train, 1/6 test
      train, test = test:split(5 / 6, o.seed)
    else
      error(full, 0)
    end
  end
  local val, nval = nil, o.val_size or 0
  if nval > 0 then
    -- a validation split (--val-size): the training images after the first --train-size, or
    -- the last --val-size when the training set is all of them (or too small to leave them)
    local n = train:size()
    if o.train_size > 0 and o.train_size + nval <= n then
      val, train = train:subset(o.train_size + 1, o.train_size + nval), train:subset(1, o.train_size)
    else
      if nval >= n then error(string.format("--val-size %d leaves no training images (%d)", nval, n), 0) end
      local keep = (o.train_size > 0 and o.train_size < n - nval) and o.train_size or n - nval
      val, train = train:subset(n - nval + 1, n), train:subset(1, keep)
    end
  else
    train = M.first(train, o.train_size)
  end
  test = M.first(test, o.test_size)
  return { train = train, val = val, test = test, source = train.dir or dir or "",
    dataset = val and string.format("%s (%d train / %d validation / %d test)", which, train:size(), val:size(), test:size())
      or string.format("%s (%d train / %d test)", which, train:size(), test:size()) }
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
