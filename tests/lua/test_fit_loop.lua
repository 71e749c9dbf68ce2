-- test_fit_loop.lua - rh.train.fit's data loop: drop_last reaches the loader (a dataset and
-- {x=, y=} data: 10 samples at batch 4 are 2 steps an epoch, 3 without it); one loader
-- object a run (a dataset's loader is made once and its batch buffer is the same tensor
-- in every epoch) whose order is the one fit had when it built a loader every epoch
-- (seed + epoch): the weights after 3 epochs equal, bit for bit, those of a hand loop
-- with a new loader each epoch.
local T = require "testlib"
local nn, optim = rh.nn, rh.optim

local ds = rh.data.teacher { n = 10, dim = 4, rank = 2, classes = 3, seed = 1 }
local X, Y = ds:batch(rh.tensor { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 })
local xy = { x = X:clone(), y = Y:clone() }
local quiet = { progress = false, lr = 0.1, batch = 4, max_epochs = 3 }
local function with(t)
  local o = {}
  for k, v in pairs(quiet) do o[k] = v end
  for k, v in pairs(t) do o[k] = v end
  return o
end

-- ---- drop_last ----
for name, data in pairs { dataset = ds, ["{x=, y=}"] = xy } do
  local h = rh.train.fit(nn.MLP { 4, 5, 3 }, data, with { drop_last = true })
  T.eq(h[1].steps, 2, name .. ": drop_last: 10 samples at batch 4 are 2 steps")
  T.eq(h.steps, 6, name .. ": drop_last: 2 steps in each of 3 epochs")
  local h2 = rh.train.fit(nn.MLP { 4, 5, 3 }, data, with { drop_last = false })
  T.eq(h2[1].steps, 3, name .. ": without drop_last the short batch is a step")
  T.eq(h2.steps, 9, name .. ": 3 steps an epoch")
  -- a batch larger than the data is the whole data, kept with drop_last (as rh.data.loader)
  local h3 = rh.train.fit(nn.MLP { 4, 5, 3 }, data, with { drop_last = true, batch = 16 })
  T.eq(h3.steps, 3, name .. ": batch 16 over 10 samples: one batch of 10 an epoch")
end

-- ---- one loader a run, in the order of a loader a epoch ----

-- A hand loop with what fit did before one loader served the run: epoch e's batches from a
-- new loader seeded seed + e (a dataset), or rh.train.batches seeded seed + e ({x=, y=}).
local function by_hand(model, data, seed, epochs)
  local crit = nn.CrossEntropyLoss()
  local opt = optim.SGD(model, { lr = 0.1 })
  for e = 1, epochs do
    local it = data.x and rh.train.batches(data, { batch = 4, shuffle = true, seed = seed + e })
      or rh.data.loader(data, { batch = 4, shuffle = true, seed = seed + e })
    for Xb, Yb in it do
      opt:zero_grad()
      local y = model:forward(Xb)
      crit:forward(y, Yb)
      model:backward(Xb, crit:backward(y, Yb), true)
      opt:step()
    end
  end
  return model
end

local function same_weights(a, b)
  local pa, pb = a:parameters(), b:parameters()
  for i = 1, #pa do if not T.same_elements(pa[i], pb[i]) then return false end end
  return #pa == #pb
end

for name, data in pairs { dataset = ds, ["{x=, y=}"] = xy } do
  rh.seed(11)
  local m1 = nn.MLP { 4, 5, 3 }
  rh.seed(11)
  local m2 = nn.MLP { 4, 5, 3 }
  rh.train.fit(m1, data, with { seed = 5 })
  by_hand(m2, data, 5, 3)
  T.ok(same_weights(m1, m2), name .. ": fit's weights after 3 epochs equal a loop with a loader seeded seed + e each epoch")
  -- and the order depends on the seed: another seed gives other weights
  rh.seed(11)
  local m3 = nn.MLP { 4, 5, 3 }
  rh.train.fit(m3, data, with { seed = 6 })
  T.ok(not same_weights(m1, m3), name .. ": another seed, another order")
end

-- a dataset's loader is made once a run (and once for the eval data), and its batch buffer
-- is the same tensor in every epoch
do
  local made, real = 0, rh.data.loader
  rh.data.loader = function(...) made = made + 1; return real(...) end
  local inputs = {}
  local mlp = nn.MLP { 4, 5, 3 }
  local model = setmetatable({ forward = function(self, x)
    if x:size(1) == 4 then inputs[x] = true end
    return mlp.forward(mlp, x)
  end }, { __index = mlp })
  local ok, err = pcall(rh.train.fit, model, ds, with { max_epochs = 4, eval = ds })
  rh.data.loader = real
  T.ok(ok, "fit with a counted loader: " .. tostring(err))
  T.eq(made, 2, "one loader for the training data and one for the eval data over 4 epochs")
  local distinct = 0
  for _ in pairs(inputs) do distinct = distinct + 1 end
  T.eq(distinct, 1, "every full batch of every epoch is the loader's one buffer")
end

-- function data: called with each epoch, as before
do
  local epochs = {}
  local h = rh.train.fit(nn.MLP { 4, 5, 3 }, function(e)
    epochs[#epochs + 1] = e
    return rh.train.batches(xy, { batch = 5 })
  end, with {})
  T.eq(table.concat(epochs, ","), "1,2,3", "a function is asked for each epoch's iterator")
  T.eq(h.steps, 6, "its batches")
end

T.done()
