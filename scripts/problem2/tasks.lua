-- tasks.lua - the data problem 2's runs train on:
--   img     the image task (--dataset, first --train-size / --test-size images, --val-size
--           validation images after the training ones), loaded once
--           in the main process, so local workers share it copy-on-write
--   t<w>    a teacher MLP of hidden width w* = w (rh.data.teacher with hidden = rank = w: the
--           teacher's first map has w* ReLU units and rank w*), --teacher-n training and
--           --teacher-val validation and --teacher-test test samples of --teacher-dim inputs,
--           10 classes; a teacher of
--           its own for every seed, generated
--           (in milliseconds, from its seed) wherever a run needs it
-- Each task also has the set training accuracy is measured on (at most 10,000 training
-- samples) and, on first use, the sample the least-squares refit of --init qr|norm reads.
local rh = require "rankhost"

local M = {}

-- The first n samples of ds (all of them for n = 0).
local function first(ds, n) return (n > 0 and n < ds:size()) and ds:subset(1, n) or ds end

-- The image task; usage_error(msg) when its files are not found.
local function load_image(o)
  local load = o.dataset == "mnist" and rh.data.mnist or rh.data.fashion_mnist
  local dir = o.data_dir ~= "" and o.data_dir or nil
  local ok, test = pcall(load, { dir = dir, split = "test" })
  if not ok then return nil, tostring(test) end
  local train
  local ok_train, full = pcall(load, { dir = dir, split = "train" })
  if ok_train then
    train = full
  else
    -- only the 10k test set in the folder: 5/6 train, 1/6 test
    train, test = test:split(5 / 6, o.seed)
  end
  -- validation: the training images after the first --train-size, or the last --val-size
  -- when the training set is all of them (or too small to leave them)
  local n, nval = train:size(), o.val_size
  local val
  if o.train_size > 0 and o.train_size + nval <= n then
    val, train = train:subset(o.train_size + 1, o.train_size + nval), train:subset(1, o.train_size)
  else
    if nval >= n then return nil, string.format("--val-size %d leaves no training images (%d)", nval, n) end
    local keep = (o.train_size > 0 and o.train_size < n - nval) and o.train_size or n - nval
    val, train = train:subset(n - nval + 1, n), train:subset(1, keep)
  end
  test = first(test, o.test_size)
  return { id = "img", name = string.format("%s (%d train / %d validation / %d test)", o.dataset, train:size(),
    val:size(), test:size()), train = train, val = val, test = test, hidden = o.hidden }
end

local function teacher(o, wstar, data_seed)
  local n, nval, ntest = o.teacher_n, o.teacher_val, o.teacher_test
  local all = rh.data.teacher { n = n + nval + ntest, dim = o.teacher_dim, rank = wstar, hidden = wstar, classes = 10,
    seed = data_seed }
  return { id = "t" .. wstar, wstar = wstar, hidden = o.teacher_hidden, train = all:subset(1, n),
    val = all:subset(n + 1, n + nval), test = all:subset(n + nval + 1, n + nval + ntest),
    name = string.format("teacher MLP, w* = %d (dim %d, %d train / %d validation / %d test)", wstar, o.teacher_dim, n,
      nval, ntest) }
end

local function finish(task, o)
  task.train_eval = first(task.train, 10000)
  task.dim, task.classes = task.train.dim, task.train.classes
  -- the refit's data sample, made when first asked for
  setmetatable(task, { __index = function(t, k)
    if k ~= "sample" then return nil end
    local n = math.min(o.sample, t.train:size())
    for X in rh.data.loader(t.train:subset(1, n), { batch = n, shuffle = false }) do
      rawset(t, "sample", X)
      return X
    end
  end })
  return task
end

-- The teacher task of w* = wstar from data_seed, ready to train on (tests build one alone).
function M.teacher(o, wstar, data_seed) return finish(teacher(o, wstar, data_seed), o) end

-- tasks.new(o) -> t, or nil and a message when the image task cannot be loaded;
-- t.get(run) -> the run's task (run.task "img" or "t<w>", run.data_seed for teachers).
function M.new(o)
  local image, err = load_image(o)
  if not image then return nil, err end
  local cache = { img = finish(image, o) }
  local t = {}
  function t.get(run)
    local key = run.task == "img" and "img" or (run.task .. ":" .. run.data_seed)
    if not cache[key] then cache[key] = finish(teacher(o, run.wstar, run.data_seed), o) end
    return cache[key]
  end
  t.image = cache.img
  return t
end

return M
