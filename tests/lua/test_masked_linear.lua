-- test_masked_linear.lua - nn.MaskedLinear: forward against a hand-computed masked product,
-- gradients against central differences (masked entries: zero both ways), masked weights
-- exactly zero after SGD (momentum, Nesterov, weight decay), Adam and AdamW steps, a mask
-- set after the optimizer was built, the safetensors round trip of weight, bias and mask,
-- and the errors of bad masks.
local T = require "testlib"
local nn = rh.nn
rh.seed(11)

local function zeros_where_masked(w, mask)
  local tw, tm = w:totable(), mask:totable()
  for i = 1, #tw do
    for j = 1, #tw[i] do
      if tm[i][j] == 0 and tw[i][j] ~= 0 then return false, string.format("(%d,%d) = %g", i, j, tw[i][j]) end
    end
  end
  return true
end

local mask = rh.tensor { { 1, 0, 1 }, { 0, 0, 1 } }

-- ---- forward: y = x (W .* M)^T + b, by hand ----
do
  local m = nn.MaskedLinear(3, 2, { mask = mask })
  m.weight:copy(rh.tensor { { 1, 2, 3 }, { 4, 5, 6 } }) -- masked entries written on purpose
  m.bias:copy(rh.tensor { 0.5, -1 })
  local x = rh.tensor { { 1, 1, 1 }, { 2, -1, 0.5 } }
  -- row 1: (1 + 3) + 0.5 = 4.5, 6 - 1 = 5; row 2: (2 + 1.5) + 0.5 = 4, 3 - 1 = 2
  T.tensor_near(m:forward(x), { { 4.5, 5 }, { 4, 2 } }, 0, "forward is the masked product")
  T.tensor_near(m.weight, { { 1, 0, 3 }, { 0, 0, 6 } }, 0, "forward zeroes the masked weights in place")
  T.eq(m:density(), 0.5, "density: 3 of 6 kept")
  T.eq(m:num_parameters(), 8, "parameters: weight and bias (the mask is not one)")
  -- the unmasked layer gives the same product once the weights are the masked ones
  local l = nn.Linear(3, 2)
  l.weight:copy(m.weight); l.bias:copy(m.bias)
  T.tensor_near(l:forward(x), m:forward(x), 0, "same as a Linear holding the masked weights")
  -- in a Sequential (not fused with the ReLU: the mask still applies)
  m.weight:copy(rh.tensor { { 1, 2, 3 }, { 4, 5, 6 } })
  local s = nn.Sequential(m, nn.ReLU())
  T.tensor_near(s:forward(x), { { 4.5, 5 }, { 4, 2 } }, 0, "masked in a Sequential before a ReLU")
  local d = nn.MaskedLinear(3, 2)
  T.eq(d:density(), 1, "default mask keeps everything")
end

-- ---- gradients: central differences of sum(forward(x) .* R) ----
do
  local mk = rh.tensor { { 1, 0, 1, 1, 0 }, { 0, 1, 1, 0, 1 }, { 1, 1, 0, 0, 1 }, { 0, 0, 0, 1, 1 } }
  local m = nn.MaskedLinear(5, 4, { mask = mk })
  local x, R = rh.randn(3, 5), rh.randn(3, 4)
  local f = function() return (m:forward(x) * R):sum() end
  m:zero_grad()
  m:forward(x)
  local gx = m:backward(x, R):clone()
  local function fd(name, t, grad) T.fd_check(name, t, grad, f) end
  -- (a masked weight perturbed is zeroed by forward: its difference is 0, as its gradient)
  local gw = m.grad_weight:clone()
  fd("MaskedLinear weight", m.weight, gw)
  fd("MaskedLinear bias", m.bias, m.grad_bias:clone())
  fd("MaskedLinear input", x, gx)
  T.ok(zeros_where_masked(gw, mk), "gradient zero where masked")
  local nonzero = 0
  for _, row in ipairs(gw:totable()) do for _, v in ipairs(row) do if v ~= 0 then nonzero = nonzero + 1 end end end
  T.eq(nonzero, 11, "gradient nonzero at the 11 kept entries")
end

-- ---- optimizers keep the masked weights exactly zero ----
local function train(make_opt, steps, late_mask)
  local mk = rh.tensor { { 1, 0, 1, 0 }, { 0, 1, 1, 0 }, { 1, 1, 0, 1 } }
  local m = nn.Sequential(nn.MaskedLinear(4, 3, late_mask and {} or { mask = mk }), nn.ReLU(), nn.Linear(3, 2))
  local ml = m.modules[1]
  local opt = make_opt(m)
  local crit = nn.MSELoss()
  local x, y = rh.randn(8, 4), rh.randn(8, 2)
  local moved = 0
  for s = 1, steps do
    if late_mask and s == steps // 2 then ml:set_mask(mk) end
    local w0 = ml.weight:clone()
    m:zero_grad()
    local out = m:forward(x)
    crit:forward(out, y)
    m:backward(x, crit:backward(out, y))
    opt:step()
    if (ml.weight - w0):abs():sum() > 0 then moved = moved + 1 end
  end
  return ml, mk, moved
