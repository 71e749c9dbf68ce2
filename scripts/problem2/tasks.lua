-- tasks.lua - the data problem 2's runs train on:
--   img     the image task (--dataset, first --train-size / --test-size images, --val-size
--           validation images after the training ones), loaded once
--           in the main process, so local workers share it copy-on-write
--   t<w>    a teacher MLP of hidden width w* = w (rh.data.teacher with hidden = rank = w: the
--           teacher's first map has w* ReLU units and rank w*; with --teacher-kind regress a
--           regression teacher y = V relu(W x) instead, MSE, scored by R^2), --teacher-n training and
--           --teacher-val validation and --teacher-test test samples of --teacher-dim inputs,
--           10 classes; a teacher of
--           its own for every seed, generated
--           (in milliseconds, from its seed) wherever a run needs it
-- Each task also has the set training accuracy is measured on (at most 10,000 training
-- samples) and, on first use, the sample the least-squares refit of --init qr|norm reads.
local rh = require "rankhost"
local data = require "common.data"
local settings = require "problem2.settings"

local M = {}

local function first(ds, n) return data.first(ds, n) end

-- The image task (common/data.lua: one loading path for every study); nil and a message
-- when its files are not found.
local function load_image(o)
  local ok, t = pcall(data.real, o, o.dataset)
  if not ok then return nil, tostring(t) end
  return { id = "img", name = t.dataset, train = t.train, val = t.val, test = t.test, hidden = o.hidden }
end

-- A regression set {x, y} as the studies' datasets are used here: size(), subset(first,
-- last), dim, classes (the outputs), var (the mean per-output variance of y: R^2's unit).
-- The mean per-column variance of Y.
local function variance(Y)
  local c = Y - Y:mean(1)
  return (c * c):sum() / (Y:size(1) * Y:size(2))
end

local function xy_set(X, Y)
  local set = { x = X, y = Y, dim = X:size(2), classes = Y:size(2), var = variance(Y) }
  function set.size() return X:size(1) end
  function set.subset(_, a, b) return xy_set(X:narrow(1, a, b - a + 1), Y:narrow(1, a, b - a + 1)) end
  return set
end
M.xy_set = xy_set

-- The regression teacher of hidden width w*: y = V relu(W x), W (w* x dim) with entries
-- N(0, 1/dim) (rank w*), V (10 x w*) N(0, 1/w*), x ~ N(0, I), y scaled to unit variance.
-- What the first layer of a student must learn is W's row space, of dimension w*.
local function regression_teacher(o, wstar, data_seed)
  local total = o.teacher_n + o.teacher_val + o.teacher_test
  rh.seed(data_seed)
  local W = rh.randn(wstar, o.teacher_dim) * (1 / math.sqrt(o.teacher_dim))
  local V = rh.randn(10, wstar) * (1 / math.sqrt(wstar))
  local X = rh.randn(total, o.teacher_dim)
  local Y = rh.matmul(rh.matmul(X, W:t()):relu(), V:t())
  return xy_set(X, Y * (1 / math.sqrt(variance(Y))))
end

local function teacher(o, wstar, data_seed, kind)
  local n, nval, ntest = o.teacher_n, o.teacher_val, o.teacher_test
  kind = kind or o.teacher_kind[1] or "regress"
  if kind == "regress" then
    local all = regression_teacher(o, wstar, data_seed)
    return { id = settings.teacher_task(kind, wstar), wstar = wstar, hidden = o.teacher_hidden, train = all:subset(1, n),
      val = all:subset(n + 1, n + nval), test = all:subset(n + nval + 1, n + nval + ntest), loss = "mse",
      name = string.format("regression teacher MLP, w* = %d (dim %d, 10 outputs, %d train / %d validation / %d test; "
        .. "scores are R^2)", wstar, o.teacher_dim, n, nval, ntest) }
  end
  local all = rh.data.teacher { n = n + nval + ntest, dim = o.teacher_dim, rank = wstar, hidden = wstar, classes = 10,
    seed = data_seed }
  return { id = settings.teacher_task(kind, wstar), wstar = wstar, hidden = o.teacher_hidden, train = all:subset(1, n),
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
    if t.train.x then -- a regression set: its first rows
      rawset(t, "sample", t.train.x:narrow(1, 1, n))
      return t.sample
    end
    for X in rh.data.loader(t.train:subset(1, n), { batch = n, shuffle = false }) do
      rawset(t, "sample", X)
      return X
    end
  end })
  return task
end

-- The teacher task of w* = wstar from data_seed, ready to train on (tests build one alone).
function M.teacher(o, wstar, data_seed, kind) return finish(teacher(o, wstar, data_seed, kind), o) end

-- tasks.new(o) -> t, or nil and a message when the image task cannot be loaded;
-- t.get(run) -> the run's task (run.task "img", "t<w>" or "c<w>"; run.data_seed and
-- run.teacher_kind for teachers).
function M.new(o)
  local image, err = load_image(o)
  if not image then return nil, err end
  local cache = { img = finish(image, o) }
  local t = {}
  function t.get(run)
    local key = run.task == "img" and "img" or (run.task .. ":" .. run.data_seed)
    if not cache[key] then cache[key] = finish(teacher(o, run.wstar, run.data_seed, run.teacher_kind), o) end
    return cache[key]
  end
  t.image = cache.img
  return t
end

return M
