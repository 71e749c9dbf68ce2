-- test_zero_grad.lua - zero_grad's zeros are deferred (kernels/tensor.h, rh._nn.zero_later):
-- the next Linear backward overwrites the gradients instead of adding to zeros. The
-- documented semantics must hold all the same: gradients read as zeros after zero_grad
-- (by any route), accumulate across backward calls until the next zero_grad, and a
-- training loop gives the same bits as with gradients zeroed at once (the naive reference).
local T = require "testlib"
local nn, optim = rh.nn, rh.optim

-- elementwise equality of two tensors (any shape), and that a tensor is all zeros
local function same(a, b)
  local ta, tb = a:contiguous():view(-1):totable(), b:contiguous():view(-1):totable()
  if #ta ~= #tb then return false end
  for i = 1, #ta do if ta[i] ~= tb[i] then return false end end
  return true
end
local function zeros(t) return same(t, rh.zeros_like(t)) end

local function grads_of(m) local _, g = m:parameters(); return g end

-- the reference: gradients zeroed at once, element by element
local function zero_now(m) for _, g in ipairs(grads_of(m)) do g:fill(0) end end

local X, Y = rh.randn(8, 5), rh.tensor{ 1, 2, 3, 1, 2, 3, 1, 2 }
local X2 = rh.randn(8, 5)

local function backward(m, crit, x, skip)
  local y = m:forward(x)
  crit:forward(y, Y)
  return m:backward(x, crit:backward(y, Y), skip)
end

-- after zero_grad every route to a gradient reads zeros
do
  rh.seed(3)
  local m, crit = nn.MLP{ 5, 6, 3 }, nn.CrossEntropyLoss()
  backward(m, crit, X)
  local lin = m.modules[1]
  local row = lin.grad_weight[2]     -- a view made before zero_grad
  local list = grads_of(m)           -- references held by the script
  T.ok(not zeros(lin.grad_weight), "a backward wrote gradients")
  m:zero_grad()
  T.ok(rh._nn.zero_pending(lin.grad_weight) and rh._nn.zero_pending(lin.grad_bias), "the zeros are deferred")
  backward(m, crit, X)
  T.ok(not rh._nn.zero_pending(lin.grad_weight), "a backward takes them (and writes the gradients)")
  m:zero_grad()
  T.ok(zeros(row), "a view made before zero_grad reads zeros")
  T.ok(zeros(lin.grad_bias), "the field reads zeros")
  for i, g in ipairs(list) do T.ok(zeros(g), "held gradient " .. i .. " reads zeros") end
  T.eq(lin.grad_weight:sum(), 0, "reductions see zeros")
  T.eq(tostring(lin.grad_bias):find("nan") == nil, true, "printing sees zeros")
end

-- gradients accumulate across backward calls until zero_grad, with deferred zeros as with
-- immediate ones (bit for bit), and twice the same batch gives twice the gradient
do
  rh.seed(4)
  local a, crit = nn.MLP{ 5, 6, 6, 3 }, nn.CrossEntropyLoss()
  rh.seed(4)
  local b = nn.MLP{ 5, 6, 6, 3 }
  backward(a, crit, X2); backward(b, crit, X2) -- stale values for the zeros to replace
  a:zero_grad()
  zero_now(b)
  backward(a, crit, X); backward(b, crit, X)
  local once = {}
  for i, g in ipairs(grads_of(a)) do once[i] = g:clone() end
  backward(a, crit, X2, true); backward(b, crit, X2, true)
  local ga, gb = grads_of(a), grads_of(b)
  for i = 1, #ga do T.ok(same(ga[i], gb[i]), "accumulated gradient " .. i .. ": deferred = immediate") end
  T.ok(not same(ga[1], once[1]), "the second backward added to the first")
  a:zero_grad()
  backward(a, crit, X); backward(a, crit, X)
  -- (a bias gradient adds the rows one by one onto what it holds: twice to rounding)
  for i, g in ipairs(grads_of(a)) do T.tensor_near(g, once[i] * 2, 1e-6, "twice the batch: twice gradient " .. i) end
  a:zero_grad()
  backward(a, crit, X)
  for i, g in ipairs(grads_of(a)) do T.ok(same(g, once[i]), "after zero_grad: gradient " .. i .. " as the first") end
