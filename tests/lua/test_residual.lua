-- test_residual.lua - composite layers and the rank tools' protocol: nn.Residual (y = x + f(x))
-- against a forward computed by hand and finite differences; rh.rank.network's weights and
-- activations of a residual MLP against hand-computed activations (the skip path kept, no
-- ReLU added); a residual block written in Lua is read right when it lists its Linear
-- layers and refused, naming it, when it does not (never measured as a plain MLP).
local T = require "testlib"
local nn = rh.nn
rh.seed(11)

local orig_forward, orig_forward_relu = nn.LinearClass.forward, nn.LinearClass.forward_relu
local function lin(l, x) return rh.matmul(x, l.weight:t()) + l.bias end

-- ---- the shipped nn.Residual in a residual MLP ----
local L1, L2, L3, L4 = nn.Linear(4, 6), nn.Linear(6, 6), nn.Linear(6, 6), nn.Linear(6, 3)
local model = nn.Sequential(L1, nn.ReLU(), nn.Residual(nn.Sequential(L2, nn.ReLU(), L3)), nn.ReLU(), L4)
local X = rh.randn(40, 4)
local h1 = lin(L1, X):relu()
local u = lin(L2, h1):relu()
local r = (h1 + lin(L3, u)):relu() -- the block's output, then the outer ReLU
local out = lin(L4, r)
T.tensor_near(model:forward(X), out, 1e-5, "residual MLP forward")
local ls = model:linear_layers()
T.eq(#ls, 4, "all four Linear layers listed")
for i, l in ipairs { L1, L2, L3, L4 } do T.ok(rawequal(ls[i], l), "layer " .. i .. " in forward order") end

local acts = nn.rank_activations(model, ls, X)
T.eq(#acts, 4, "one activation per layer")
T.tensor_near(acts[1], h1, 1e-5, "activation 1: relu(L1 x)")
T.tensor_near(acts[2], u, 1e-5, "activation 2: relu(L2 h1), inside the block")
T.tensor_near(acts[3], r, 1e-5, "activation 3: relu(h1 + L3 u): the skip path kept")
T.tensor_near(acts[4], out, 1e-5, "activation 4: the logits")
local res = rh.rank.network(model, { data = X })
T.eq(#res.layers, 4, "rank.network: four layers")
T.eq(#res.activations.layers, 4, "rank.network: four activations")
for i, a in ipairs { h1, u, r, out } do
  T.tensor_near(res.activations.layers[i].svals, rh.linalg.svdvals(a), 1e-4, "activation spectrum " .. i)
  T.tensor_near(res.layers[i].svals, rh.linalg.svdvals(ls[i].weight), 1e-5, "weight spectrum " .. i)
end
T.ok(res.activations.layers[3].hidden and not res.activations.layers[4].hidden, "hidden flags")
-- the Linear methods are themselves again after tracing
T.ok(rawequal(nn.LinearClass.forward, orig_forward) and rawequal(nn.LinearClass.forward_relu, orig_forward_relu),
     "tracing restored")
T.tensor_near(model:forward(X), out, 1e-5, "forward after tracing")

-- finite differences through the skip path (T.fd_check on every entry): the input and every
-- parameter, the block's inner layers included. Between ReLU kinks the objective is linear in
-- each entry, so a central difference is exact up to rounding; the rows used keep every ReLU's
-- input at least MARGIN from 0, beyond what a step of fd_check's eps (1e-2) moves it, so no step
-- crosses a kink (with all 40 rows of X some do, and the check fails there).
do
  local MARGIN, ROWS = 0.05, 12
  local cand, rows = rh.randn(400, 4), {}
  local z1 = lin(L1, cand)
  local z2 = lin(L2, z1:relu())
  local z3 = z1:relu() + lin(L3, z2:relu())
  local a1, a2, a3 = z1:abs():min(2), z2:abs():min(2), z3:abs():min(2)
  for i = 1, cand:size(1) do
    if #rows < ROWS and math.min(a1:get(i, 1), a2:get(i, 1), a3:get(i, 1)) >= MARGIN then rows[#rows + 1] = cand[i]:totable() end
  end
  T.eq(#rows, ROWS, "rows away from every ReLU kink")
  local Xg, R = rh.tensor(rows), rh.randn(ROWS, 3)
  local function f() return (model:forward(Xg) * R):sum() end
  model:zero_grad()
  model:forward(Xg)
  local gx = model:backward(Xg, R):clone()
  T.fd_check("Residual input", Xg, gx, f)
  for i, l in ipairs { L1, L2, L3, L4 } do
    T.fd_check("Residual MLP layer " .. i .. " weight", l.weight, l.grad_weight, f)
    T.fd_check("Residual MLP layer " .. i .. " bias", l.bias, l.grad_bias, f)
  end
  T.eq(model:backward(Xg, R, true), nil, "skip_input_grad")
end
T.raises("f must keep its input's shape", function() return nn.Residual(nn.Linear(6, 5)):forward(rh.randn(2, 6)) end)
T.raises("Residual (f = Linear 6->6): bad input width 4", function() return nn.Residual(nn.Linear(6, 6)):forward(rh.randn(2, 4)) end)

-- trains with fit's rank rule: every layer is measured
do
  local data = { x = rh.randn(64, 4), y = rh.tensor((function() local t = {} for i = 1, 64 do t[i] = i % 3 + 1 end return t end)()) }
  local m = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Residual(nn.Sequential(nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, 6))),
                          nn.Linear(6, 3))
  local h = rh.train.fit(m, data, { lr = 0.05, batch = 16, max_epochs = 3, progress = false,
                                    rank_converged = { measure = "energy", patience = 2, every = 1 } })
  T.eq(#h.ranks, 4, "fit's rank rule measures the block's inner layers")
end

-- ---- a residual block written in Lua (docs/training.md: a table with forward, backward, parameters) ----
local function ResBlock(d, list)
  local b = { name = "ResBlock", l1 = nn.Linear(d, d), act = nn.ReLU(), l2 = nn.Linear(d, d) }
  function b:forward(x)
    local h = self.act:forward(self.l1:forward(x))
    self.output = x + self.l2:forward(h)
    return self.output
  end
  function b:backward(x, gy)
    local g = self.l2:backward(self.act.output, gy)
    return gy + self.l1:backward(x, self.act:backward(self.l1.output, g))
  end
  function b:parameters()
    local p1, g1 = self.l1:parameters()
    local p2, g2 = self.l2:parameters()
    for i = 1, #p2 do p1[#p1 + 1], g1[#g1 + 1] = p2[i], g2[i] end
    return p1, g1
  end
  if list == "all" then
    function b:linear_layers() return { self.l1, self.l2 } end
  elseif list == "one" then
    function b:linear_layers() return { self.l1 } end
  end
  return b
end

-- no linear_layers(): refused, naming the block, by every rank tool
do
  local m = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), ResBlock(6), nn.Linear(6, 3))
  T.raises("Sequential module 3 (ResBlock): has parameters but no linear_layers()", function() return m:linear_layers() end)
  T.raises("bad argument #1 to 'network' (Sequential module 3 (ResBlock): has parameters", function()
    return rh.rank.network(m, { data = X }) end)
  T.raises("Sequential module 3 (ResBlock)", function() return rh.rank.svals(m) end)
  local data = { x = rh.randn(8, 4), y = rh.ones(8) }
  T.raises("rank_converged: Sequential module 3 (ResBlock)", function()
    return rh.train.fit(m, data, { max_epochs = 1, progress = false, rank_converged = { measure = "energy" } }) end)
end

-- linear_layers() that leaves a Linear out: refused, naming the block and the layer
do
  local m = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), ResBlock(6, "one"), nn.Linear(6, 3))
  T.raises("Sequential module 3 (ResBlock) uses Linear 6->6, which linear_layers() does not list", function()
    return rh.rank.network(m) end)
