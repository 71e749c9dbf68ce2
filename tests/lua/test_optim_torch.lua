-- test_optim_torch.lua - 3 steps of each optimizer setting on a 5-7-3 MLP reach the
-- weights PyTorch reaches (tests/fixtures/optim_torch.lua, from make_optim_fixtures.py),
-- and the schedules produce PyTorch's learning rates.
local T = require "testlib"
local nn, optim = rh.nn, rh.optim
local fx = dofile((os.getenv("RH_SOURCE") or "..") .. "/tests/fixtures/optim_torch.lua")

local function load_init(m)
  local l1, l2 = m.modules[1], m.modules[3]
  l1.weight:copy(rh.tensor(fx.init.w1)); l1.bias:copy(rh.tensor(fx.init.b1))
  l2.weight:copy(rh.tensor(fx.init.w2)); l2.bias:copy(rh.tensor(fx.init.b2))
end

local names = {}
for name in pairs(fx.cases) do names[#names + 1] = name end
table.sort(names)
T.ok(#names >= 6, "fixture cases present")

for _, name in ipairs(names) do
  local case = fx.cases[name]
  local m = nn.MLP{5, 7, 3}
  load_init(m)
  local opt = optim[case.optimizer](m, case.opts)
  local crit = nn.CrossEntropyLoss()
  for _, b in ipairs(fx.batches) do
    local x, y = rh.tensor(b.x), rh.tensor(b.y)
    opt:zero_grad()
    local out = m:forward(x)
    crit:forward(out, y)
    m:backward(x, crit:backward(out, y))
    opt:step()
  end
  local l1, l2 = m.modules[1], m.modules[3]
  T.tensor_near(l1.weight, case.final.w1, 2e-6, name .. " w1")
  T.tensor_near(l1.bias, case.final.b1, 2e-6, name .. " b1")
  T.tensor_near(l2.weight, case.final.w2, 2e-6, name .. " w2")
  T.tensor_near(l2.bias, case.final.b2, 2e-6, name .. " b2")
  -- the weights did move: the comparison is not vacuous
  T.ok(math.abs(l1.weight:get(1, 1) - fx.init.w1[1][1]) > 1e-4, name .. " moved")
end

-- schedules against torch.optim.lr_scheduler (SGD with lr 0.5)
local function trace(make, steps, metrics)
  local p = rh.zeros(1)
  local opt = optim.SGD({ { params = { p }, grads = { rh.zeros(1) } } }, { lr = 0.5 })
  local s = make(opt)
  local out = {}
  for i = 1, steps do
    opt:step()
    s:step(metrics and metrics[i])
    out[i] = opt.groups[1].lr
  end
  return out
end
local S = fx.schedules
T.tensor_near(trace(function(o) return optim.StepLR(o, S.step.opts) end, #S.step.lrs), S.step.lrs, 1e-12, "StepLR")
T.tensor_near(trace(function(o) return optim.CosineLR(o, S.cosine.opts) end, #S.cosine.lrs), S.cosine.lrs, 1e-7,
              "CosineLR")
T.tensor_near(trace(function(o) return optim.ReduceLROnPlateau(o, S.plateau.opts) end, #S.plateau.lrs,
                    S.plateau.metrics), S.plateau.lrs, 1e-12, "ReduceLROnPlateau")

T.done()
