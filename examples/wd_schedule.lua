-- wd_schedule.lua - a weight-decay schedule written in Lua: opt.groups[i].weight_decay
-- is read at every step, so changing it between epochs is the schedule. Here the decay
-- of the hidden layers ramps up linearly while the last layer has none, and we watch
-- the effective rank of the first weight matrix. Data: a rank-4 teacher task.
local rh = require "rankhost"
local nn, optim, data = rh.nn, rh.optim, rh.data

rh.seed(1)
local ds = data.teacher{ n = 2048, dim = 32, rank = 4, classes = 4, seed = 1 }

local model = nn.MLP{ 32, 64, 64, 4 }
local layers = model:linear_layers()
local hidden = {}
for i = 1, #layers - 1 do local p = layers[i]:parameters(); for _, t in ipairs(p) do hidden[#hidden + 1] = t end end
local last = layers[#layers]:parameters()
local opt = optim.SGD({ { params = hidden, weight_decay = 0 }, { params = last, weight_decay = 0 } },
                      { lr = 0.05, momentum = 0.9 })

local epochs, wd_max = 20, 5e-3
rh.train.fit(model, ds, {
  optimizer = opt, batch = 64, max_epochs = epochs, progress = false,
  callback = function(epoch, rec)
    opt.groups[1].weight_decay = wd_max * epoch / epochs -- the schedule: a linear ramp
    print(string.format("epoch %2d  loss %.4f  acc %.1f%%  wd %.2e  erank(W1) %.2f", epoch, rec.loss,
                        100 * rec.accuracy, opt.groups[1].weight_decay, rh.rank.effective(layers[1].weight)))
  end,
})
