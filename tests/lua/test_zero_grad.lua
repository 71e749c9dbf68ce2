-- test_zero_grad.lua - the documented semantics of gradients: after zero_grad (a module's
-- or an optimizer's) every route to a gradient reads zeros; backward calls accumulate
-- until the next zero_grad; a step after zero_grad and no backward moves the weights by
-- weight decay alone; a gradient shared by two layers receives both.
local T = require "testlib"
local nn, optim = rh.nn, rh.optim

local same = T.same_elements
local function zeros(t) return same(t, rh.zeros_like(t)) end

local function grads_of(m) local _, g = m:parameters(); return g end

-- the reference: gradients zeroed element by element
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
  T.ok(zeros(row), "a view made before zero_grad reads zeros")
  T.ok(zeros(lin.grad_bias), "the field reads zeros")
  for i, g in ipairs(list) do T.ok(zeros(g), "held gradient " .. i .. " reads zeros") end
  T.eq(lin.grad_weight:sum(), 0, "reductions see zeros")
  T.eq(tostring(lin.grad_bias):find("nan") == nil, true, "printing sees zeros")
end

-- gradients accumulate across backward calls until zero_grad, as with gradients zeroed
-- element by element (bit for bit), and twice the same batch gives twice the gradient
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
  for i = 1, #ga do T.ok(same(ga[i], gb[i]), "accumulated gradient " .. i .. ": zero_grad = zeros filled in") end
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
  local via_zero_grad = l1.grad_weight:clone()
  l1.grad_weight:fill(0); l1.grad_bias:fill(0)
  both()
  T.ok(same(via_zero_grad, l1.grad_weight), "shared gradient: the sum of both layers' gradients")
end

T.done()
