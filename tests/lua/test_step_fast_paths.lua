-- test_step_fast_paths.lua - the training step's Lua fast paths against the plain paths
-- they shortcut: SGD's whole-group call (rh._nn.sgd_steps) against one sgd_step per
-- parameter; the buffers Linear, ReLU and the losses keep with the tensor they served
-- against buffers looked up anew (a fresh model per step); the optimizer's check that a
-- module's parameters are unchanged (_same_parameters) against the lists of parameters(),
-- and a step that allocates no Lua memory.
local T = require "testlib"
local nn, optim, C = rh.nn, rh.optim, rh._nn

local same = T.same_elements

local X, Y = rh.randn(8, 5), rh.tensor{ 1, 2, 3, 1, 2, 3, 1, 2 }
local X2 = rh.randn(8, 5)

-- The reference SGD step: one sgd_step per parameter, buffers made on the first step.
local function reference_step(g, state)
  for j, p in ipairs(g.params) do
    local buf, first = nil, false
    if g.momentum ~= 0 then
      buf = state[j]
      if not buf then buf = rh.zeros_like(p); state[j] = buf; first = true end
    end
    C.sgd_step(p, g.grads[j], buf, g.lr, g.momentum, g.dampening, g.weight_decay, g.nesterov and true or false, first)
  end
end

for _, o in ipairs {
  { lr = 0.05, momentum = 0.9, weight_decay = 1e-3 },
  { lr = 0.05, momentum = 0.9, nesterov = true, weight_decay = 1e-3 },
  { lr = 0.05, momentum = 0.8, dampening = 0.3 },
  { lr = 0.1 },
  { lr = 0.1, weight_decay = 0.01 },
} do
  local name = string.format("SGD momentum %g nesterov %s dampening %g wd %g", o.momentum or 0, tostring(o.nesterov),
                             o.dampening or 0, o.weight_decay or 0)
  rh.seed(9)
  local a = nn.MLP{ 5, 7, 7, 3 }
  rh.seed(9)
  local b = nn.MLP{ 5, 7, 7, 3 }
  local crit = nn.CrossEntropyLoss()
  local opt = optim.SGD(a, o)
  local ref = optim.SGD(b, o) -- for its groups' fields only
  local ref_state = {}
  for s = 1, 5 do
    for _, m in ipairs { a, b } do
      m:zero_grad()
      local x = s % 2 == 0 and X or X2
      local y = m:forward(x)
      crit:forward(y, Y)
      m:backward(x, crit:backward(y, Y), true)
    end
    opt:step()
    reference_step(ref.groups[1], ref_state)
    if s == 3 then opt.groups[1].state = {}; ref_state = {} end -- buffers dropped: made again
  end
  local pa, pb = a:parameters(), b:parameters()
  local ok = true
  for i = 1, #pa do ok = ok and same(pa[i], pb[i]) end
  T.ok(ok, name .. ": whole-group steps = one step per parameter, bit for bit")
end

-- sgd_steps says when it cannot take a group (a buffer missing) and then changes nothing
do
  local p, g = rh.ones(3), rh.ones(3)
  T.eq(C.sgd_steps({ p }, { g }, {}, 0.1, 0.9, 0, 0, false), false, "a missing buffer: not taken")
  T.ok(same(p, rh.ones(3)), "and nothing updated")
  T.eq(C.sgd_steps({ p }, { g }, nil, 0.1, 0, 0, 0, false), true, "no momentum: no buffers needed")
  T.near(p:get(1), 0.9, 1e-7, "updated")
  T.raises("gradient 1 is not a live tensor", C.sgd_steps, { p }, { 5 }, nil, 0.1, 0, 0, 0, false)
end

-- Kept buffers: a model stepped many times on the same input tensors gives what fresh
-- models (every buffer looked up anew) give; a different input tensor, another batch size,
-- a layer resized in place, all take the checked path and give the right answer.
do
  rh.seed(10)
  local m = nn.MLP{ 5, 6, 3 }
  local crit = nn.CrossEntropyLoss()
  local function fresh_copy()
    local f = nn.MLP{ 5, 6, 3 }
    for i, l in ipairs(f:linear_layers()) do
      l.weight:copy(m:linear_layers()[i].weight); l.bias:copy(m:linear_layers()[i].bias)
    end
    return f
  end
  local function grads(model, x, y)
    model:zero_grad()
    local out = model:forward(x)
    local loss = crit:forward(out, y)
    local gx = model:backward(x, crit:backward(out, y))
    local _, gs = model:parameters()
    return out:clone(), loss, gx:clone(), gs
  end
  for round, x in ipairs { X, X, X2, X, rh.randn(3, 5), X } do
    local y = x:size(1) == 8 and Y or rh.tensor{ 1, 2, 3 }
    local o1, l1, gx1, g1 = grads(m, x, y)
    local f = fresh_copy()
    local o2, l2, gx2, g2 = grads(f, x, y)
    local ok = same(o1, o2) and l1 == l2 and same(gx1, gx2)
    for i = 1, #g1 do ok = ok and same(g1[i], g2[i]) end
    T.ok(ok, "round " .. round .. ": kept buffers = fresh buffers (" .. x:size(1) .. " rows)")
  end
  -- resized in place, as a surgery would: new weight, new widths, the old input tensor
  local l1 = m.modules[1]
  m:forward(X)
  l1.out_features = 4
  l1.weight, l1.bias, l1.grad_weight, l1.grad_bias = rh.randn(4, 5), rh.zeros(4), rh.zeros(4, 5), rh.zeros(4)
  local l2 = m.modules[3]
  l2.in_features = 4
  l2.weight, l2.grad_weight = rh.randn(3, 4), rh.zeros(3, 4)
  local y = m:forward(X)
  T.eq(l1.output:size(2), 4, "a resized layer's output has its new width")
  T.eq(y:size(2), 3, "and the model's output is whole")
  local gx = m:backward(X, crit:backward(y, Y))
  T.eq(l2.grad_input:size(2), 4, "the layer after it takes the new width")
  T.eq(gx:size(2), 5, "input gradient")
  -- a wrong input after a kept one is still refused with the layer's message
  T.raises("bad input width 4, expected 5", function() m:forward(rh.randn(8, 4)) end)
  T.raises("input must be a 2-D batch", function() m:forward(rh.randn(5)) end)
