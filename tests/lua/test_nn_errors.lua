-- test_nn_errors.lua - bad input gives clear errors: wrong widths (named inside a
-- Sequential), labels outside 1..C, NaN loss in rh.train.fit, a model resized after its
-- optimizer was built, bad constructor arguments.
local T = require "testlib"
local nn, optim = rh.nn, rh.optim
rh.seed(3)

local m = nn.MLP{784, 256, 10}
T.raises("MLP module 1 (Linear 784->256): bad input width 100, expected 784", m.forward, m, rh.zeros(2, 100))
local s = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(5, 2))
T.raises("Sequential module 3 (Linear 5->2): bad input width 3, expected 5", s.forward, s, rh.zeros(2, 4))
T.raises("bad input width 3, expected 4", function() return nn.Linear(4, 2):forward(rh.zeros(1, 3)) end)
T.raises("input must be a 2-D batch", function() return nn.Linear(4, 2):forward(rh.zeros(4)) end)
T.raises("module 2 is not a layer", nn.Sequential, nn.ReLU(), 42)
T.raises("nn.Linear: in must be a positive integer", nn.Linear, 0, 3)
T.raises("unknown init 'bogus'", nn.Linear, 3, 3, { init = "bogus" })

-- a user module that fails is named too
local bad = { name = "MyLayer", forward = function() error("my own failure") end, backward = function() end }
local s2 = nn.Sequential(nn.Linear(2, 2), bad)
T.raises("Sequential module 2 (MyLayer): my own failure", s2.forward, s2, rh.zeros(1, 2))

-- labels
local ce = nn.CrossEntropyLoss()
T.raises("label 11 at position 3 is outside 1..10", ce.forward, ce, rh.zeros(4, 10), rh.tensor{1, 2, 11, 4})
T.raises("label 0 at position 1 is outside 1..10", ce.forward, ce, rh.zeros(1, 10), rh.tensor{0})
T.raises("label 2.5 at position 2 is not a class id", ce.forward, ce, rh.zeros(2, 10), rh.tensor{1, 2.5})
T.raises("labels 3 do not match logits 4x10", ce.forward, ce, rh.zeros(4, 10), rh.tensor{1, 2, 3})
local mse = nn.MSELoss()
T.raises("prediction 2x3 and target 3x2 do not match", mse.forward, mse, rh.zeros(2, 3), rh.zeros(3, 2))

-- NaN loss: fit stops at the step where it happened and says so in the history; nonfinite =
-- "error" raises instead, "continue" goes on
local net = nn.MLP{3, 4, 2}
local X, Y = rh.randn(8, 3), rh.tensor{1, 2, 1, 2, 1, 2, 1, 2}
X:set(6, 1, 0 / 0)
local h = rh.train.fit(net, { x = X, y = Y }, { batch = 2, shuffle = false, max_epochs = 1, progress = false, lr = 0.1 })
T.eq(h.stopped, "diverged", "a NaN loss ends the run as diverged")
T.eq(h.diverged_step, 3, "at the step it happened")
T.eq(h.diverged, "loss is NaN at step 3 (epoch 1, batch 3)", "and says what")
T.raises("loss is NaN at step 3", rh.train.fit, nn.MLP{3, 4, 2}, { x = X, y = Y },
         { batch = 2, shuffle = false, max_epochs = 1, progress = false, lr = 0.1, nonfinite = "error" })
local ok, h2 = pcall(rh.train.fit, nn.MLP{3, 4, 2}, { x = X, y = Y },
                 { batch = 2, shuffle = false, max_epochs = 1, progress = false, nonfinite = "continue" })
T.ok(ok and h2.stopped == "max_epochs", "nonfinite = 'continue' goes on")
T.raises("nonfinite must be", rh.train.fit, nn.MLP{3, 4, 2}, { x = X, y = Y }, { nonfinite = "ignore" })

