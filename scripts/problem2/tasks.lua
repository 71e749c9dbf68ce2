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
local data = require "common.data"

local M = {}

local function first(ds, n) return data.first(ds, n) end

-- The image task (common/data.lua: one loading path for every study); nil and a message
-- when its files are not found.
local function load_image(o)
  local ok, t = pcall(data.real, o, o.dataset)
  if not ok then return nil, tostring(t) end
  return { id = "img", name = t.dataset, train = t.train, val = t.val, test = t.test, hidden = o.hidden }
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
