-- test_train_loop.lua - the hand-written loop: no tensor allocation per step once the
-- shapes repeat; a custom Lua layer inside Sequential; train/evaluate modes; groups
-- with their own weight decay; the saturation rule; evaluate on {x=, y=} data.
local T = require "testlib"
local nn, optim = rh.nn, rh.optim
rh.seed(11)

-- a steady loop allocates no tensor memory
do
  local model = nn.MLP{ 20, 16, 16, 4 }
  local crit = nn.CrossEntropyLoss()
  local opt = optim.SGD(model, { lr = 0.1, momentum = 0.9, weight_decay = 1e-4 })
  local X, Y = rh.randn(32, 20), rh.tensor{ 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4,
                                             1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4 }
  local function step()
    opt:zero_grad()
    local y = model:forward(X)
    local l = crit:forward(y, Y)
    model:backward(X, crit:backward(y, Y), true)
    opt:step()
    return l
  end
  local first = step(); step()
  local before, live = rh.allocated(), rh.memory().cpu
  local last
  for _ = 1, 50 do last = step() end
  T.eq(rh.allocated() - before, 0, "no tensor bytes allocated in 50 steady steps")
  T.eq(rh.memory().cpu, live, "live tensor memory unchanged")
  T.ok(last < first, "the loss falls")
  -- Adam too
  local adam = optim.AdamW(model, { lr = 1e-3 })
  adam:step()
  before = rh.allocated()
  for _ = 1, 5 do adam:zero_grad(); model:forward(X); adam:step() end
  T.eq(rh.allocated() - before, 0, "AdamW steps allocate nothing")
end

-- a user's Lua table is a layer: y = 2x, no parameters
do
  local Double = { name = "Double" }
  function Double:forward(x) self.output = x * 2; return self.output end
  function Double:backward(x, gy) return gy * 2 end
  function Double:parameters() return {}, {} end
  local lin = nn.Linear(3, 2)
  local s = nn.Sequential(Double, lin)
  local x = rh.randn(4, 3)
  T.tensor_near(s:forward(x), lin:forward(x * 2), 1e-6, "custom layer forward")
  s:zero_grad()
  local gx = s:backward(x, rh.ones(4, 2))
  T.tensor_near(gx, rh.matmul(rh.ones(4, 2), lin.weight) * 2, 1e-6, "custom layer backward")
  T.eq(s:num_parameters(), 8, "parameters counted through the custom layer")
  T.eq(#s:linear_layers(), 1, "linear_layers")
  s:evaluate(); T.eq(lin.training, false, "evaluate propagates")
  s:train(); T.eq(lin.training, true, "train propagates")
  T.ok(tostring(s):find("Linear(3 -> 2)", 1, true) ~= nil, "tostring lists layers")
end

-- parameter groups: no weight decay on the last layer, live lr changes
do
  local m = nn.MLP{ 3, 4, 2 }
  local l1, l2 = m.modules[1], m.modules[3]
  local opt = optim.SGD({ { params = l1, weight_decay = 0.5 }, { params = l2, weight_decay = 0 } }, { lr = 0.1 })
  m:zero_grad() -- zero gradients: only weight decay moves the weights
  local w1, w2 = l1.weight:clone(), l2.weight:clone()
  opt:step()
  T.tensor_near(l1.weight, w1 * (1 - 0.1 * 0.5), 1e-6, "group 1 decays")
  T.tensor_near(l2.weight, w2, 0, "group 2 does not")
  opt.groups[2].weight_decay = 1.0
  opt.groups[2].lr = 0.2
  opt:step()
  T.tensor_near(l2.weight, w2 * (1 - 0.2), 1e-6, "live lr and weight_decay")
end

-- fit on in-memory tensors: saturation stops early, history and evaluate
do
  local X = rh.randn(64, 2)
  local labels = {}
  for i = 1, 64 do labels[i] = X:get(i, 1) > 0 and 2 or 1 end
  local Y = rh.tensor(labels)
  local m = nn.MLP{ 2, 8, 2 }
  local h = rh.train.fit(m, { x = X, y = Y }, { lr = 0.5, batch = 16, max_epochs = 200, patience = 3,
                                              threshold = 0.5, progress = false })
  T.eq(h.stopped, "saturated", "saturation rule stops training")
  T.ok(#h < 200, "fewer epochs than the cap")
  local loss, acc = rh.train.evaluate(m, { x = X, y = Y })
  T.ok(acc > 0.8 and loss == loss, "evaluate gives loss and accuracy")
  local h2 = rh.train.fit(m, { x = X, y = Y }, { lr = 0.1, max_epochs = 5, progress = false,
                                               callback = function(e) return e < 2 end })
  T.eq(h2.stopped, "callback", "callback stops")
  T.eq(#h2, 2, "after two epochs")
end

T.done()
