-- test_state_dict.lua - state dicts of modules and optimizers and rh.checkpoint: the names,
-- a round trip through a safetensors file that resumes training bit-identically (N steps,
-- save, load into a fresh model and optimizer, M more steps == N + M steps straight) for SGD
-- (momentum, Nesterov), Adam and AdamW, the metadata, and the refusals.
local T = require "testlib"
local nn, optim = rh.nn, rh.optim

local function build(seed)
  rh.seed(seed)
  return nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Residual(nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8))),
                       nn.ReLU(), nn.Linear(8, 3))
end

-- the names
do
  local m = build(1)
  local sd = m:state_dict()
  local names = {}
  for k in pairs(sd) do names[#names + 1] = k end
  table.sort(names)
  T.eq(table.concat(names, " "), "1.bias 1.weight 3.block.1.bias 3.block.1.weight 3.block.3.bias 3.block.3.weight "
    .. "5.bias 5.weight", "state_dict names")
  T.ok(rawequal(sd["3.block.3.weight"], m.modules[3].block.modules[3].weight), "the tensors themselves")
  T.eq(nn.architecture(m), "Sequential(Linear 5->8, ReLU, Residual(Sequential(Linear 8->8, ReLU, Linear 8->8)), ReLU, "
    .. "Linear 8->3)", "architecture")
  T.eq(nn.architecture(nn.MLP { 4, 6, 2 }), "MLP(4-6-2)", "MLP architecture")
  -- a layer written in Lua: its parameters() in order
  local s = { s = rh.ones(1, 5), g = rh.zeros(1, 5), forward = function(self, x) return x end, backward = function() end }
  function s:parameters() return { self.s }, { self.g } end
  T.ok(nn.Sequential(s, nn.Linear(5, 2)):state_dict()["1.param1"] ~= nil, "a Lua layer's parameters: param<j>")
end

local batches = {}
rh.seed(99)
for i = 1, 10 do
  local y = {}
  for k = 1, 16 do y[k] = (k + i) % 3 + 1 end
  batches[i] = { rh.randn(16, 5), rh.tensor(y) }
end
local crit = nn.CrossEntropyLoss()
local function train(m, opt, from, to)
  for i = from, to do
    local X, Y = batches[i][1], batches[i][2]
    opt:zero_grad()
    local y = m:forward(X)
    crit:forward(y, Y)
    m:backward(X, crit:backward(y, Y))
    opt:step()
    if i == 4 then for _, g in ipairs(opt.groups) do g.lr = g.lr * 0.5 end end -- a schedule moved lr
  end
end

local function same_model(a, b)
  local sa, sb = a:state_dict(), b:state_dict()
  for k, t in pairs(sa) do if not T.same_elements(t, sb[k]) then return false, k end end
  return true
end

local dir = os.getenv("TMPDIR") or "/tmp"
local path = string.format("%s/rh_state_%d.safetensors", dir, math.random(1, 1 << 30))
local kinds = {
  { "SGD", function(m) return optim.SGD(m, { lr = 0.1, momentum = 0.9, weight_decay = 5e-3 }) end },
  { "SGD nesterov", function(m) return optim.SGD(m, { lr = 0.1, momentum = 0.9, nesterov = true }) end },
  { "SGD two groups", function(m)
    local l = m:linear_layers()
    return optim.SGD({ { params = { l[1].weight, l[1].bias, l[2].weight, l[2].bias, l[3].weight, l[3].bias } },
                       { params = l[4], weight_decay = 0, momentum = 0.5 } }, { lr = 0.1, momentum = 0.9, weight_decay = 1e-3 })
  end },
  { "Adam", function(m) return optim.Adam(m, { lr = 0.01 }) end },
  { "AdamW", function(m) return optim.AdamW(m, { lr = 0.01, weight_decay = 0.1 }) end },
}
for _, kind in ipairs(kinds) do
  local name, make = kind[1], kind[2]
  local straight = build(1)
  local o1 = make(straight)
  train(straight, o1, 1, 10)

  local first = build(1)
  local o2 = make(first)
  train(first, o2, 1, 6)
  rh.checkpoint.save(path, { model = first, optimizer = o2, meta = { seed = 1, iteration = 6, study = "test" } })

  local fresh = build(2) -- other weights: all must come from the file
  local o3 = make(fresh)
  T.ok(not same_model(fresh, first), name .. ": the fresh model differs before loading")
  local meta = rh.checkpoint.load(path, { model = fresh, optimizer = o3 })
  T.ok(same_model(fresh, first), name .. ": weights loaded")
  T.eq(o3.groups[1].lr, o2.groups[1].lr, name .. ": lr restored exactly")
  train(fresh, o3, 7, 10)
  local ok, which = same_model(fresh, straight)
  T.ok(ok, name .. ": 6 steps + save + load + 4 steps == 10 steps, bit for bit" .. (which and (" (differs: " .. which .. ")") or ""))
  T.eq(meta.seed, "1", name .. ": meta seed"); T.eq(meta.iteration, "6", name .. ": meta iteration")
  T.eq(meta.study, "test", name .. ": meta study"); T.eq(meta.format, "rankhost-checkpoint 1", name .. ": format")
  T.eq(meta.architecture, nn.architecture(first), name .. ": architecture")
  T.eq(meta["optimizer.optimizer"], o2.name, name .. ": optimizer kind")
end

-- schedulers: StepLR and ReduceLROnPlateau (its best starts at +inf) through a checkpoint
do
  local function run(m, opt, s1, s2, from, to)
    for e = from, to do
      train(m, opt, e, e)
      s1:step()
      s2:step(10 - e % 3) -- a metric that stalls: the plateau rule acts
    end
  end
  local a = build(4)
  local oa = optim.SGD(a, { lr = 0.1, momentum = 0.9 })
  local sa, pa = optim.StepLR(oa, { step = 2, gamma = 0.5 }), optim.ReduceLROnPlateau(oa, { patience = 1, factor = 0.5 })
  run(a, oa, sa, pa, 1, 8)
  local b = build(4)
  local ob = optim.SGD(b, { lr = 0.1, momentum = 0.9 })
  local sb, pb = optim.StepLR(ob, { step = 2, gamma = 0.5 }), optim.ReduceLROnPlateau(ob, { patience = 1, factor = 0.5 })
  T.eq(pb:state_dict().best, "inf", "an infinite best is written as inf")
  run(b, ob, sb, pb, 1, 3)
  rh.checkpoint.save(path, { model = b, optimizer = ob, scheduler = sb })
  local meta_p = pb:state_dict()
  local c = build(5)
  local oc = optim.SGD(c, { lr = 0.1, momentum = 0.9 })
  local sc, pc = optim.StepLR(oc, { step = 2, gamma = 0.5 }), optim.ReduceLROnPlateau(oc, { patience = 1, factor = 0.5 })
  rh.checkpoint.load(path, { model = c, optimizer = oc, scheduler = sc })
  pc:load_state_dict(meta_p)
  T.eq(sc.last_epoch, 3, "StepLR's epoch restored")
  run(c, oc, sc, pc, 4, 8)
  T.ok(same_model(a, c), "with schedulers: 3 epochs + save + load + 5 == 8 straight, bit for bit")
  T.eq(oc.groups[1].lr, oa.groups[1].lr, "the schedules' learning rate")
  T.raises("load_state_dict: the scheduler's state lacks '", function() return sc:load_state_dict({}) end)
end

-- an optimizer saved before its first step (no momentum buffer yet) loads as fresh
do
  local a, b = build(3), build(3)
  local oa, ob = optim.SGD(a, { lr = 0.1, momentum = 0.9 }), optim.SGD(b, { lr = 0.1, momentum = 0.9 })
  local t, meta = oa:state_dict()
  T.eq(next(t), nil, "no buffers before the first step")
  ob:load_state_dict(t, meta)
  train(a, oa, 1, 3); train(b, ob, 1, 3)
  T.ok(same_model(a, b), "fresh SGD state round trip")
end

-- refusals name what differs, and change nothing
do
  local m = build(1)
  local sd = m:state_dict()
  local copy = {}
  for k, v in pairs(sd) do copy[k] = v:clone() end
  copy["5.weight"] = nil
  T.raises("load_state_dict: the state dict lacks '5.weight'", function() return m:load_state_dict(copy) end)
  copy["5.weight"] = rh.zeros(3, 7)
  T.raises("'5.weight' is 3x7, the model's is 3x8", function() return m:load_state_dict(copy) end)
  copy["5.weight"] = rh.zeros(3, 8)
  copy["6.weight"] = rh.zeros(1)
  T.raises("names the model does not have: 6.weight", function() return m:load_state_dict(copy) end)
  m:load_state_dict(copy, { strict = false })
  T.eq(m.modules[5].weight:sum(), 0, "strict = false loads what matches")
  T.raises("unknown option", function() return m:load_state_dict(copy, { strikt = false }) end)

  local o = optim.SGD(m, { lr = 0.1, momentum = 0.9 })
  local t, meta = optim.Adam(m):state_dict()
  T.raises("the state is Adam's, this optimizer is SGD", function() return o:load_state_dict(t, meta) end)
  rh.checkpoint.save(path, { model = m })
  T.raises("lacks '3.weight' (the model's is 3x8)", function() return rh.checkpoint.load(path, { model = nn.MLP { 5, 8, 3 } }) end)
  T.raises(path, function() return rh.checkpoint.load(path, { model = nn.MLP { 5, 8, 3 } }) end)
  rh.save(path, { w = rh.ones(2) })
  T.raises("is not a rankhost checkpoint", function() return rh.checkpoint.load(path, { model = m }) end)
  T.raises("opts.model must be an rh.nn module", function() return rh.checkpoint.save(path, {}) end)
end
os.remove(path)

T.done()
