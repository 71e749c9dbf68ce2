-- wd_schedule.lua - a weight-decay schedule written in Lua: opt.groups[i].weight_decay
-- is read at every step, so changing it between epochs is the schedule. Here the decay
-- of the hidden layers ramps up linearly while the last layer has none, and we watch
-- the effective rank of the first weight matrix (when rh.rank is built in).
local rh = require "rankhost"
local nn, optim, data = rh.nn, rh.optim, rh.data

rh.seed(1)
local ds = data.teacher and data.teacher{ n = 2048, dim = 32, rank = 4, classes = 4, seed = 1 }
local X, Y
if not ds then -- fall back to a synthetic task built here
  X = rh.randn(2048, 32)
  local labels = {}
  for i = 1, 2048 do labels[i] = (X:get(i, 1) > 0 and 1 or 0) + (X:get(i, 2) > 0 and 2 or 0) + 1 end
  Y = rh.tensor(labels)
  ds = { x = X, y = Y }
end

local model = nn.MLP{ 32, 64, 64, 4 }
local layers = model:linear_layers()
local hidden, last = {}, {}
for i = 1, #layers - 1 do local p = layers[i]:parameters(); for _, t in ipairs(p) do hidden[#hidden + 1] = t end end
last = layers[#layers]:parameters()
local opt = optim.SGD({ { params = hidden, weight_decay = 0 }, { params = last, weight_decay = 0 } },
                      { lr = 0.05, momentum = 0.9 })

local epochs, wd_max = 20, 5e-3
rh.train.fit(model, ds, {
  optimizer = opt, batch = 64, max_epochs = epochs, progress = false,
  callback = function(epoch, rec)
    opt.groups[1].weight_decay = wd_max * epoch / epochs -- the schedule: a linear ramp
    local r = rh.rank and rh.rank.effective and rh.rank.effective(layers[1].weight)
    print(string.format("epoch %2d  loss %.4f  acc %.1f%%  wd %.2e%s", epoch, rec.loss, 100 * rec.accuracy,
                        opt.groups[1].weight_decay, r and string.format("  erank(W1) %.2f", r) or ""))
  end,
})