end

-- errors still point at the script's line, not into the library, through the shortcuts
do
  local crit, lin = nn.CrossEntropyLoss(), nn.Linear(5, 3)
  local function where(f)
    local _, err = pcall(f)
    return tostring(err):match("^[^:]*:%d+:") or tostring(err)
  end
  local here = "test_step_fast_paths.lua:%d+:$"
  crit:forward(lin:forward(X), Y) -- buffers kept for these tensors
  T.ok(where(function() local l = crit:forward(5, Y); return l end):find(here), "a loss refusing its prediction")
  T.ok(where(function() local l = crit:forward(lin.output, 7); return l end):find(here), "a loss refusing its target")
  T.ok(where(function() local y = lin:forward(rh.randn(8, 4)); return y end):find(here), "Linear forward")
  T.ok(where(function() local g = lin:backward(rh.randn(8, 4), rh.randn(8, 3)); return g end):find(here),
       "Linear backward")
end

-- the optimizer's unchanged-parameters check: quiet while nothing changes (also through a
-- custom layer with parameters), loud when a Linear's weight or a custom layer's parameter
-- is replaced
do
  local Scale = { name = "Scale" }
  Scale.__index = Scale
  local function new_scale()
    return setmetatable({ w = rh.ones(1, 5), gw = rh.zeros(1, 5) }, Scale)
  end
  function Scale:forward(x) self.output = x; return x end
  function Scale:backward(_, gy) return gy end
  function Scale:parameters() return { self.w }, { self.gw } end
  local sc = new_scale()
  local m = nn.Sequential(nn.Linear(5, 5), sc, nn.Linear(5, 3))
  local opt = optim.SGD(m, { lr = 0.01 })
  T.eq(m:_same_parameters(opt.groups[1].params, opt.groups[1].grads, 1), #opt.groups[1].params + 1,
       "unchanged: every parameter matched")
  opt:step()
  T.ok(true, "a step with nothing changed")
  sc.w = rh.ones(1, 5)
  T.raises("parameter 3 of group 1 was replaced", function() opt:step() end)
  sc.w = opt.groups[1].params[3]
  opt:step()
  m.modules[3].bias = rh.zeros(3)
  T.raises("parameter 5 of group 1 was replaced", function() opt:step() end)
  m.modules[3].bias = opt.groups[1].params[5]
  m:add(nn.Linear(3, 2))
  T.raises("parameter 6 of group 1 was replaced or resized", function() opt:step() end)
end

-- a module class of nn.class with parameters of its own: checked through Module's
-- _same_parameters (its parameters() lists), quiet unchanged, loud replaced
do
  local Bias = nn.class("Bias")
  function Bias:forward(x) self.output = x; return x end
  function Bias:backward(_, gy) return gy end
  function Bias:parameters() return { self.b }, { self.gb } end
  local bias = setmetatable({ b = rh.zeros(1, 3), gb = rh.zeros(1, 3) }, Bias)
  local m = nn.Sequential(nn.Linear(5, 3), nn.ReLU(), bias)
  local opt = optim.SGD(m, { lr = 0.01 })
  T.eq(m:_same_parameters(opt.groups[1].params, opt.groups[1].grads, 1), 4, "an nn.class module's parameter matched")
  opt:step()
  bias.b = rh.zeros(1, 3)
  T.raises("parameter 3 of group 1 was replaced", function() opt:step() end)
end

-- a step of a ReLU MLP allocates nothing on the Lua heap: the unchanged-parameters check
-- builds no lists (parameterless modules answer through Module:_same_parameters)
do
  local m = nn.MLP{ 5, 7, 7, 3 }
  local crit = nn.CrossEntropyLoss()
  for _, o in ipairs { { lr = 0.1 }, { lr = 0.1, momentum = 0.9, weight_decay = 1e-3 } } do
    local opt = optim.SGD(m, o)
    for _ = 1, 2 do
      opt:zero_grad()
      local y = m:forward(X)
      crit:forward(y, Y)
      m:backward(X, crit:backward(y, Y), true)
      opt:step()
    end
    collectgarbage("stop")
    local before = collectgarbage("count")
    for _ = 1, 50 do opt:zero_grad(); opt:step() end
    local grown = collectgarbage("count") - before
    collectgarbage("restart")
    T.eq(grown, 0, "SGD momentum " .. (o.momentum or 0) .. ": 50 steps of a ReLU MLP allocate no Lua memory (KB)")
  end
end

T.done()