-- a module resized after the optimizer was built
local lin = nn.Linear(5, 3)
local opt = optim.SGD(lin, { lr = 0.1, momentum = 0.9 })
opt:step()
lin.weight, lin.grad_weight = rh.zeros(3, 4), rh.zeros(3, 4)
T.raises("parameter 1 of group 1 was replaced or resized after the optimizer was built (now 3x4, was 3x5)",
         opt.step, opt)
-- a parameter list whose gradient no longer fits
local p, g = rh.zeros(2, 2), rh.zeros(2, 3)
local o2 = optim.SGD({ { params = { p }, grads = { g } } }, { lr = 0.1 })
T.raises("parameter is 2x2 but its gradient is 2x3", o2.step, o2)
-- the whole-group step names itself and the parameter (the optimizer checks shapes first,
-- so the binding is called directly)
T.raises("sgd_steps: parameter 1: parameter is 2x2 but its gradient is 2x3",
         function() return rh._nn.sgd_steps({ p }, { g }, nil, 0.1, 0, 0, 0, false) end)
T.raises("sgd_steps: parameter 2 is not a live tensor",
         function() return rh._nn.sgd_steps({ p, 1 }, { p, g }, nil, 0.1, 0, 0, 0, false) end)
T.raises("has no gradient", optim.SGD, { rh.zeros(2) }, { lr = 0.1 })
T.raises("nesterov momentum requires", optim.SGD, nn.Linear(2, 2), { lr = 0.1, nesterov = true })
T.raises("betas must be", optim.Adam, nn.Linear(2, 2), { betas = { 1.5, 0.9 } })
T.raises("lr must be a finite number >= 0", optim.SGD, nn.Linear(2, 2), { lr = -1 })
-- non-finite settings (issue 24): --lr 1e400 is infinity, and NaN passed every "< 0" test
T.raises("optim.SGD: lr must be a finite number >= 0, got inf", optim.SGD, nn.Linear(2, 2), { lr = 1e400 })
T.raises("optim.SGD: lr must be a finite number >= 0, got", optim.SGD, nn.Linear(2, 2), { lr = 0 / 0 })
T.raises("optim.SGD: momentum must be a finite number >= 0", optim.SGD, nn.Linear(2, 2), { lr = 0.1, momentum = math.huge })
T.raises("optim.SGD: weight_decay must be a finite number >= 0", optim.SGD, nn.Linear(2, 2), { lr = 0.1, weight_decay = 0 / 0 })
T.raises("optim.Adam: eps must be a finite number >= 0", optim.Adam, nn.Linear(2, 2), { eps = 0 / 0 })
T.raises("optim.AdamW: lr must be a finite number >= 0", optim.AdamW, nn.Linear(2, 2), { lr = math.huge })
T.raises("optim.AdamW: weight_decay must be a finite number >= 0", optim.AdamW, nn.Linear(2, 2), { weight_decay = 1e400 })
-- a setting made non-finite between steps (a schedule gone wrong) is refused by the step
do
  local o = optim.SGD(nn.Linear(2, 2), { lr = 0.1 })
  o.groups[1].lr = 0 / 0
  T.raises("optim.SGD:step: group 1's lr is", o.step, o)
  local a = optim.Adam(nn.Linear(2, 2), { lr = 0.1 })
  a.groups[1].eps = math.huge
  T.raises("optim.Adam:step: group 1's eps is inf (it must be a finite number)", a.step, a)
end

-- absurd layer sizes name the layer and the sizes (a policy's width of 1e9 used to end in
-- "nn.lua:151: empty: out of memory")
T.raises("nn.Linear(784, 1000000000): its weight and gradient need", nn.Linear, 784, 1000000000)
T.raises("nn.Linear(9223372036854775807, 2): its weight and gradient need", nn.Linear, math.maxinteger, 2)
T.raises("nn.Linear(784, 1000000000)", nn.MLP, { 784, 1000000000, 10 })
T.raises("nn.Linear: out must be a positive integer, got 1000000000.0", nn.Linear, 3, 1e9)
T.raises("nn.Linear: in must be a positive integer, got 0", nn.Linear, 0, 3)

T.done()