end

-- a block that lists its layers: traced through its own forward, the skip path and no extra ReLU
do
  local blk = ResBlock(6, "all")
  local A, B = nn.Linear(4, 6), nn.Linear(6, 3)
  local m = nn.Sequential(A, nn.ReLU(), blk, B)
  local a1 = lin(A, X):relu()
  local a2 = lin(blk.l1, a1):relu()
  local a3 = a1 + lin(blk.l2, a2) -- no ReLU after the block in this model
  local a4 = lin(B, a3)
  local got = nn.rank_activations(m, m:linear_layers(), X)
  T.tensor_near(got[2], a2, 1e-5, "Lua block: inner activation")
  T.tensor_near(got[3], a3, 1e-5, "Lua block: x + f(x), no ReLU added")
  T.tensor_near(got[4], a4, 1e-5, "Lua block: logits")
  local net = rh.rank.network(m, { data = X })
  T.near(net.activations.layers[3].fro, rh.linalg.norm(a3), 1e-4, "Lua block: activation norm of x + f(x)")
  -- a listed Linear called twice (a shared layer) cannot be traced
  function blk:forward(x) return x + self.l2:forward(self.l2:forward(x)) end
  T.raises("cannot be traced", function() return rh.rank.network(m, { data = X }) end)
end

-- a module with parameters that are not Linear layers says so with linear_layers() = {}
do
  local Scale = nn.class("Scale")
  function Scale:parameters() return { self.s }, { self.g } end
  local s = setmetatable({ s = rh.ones(1, 4), g = rh.zeros(1, 4), _bufs = {} }, Scale)
  function s:forward(x) self.output = x * self.s; return self.output end
  function s:backward(x, gy) return gy * self.s end
  T.raises("Sequential module 1 (Scale): Scale has parameters but does not define linear_layers()", function()
    return nn.Sequential(s, nn.Linear(4, 2)):linear_layers() end)
  function Scale:linear_layers() return {} end
  local m = nn.Sequential(s, nn.Linear(4, 2))
  T.eq(#rh.rank.network(m, { data = X }).layers, 1, "a non-Linear parameter with linear_layers() = {}")
end

T.done()
