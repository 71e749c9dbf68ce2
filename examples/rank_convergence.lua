-- rank_convergence.lua - training until the loss has saturated AND every layer's rank has
-- stopped moving, in the regime where weight decay acts (docs/problem1.md): SGD at lr 0.1,
-- batch 32, weight decay 5e-3, and no stop before the weight-decay horizon H reaches 4.
-- Prints how the run ended, its horizon and its convergent ranks. About 3 s on 2 cores.
local rh = require "rankhost"

rh.seed(1)
local train = rh.data.fashion_mnist{ split = "train" }:subset(1, 5000)
local test = rh.data.fashion_mnist{ split = "test" }:subset(1, 2000)
local model = rh.nn.MLP{ 784, 128, 128, 10 }
local lr, wd, batch = 0.1, 5e-3, 32
-- H grows by lr * wd * steps per epoch (momentum 0): enough epochs for H = 4
local min_epochs = math.ceil(4 / (lr * wd * math.ceil(train:size() / batch)))

local h = rh.train.fit(model, train, {
  lr = lr, weight_decay = wd, batch = batch, min_epochs = min_epochs, max_epochs = 150, progress = false,
  patience = 5, threshold = 0.01,                                        -- the loss has saturated
  rank_converged = { measure = "energy", patience = 5, every = 2, slack = 1, rel_slack = 0.05 },  -- and the ranks
  callback = function(epoch, rec)
    if rec.ranks then
      print(string.format("epoch %3d  loss %.3f  H %.2f  energy ranks %s", epoch, rec.loss, rec.wd_horizon,
        table.concat(rec.ranks, "-")))
    end
  end,
})
print(string.format("stopped: %s after %d epochs, weight-decay horizon %.2f", h.stopped, h.epochs, h.wd_horizon))
-- every measure from the singular values fit kept: no second SVD
local net = rh.rank.network(model, { svals = h.svals })
for i, l in ipairs(net.layers) do
  print(string.format("layer %d (%dx%d): energy %d, relative %d, effective %.1f, stable %.2f", i, l.shape[1], l.shape[2],
    l.energy, l.relative, l.effective, l.stable))
end
local _, acc = rh.train.evaluate(model, test)
print(string.format("test accuracy %.3f", acc))