end
for _, c in ipairs {
  { "SGD", function(m) return rh.optim.SGD(m, { lr = 0.1 }) end },
  { "SGD + weight decay", function(m) return rh.optim.SGD(m, { lr = 0.1, weight_decay = 0.05 }) end },
  { "SGD + momentum + weight decay", function(m) return rh.optim.SGD(m, { lr = 0.1, momentum = 0.9, weight_decay = 0.05 }) end },
  { "SGD Nesterov", function(m) return rh.optim.SGD(m, { lr = 0.1, momentum = 0.9, nesterov = true, weight_decay = 1e-2 }) end },
  { "Adam + L2", function(m) return rh.optim.Adam(m, { lr = 0.01, weight_decay = 0.1 }) end },
  { "AdamW", function(m) return rh.optim.AdamW(m, { lr = 0.01, weight_decay = 0.1 }) end },
} do
  for _, late in ipairs { false, true } do
    local ml, mk, moved = train(c[2], 20, late)
    local what = c[1] .. (late and " (mask set after 9 steps with momentum)" or "")
    local ok, at = zeros_where_masked(ml.weight, mk)
    T.ok(ok, what .. ": masked weights exactly zero after 20 steps " .. tostring(at or ""))
    T.eq(moved, 20, what .. ": the kept weights did train")
    T.ok(zeros_where_masked(ml.grad_weight, mk), what .. ": gradient zero where masked")
  end
end
do -- the optimizer's buffers are masked too (a momentum buffer built before the mask)
  local ml = train(function(m) return rh.optim.SGD(m, { lr = 0.1, momentum = 0.9 }) end, 4, true)
  local opt = rh.optim.SGD(ml, { lr = 0.1, momentum = 0.9 })
  local x = rh.randn(5, 4)
  ml:set_mask(rh.ones(3, 4))
  ml:forward(x); ml:backward(x, rh.ones(5, 3)); opt:step()
  local keep = rh.tensor { { 0, 1, 1, 1 }, { 1, 1, 1, 1 }, { 1, 1, 1, 1 } }
  ml:set_mask(keep)
  ml:zero_grad(); opt:step() -- no gradient: only the buffer would move (1,1)
  T.eq(ml.weight:get(1, 1), 0, "a masked weight with a live momentum buffer stays zero")
  T.eq(opt.groups[1].state[1]:get(1, 1), 0, "its momentum buffer is zeroed")
end

-- ---- checkpoint round trip: rh.save / rh.load of the named tensors ----
do
  local dir = rh.io.mkdtemp("rh-test-masked")
  local mk = rh.tensor { { 1, 0, 1 }, { 0, 1, 1 }, { 1, 1, 0 }, { 0, 0, 1 } }
  local m = nn.MaskedLinear(3, 4, { mask = mk })
  local named = {}
  for _, np in ipairs(m:named_parameters()) do named[np[1]] = np[2] end
  T.ok(named.weight and named.bias and named.mask, "named tensors: weight, bias, mask")
  rh.save(dir .. "/m.safetensors", named)
  local t = rh.load(dir .. "/m.safetensors")
  local m2 = nn.MaskedLinear(3, 4)
  m2:set_mask(t.mask)
  m2.weight:copy(t.weight); m2.bias:copy(t.bias)
  T.ok(T.same_elements(m2.mask, mk), "mask round trip")
  local x = rh.randn(6, 3)
  T.ok(T.same_elements(m2:forward(x), m:forward(x)), "loaded layer gives the same outputs")
  if m.state_dict then -- the generic state dict (branch user) picks the mask up by name
    local sd = m:state_dict()
    T.ok(sd.mask ~= nil, "state_dict holds the mask")
  end
  -- prefixed names inside a model
  local pairs_ = m:named_parameters("1.")
  T.eq(pairs_[3][1], "1.mask", "prefixed name")
  os.remove(dir .. "/m.safetensors")
  os.remove(dir)
end

-- ---- bad masks are refused, naming the function ----
T.raises("nn.MaskedLinear: mask must be 2x3", nn.MaskedLinear, 3, 2, { mask = rh.ones(3, 2) })
T.raises("nn.MaskedLinear: mask must hold only 0 and 1", nn.MaskedLinear, 3, 2, { mask = rh.full({ 2, 3 }, 0.5) })
T.raises("nn.MaskedLinear: mask must be a tensor", nn.MaskedLinear, 3, 2, { mask = 1 })
T.raises("nn.MaskedLinear: in must be a positive integer", nn.MaskedLinear, 0, 2)
T.raises("set_mask: mask must be 2x3", function() nn.MaskedLinear(3, 2):set_mask(rh.ones(2, 2)) end)

-- the rank tools see a MaskedLinear as the Linear it is (fit's rank rule, rh.rank.network)
do
  rh.seed(3)
  local net = nn.Sequential(nn.MaskedLinear(5, 4), nn.ReLU(), nn.MaskedLinear(4, 3))
  local layers = nn.rank_layers(net)
  T.eq(#layers, 2, "rank_layers lists both masked layers")
  local r = rh.rank.network(net, { data = rh.randn(6, 5) })
  T.eq(#r.layers, 2, "rh.rank.network measures both masked layers")
end

T.done()