end

-- the optimizer's zero_grad (a module, and a list of tensors), and a step with no backward
-- after zero_grad moves the weights by weight decay alone
do
  rh.seed(5)
  local m, crit = nn.MLP{ 5, 4, 3 }, nn.CrossEntropyLoss()
  local l1, l2 = m.modules[1], m.modules[3]
  local opt = optim.SGD(m, { lr = 0.1, weight_decay = 0.5 })
  backward(m, crit, X)
  opt:zero_grad()
  local w1 = l1.weight:clone()
  opt:step()
  T.tensor_near(l1.weight, w1 * (1 - 0.1 * 0.5), 1e-6, "zero gradients: weight decay alone")
  local byhand = optim.SGD({ l2.weight, l2.bias }, { lr = 0.1 })
  backward(m, crit, X)
  byhand:zero_grad()
  T.ok(zeros(l2.grad_weight) and zeros(l2.grad_bias), "zero_grad of a list of tensors")
  T.ok(not zeros(l1.grad_weight), "and only of those")
end

-- a gradient tensor shared by two layers (tied): the first backward after zero_grad
-- writes it, the second adds to it
do
  rh.seed(6)
  local l1, l2 = nn.Linear(5, 5), nn.Linear(5, 5)
  l2.grad_weight, l2.grad_bias = l1.grad_weight, l1.grad_bias
  local gy = rh.randn(8, 5)
  local function both()
    l1:forward(X); l2:forward(X2)
    l1:backward(X, gy); l2:backward(X2, gy)
  end
  both()
  l1:zero_grad(); l2:zero_grad()
  both()
  local deferred = l1.grad_weight:clone()
  l1.grad_weight:fill(0); l1.grad_bias:fill(0)
  both()
  T.ok(same(deferred, l1.grad_weight), "shared gradient: the sum of both layers' gradients")
end

-- only the weight's zeros deferred, the bias holding a value: the bias accumulates
do
  rh.seed(7)
  local l = nn.Linear(5, 3)
  local gy = rh.randn(8, 3)
  l:forward(X)
  l:zero_grad()
  l.grad_bias:fill(1)
  rh._nn.zero_later(l.grad_weight)
  l:backward(X, gy)
  local ref = nn.Linear(5, 3)
  ref.weight = l.weight
  ref.grad_weight:fill(0); ref.grad_bias:fill(1)
  ref:backward(X, gy)
  T.ok(same(l.grad_weight, ref.grad_weight), "weight gradient written")
  T.ok(same(l.grad_bias, ref.grad_bias), "bias gradient added to 1")
end

-- a refused backward leaves the zeros owed
do
  local l = nn.Linear(5, 3)
  l:forward(X)
  l:backward(X, rh.randn(8, 3))
  l:zero_grad()
  T.raises("output gradient", function() rh._nn.linear_backward(nil, l.grad_weight, l.grad_bias, X, l.weight,
                                                                rh.randn(8, 4)) end)
  T.ok(zeros(l.grad_weight) and zeros(l.grad_bias), "gradients still read zeros")
end

-- a training loop: deferred zeros (opt:zero_grad) and the naive reference (zeroed at once)
-- reach the same bits, for SGD with momentum and for Adam
for _, make in ipairs {
  function(m) return optim.SGD(m, { lr = 0.05, momentum = 0.9, weight_decay = 1e-3 }) end,
  function(m) return optim.Adam(m, { lr = 1e-2, weight_decay = 1e-3 }) end,
} do
  local function run(deferred)
    rh.seed(8)
    local m, crit = nn.MLP{ 5, 7, 7, 3 }, nn.CrossEntropyLoss()
    local opt = make(m)
    for s = 1, 6 do
      if deferred then opt:zero_grad() else zero_now(m) end
      backward(m, crit, s % 2 == 0 and X or X2, true)
      opt:step()
    end
    return m
  end
  local a, b = run(true), run(false)
  local pa, pb = a:parameters(), b:parameters()
  for i = 1, #pa do T.ok(same(pa[i], pb[i]), "trained parameter " .. i .. ": deferred = immediate") end
end

T.done()
