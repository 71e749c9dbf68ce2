-- tasks.lua - the calibration study's tasks of known rank (issue 22 item 2), each built from
-- its kind, its rung (k or C) and a seed, with a train and a test part:
--   linear       y = T x, T = 2 Q1 Q2^T of rank k (64 -> 64), MSE; a linear network
--   multi_index  y = V g(B x), B (k x 64) orthonormal rows, g(z) = (z + z^2 - 1)/sqrt(3)
--                elementwise, V (32 x k) N(0, 1/k): x enters through k directions, MSE
--   teacher      rh.data.teacher{rank = k, classes = C}: the first map has rank k
--   parity       rh.data.parity{bits = 24, k = k}: the label depends on k coordinates
--   fmnist       Fashion-MNIST with its 10 classes merged to C (class c -> (c - 1) % C + 1)
-- Synthetic inputs are x ~ N(0, I) (parity: +-1); a task's data depends only on its seed.
local rh = require "rankhost"

local M = {}

M.KINDS = { "linear", "multi_index", "teacher", "parity", "fmnist" }
M.DIM = 64 -- input (and the linear task's output) dimension
M.MULTI_OUT = 32

-- Orthonormal columns (m x k): the Q of a pivoted QR of a Gaussian matrix.
local function orth(m, k) return (rh.linalg.qr_pivoted(rh.randn(m, k))) end

local function split_xy(X, Y, ntr)
  local n = X:size(1)
  return { x = X:narrow(1, 1, ntr), y = Y:narrow(1, 1, ntr) },
    { x = X:narrow(1, ntr + 1, n - ntr), y = Y:narrow(1, ntr + 1, n - ntr) }
end

local function all_of(ds)
  local idx = {}
  for i = 1, ds:size() do idx[i] = i end
  return ds:batch(idx)
end

-- M.build{kind=, k=, C=, seed=, n=, n_test=, data_dir=} -> task { train, test, loss ("mse" or
-- "ce"), dim, out, linear (a linear network fits it), known (what the first layer's rank
-- should be), C (classes, or nil) }.
function M.build(t)
  local n, nt = t.n, t.n_test
  local task = { kind = t.kind, k = t.k, C = t.C }
  rh.seed(t.seed)
  if t.kind == "linear" then
    local T = rh.matmul(orth(M.DIM, t.k), orth(M.DIM, t.k):t()) * 2
    local X = rh.randn(n + nt, M.DIM)
    task.train, task.test = split_xy(X, rh.matmul(X, T:t()), n)
    task.loss, task.dim, task.out, task.linear = "mse", M.DIM, M.DIM, true
  elseif t.kind == "multi_index" then
    local B = orth(M.DIM, t.k):t()                                   -- k x 64
    local V = rh.randn(M.MULTI_OUT, t.k) * (1 / math.sqrt(t.k))      -- 32 x k
    local X = rh.randn(n + nt, M.DIM)
    local Z = rh.matmul(X, B:t())
    local G = (Z + Z:square() - 1) * (1 / math.sqrt(3))
    task.train, task.test = split_xy(X, rh.matmul(G, V:t()), n)
    task.loss, task.dim, task.out = "mse", M.DIM, M.MULTI_OUT
  elseif t.kind == "teacher" or t.kind == "parity" then
    local ds = t.kind == "teacher" and rh.data.teacher { n = n + nt, dim = M.DIM, rank = t.k, classes = t.C, seed = t.seed }
      or rh.data.parity { n = n + nt, bits = 24, k = t.k, seed = t.seed }
    task.train, task.test = ds:subset(1, n), ds:subset(n + 1, n + nt)
    task.loss, task.dim, task.out = "ce", ds.dim, ds.classes
    task.C = ds.classes
  elseif t.kind == "fmnist" then
    local dir = t.data_dir ~= "" and t.data_dir or nil
    local tr = rh.data.fashion_mnist { dir = dir, split = "train" }
    local te = rh.data.fashion_mnist { dir = dir, split = "test" }
    local function merged(ds, m)
      local X, Y = all_of(ds:subset(1, m))
      local y = Y:totable()
      for i = 1, #y do y[i] = (y[i] - 1) % t.C + 1 end
      return { x = X, y = rh.tensor(y) }
    end
    task.train, task.test = merged(tr, n), merged(te, nt)
    task.loss, task.dim, task.out = "ce", 784, t.C
  else
    error("tasks.build: unknown kind '" .. tostring(t.kind) .. "'", 2)
  end
  task.known = t.kind == "fmnist" and t.C - 1 or t.k
  return task
end

-- The network a task trains: 3 hidden layers of `width` (4 Linear layers: first, hidden,
-- last hidden, classifier), ReLU between them, or none for the linear task.
function M.network(task, width)
  local sizes = { task.dim, width, width, width, task.out }
  if not task.linear then return rh.nn.MLP(sizes) end
  local mods = {}
  for i = 1, #sizes - 1 do mods[i] = rh.nn.Linear(sizes[i], sizes[i + 1]) end
  return rh.nn.Sequential(table.unpack(mods))
end

-- The layer families of a 4-layer network, by layer index.
M.FAMILIES = { { name = "first", layer = 1 }, { name = "hidden", layer = 2 }, { name = "last_hidden", layer = 3 },
  { name = "classifier", layer = 4 } }

return M
