-- test_nn_grad.lua - finite-difference checks of every layer and loss: the analytic
-- gradients of backward against central differences of forward (float32: eps 1e-2 on
-- O(1) values, a relative tolerance of 1e-2 of the gradient's scale).
local T = require "testlib"
local nn = rh.nn
rh.seed(7)

-- Scalar objective: sum(forward(x) .* R) for a fixed random R, so dL/dy = R.
local function objective(m, x, R)
  local y = m:forward(x)
  return (y * R):sum()
end

local fd_check = T.fd_check

-- Linear: input, weight, bias
do
  local m = nn.Linear(6, 4)
  local x, R = rh.randn(3, 6), rh.randn(3, 4)
  m:zero_grad()
  m:forward(x)
  local gx = m:backward(x, R):clone()
  local f = function() return objective(m, x, R) end
  fd_check("Linear input", x, gx, f)
  fd_check("Linear weight", m.weight, m.grad_weight, f)
  fd_check("Linear bias", m.bias, m.grad_bias, f)
  -- parameter gradients accumulate over two backward calls
  local gw1 = m.grad_weight:clone()
  m:backward(x, R)
  T.tensor_near(m.grad_weight, (gw1 * 2), 1e-5, "Linear grads accumulate")
end

-- ReLU (inputs kept away from the kink at 0)
do
  local m = nn.ReLU()
  local x = rh.randn(4, 5)
  for i = 1, 4 do for j = 1, 5 do
    local v = x:get(i, j)
    if math.abs(v) < 0.1 then x:set(i, j, v < 0 and -0.5 or 0.5) end
  end end
  local R = rh.randn(4, 5)
  m:forward(x)
  local gx = m:backward(x, R):clone()
  fd_check("ReLU input", x, gx, function() return objective(m, x, R) end)
end

-- CrossEntropyLoss and MSELoss: gradient with respect to the prediction
do
  local crit = nn.CrossEntropyLoss()
  local y, lab = rh.randn(5, 4) * 3, rh.tensor{1, 4, 2, 2, 3}
  crit:forward(y, lab)
  local g = crit:backward(y, lab):clone()
  fd_check("CrossEntropyLoss", y, g, function() return crit:forward(y, lab) end)
  -- value against the textbook formula on a small case
  local yy = rh.tensor{{1, 2, 3}, {0, 0, 0}}
  local l = crit:forward(yy, rh.tensor{3, 1})
  local ref = (-(3 - math.log(math.exp(1) + math.exp(2) + math.exp(3))) + math.log(3)) / 2
  T.near(l, ref, 1e-6, "cross-entropy value")
  -- stable for huge logits
  local big = crit:forward(rh.tensor{{1000, 0}, {0, -1000}}, rh.tensor{1, 1})
  T.near(big, 0.0, 1e-6, "cross-entropy with huge logits is finite")

  local mse = nn.MSELoss()
  local p, t = rh.randn(3, 4), rh.randn(3, 4)
  mse:forward(p, t)
  local gm = mse:backward(p, t):clone()
  fd_check("MSELoss", p, gm, function() return mse:forward(p, t) end)
  T.near(mse:forward(rh.tensor{{1, 2}}, rh.tensor{{0, 0}}), 2.5, 1e-7, "MSE value")
end

-- MLP end to end (fused Linear+ReLU inside): input and every parameter
do
  local m = nn.MLP{6, 5, 4, 3}
  local crit = nn.CrossEntropyLoss()
  local x, lab = rh.randn(4, 6), rh.tensor{1, 3, 2, 3}
  local function f() return crit:forward(m:forward(x), lab) end
  m:zero_grad()
  local y = m:forward(x)
  crit:forward(y, lab)
  local gx = m:backward(x, crit:backward(y, lab)):clone()
  fd_check("MLP input", x, gx, f, 1e-3)
  local ps, gs = m:parameters()
  T.eq(#ps, 6, "MLP parameter count")
  for i = 1, #ps do fd_check("MLP parameter " .. i, ps[i], gs[i], f, 1e-3) end
  -- skip_input_grad gives the same parameter gradients and no input gradient
  local gw = gs[1]:clone()
  m:zero_grad()
  y = m:forward(x)
  crit:forward(y, lab)
  T.eq(m:backward(x, crit:backward(y, lab), true), nil, "no input gradient when skipped")
  T.tensor_near(gs[1], gw, 1e-6, "same parameter gradients when input grad skipped")
end

T.done()
