-- test_nn_cuda.lua - layers, losses and optimizers on CUDA against the CPU: each kernel,
-- then a few training steps of an MLP with SGD (momentum, weight decay) and AdamW that
-- must reach the same weights to float32 tolerance.
-- Skips (exit 77) without a CUDA device; RH_GPU_TEST_DEVICE=cpu checks the script itself.
local T = require "testlib"
local DEV = os.getenv("RH_GPU_TEST_DEVICE") or "cuda"
if DEV == "cuda" and not rh.cuda_available() then T.skip("no CUDA device") end
local nn, optim = rh.nn, rh.optim

rh.seed(3)
local function dev(t) return t:to(DEV) end

-- ---- single layers and losses ----
do
  local x = rh.randn(16, 20)
  local lin = nn.Linear(20, 12)
  local y = lin:forward(x)
  local lin_d = nn.Linear(20, 12)
  lin_d.weight:copy(lin.weight); lin_d.bias:copy(lin.bias)
  lin_d:to(DEV)
  local yd = lin_d:forward(dev(x))
  T.tensor_near(yd:to("cpu"), y, 1e-5, "Linear forward")
  local gy = rh.randn(16, 12)
  local gx = lin:backward(x, gy)
  local gxd = lin_d:backward(dev(x), dev(gy))
  T.tensor_near(gxd:to("cpu"), gx, 1e-5, "Linear grad input")
  T.tensor_near(lin_d.grad_weight:to("cpu"), lin.grad_weight, 1e-5, "Linear grad weight")
  T.tensor_near(lin_d.grad_bias:to("cpu"), lin.grad_bias, 1e-5, "Linear grad bias")

  local relu = nn.ReLU()
  local r = relu:forward(x)
  local rd = nn.ReLU():forward(dev(x))
  T.tensor_near(rd:to("cpu"), r, 0, "ReLU forward")
  local relu_d = nn.ReLU(); relu_d:forward(dev(x))
  T.tensor_near(relu_d:backward(dev(x), dev(x)):to("cpu"), relu:backward(x, x), 0, "ReLU backward")

  local logits, labels = rh.randn(33, 10) * 3, rh.tensor{}
  local ids = {}
  for i = 1, 33 do ids[i] = (i * 7) % 10 + 1 end
  labels = rh.tensor(ids)
  local ce = nn.CrossEntropyLoss()
  local l = ce:forward(logits, labels)
  local g = ce:backward(logits, labels)
  local ce_d = nn.CrossEntropyLoss()
  local ld = ce_d:forward(dev(logits), dev(labels))
  T.near(ld, l, 1e-6, "cross-entropy loss")
  T.tensor_near(ce_d:backward(dev(logits), dev(labels)):to("cpu"), g, 1e-6, "cross-entropy gradient")
  local bad = labels:clone(); bad:set(5, 11)
  T.raises("position 5", function() return nn.CrossEntropyLoss():forward(dev(logits), dev(bad)) end)
  local bad2 = labels:clone(); bad2:set(7, 2.5)
  T.raises("position 7", function() return nn.CrossEntropyLoss():forward(dev(logits), dev(bad2)) end)

  local mse = nn.MSELoss()
  local target = rh.randn(33, 10)
  T.near(nn.MSELoss():forward(dev(logits), dev(target)), mse:forward(logits, target), 1e-6, "MSE loss")
  local m_d = nn.MSELoss(); m_d:forward(dev(logits), dev(target))
  T.tensor_near(m_d:backward(dev(logits), dev(target)):to("cpu"), mse:backward(logits, target), 1e-6, "MSE gradient")
end

-- ---- an MLP trained a few steps on both devices ----
local function train(device, make_opt, steps)
  rh.seed(5)
  local model = nn.MLP{64, 48, 32, 10}
  model:to(device)
  local opt = make_opt(model)
  local crit = nn.CrossEntropyLoss()
  rh.seed(6)
  local X, ids = rh.randn(32, 64), {}
  for i = 1, 32 do ids[i] = (i * 3) % 10 + 1 end
  local Y = rh.tensor(ids)
  X, Y = X:to(device), Y:to(device)
  local losses = {}
  for s = 1, steps do
    opt:zero_grad()
    local y = model:forward(X)
    losses[s] = crit:forward(y, Y)
    model:backward(X, crit:backward(y, Y))
    opt:step()
  end
  local ws = {}
  for i, l in ipairs(model:linear_layers()) do ws[i] = l.weight:to("cpu") end
  return losses, ws
end

for name, make in pairs{
  sgd = function(m) return optim.SGD(m, {lr = 0.05, momentum = 0.9, weight_decay = 5e-4}) end,
  nesterov = function(m) return optim.SGD(m, {lr = 0.05, momentum = 0.9, nesterov = true, weight_decay = 1e-3}) end,
  adam = function(m) return optim.Adam(m, {lr = 1e-3, weight_decay = 1e-4}) end,
  adamw = function(m) return optim.AdamW(m, {lr = 1e-3, weight_decay = 1e-2}) end,
} do
  local lc, wc = train("cpu", make, 8)
  local ld, wd = train(DEV, make, 8)
  for s = 1, #lc do T.near(ld[s], lc[s], 1e-4, name .. " loss at step " .. s) end
  T.ok(lc[#lc] < lc[1], name .. " loss goes down")
  for i = 1, #wc do T.tensor_near(wd[i], wc[i], 1e-4, name .. " weights of layer " .. i) end
end

T.done()
