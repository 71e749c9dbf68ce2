-- fashion_mlp.lua - nn.MLP{784,256,256,10} on full Fashion-MNIST (60k train, 10k test)
-- with SGD + momentum, a cosine learning-rate schedule and rh.train.fit.
--   rankhost examples/fashion_mlp.lua [epochs]
-- Needs the dataset (Debian: apt-get install dataset-fashion-mnist).
local rh = require "rankhost"
local nn, optim, data = rh.nn, rh.optim, rh.data

rh.seed(1)
local epochs = tonumber(arg and arg[1]) or 20
local train_set = data.fashion_mnist{ split = "train" }
local test_set = data.fashion_mnist{ split = "test" }

local model = nn.MLP{ 784, 256, 256, 10 }
print(model)
local opt = optim.SGD(model, { lr = 0.05, momentum = 0.9, weight_decay = 5e-4 })
local sched = optim.CosineLR(opt, { t_max = epochs })

local hist = rh.train.fit(model, train_set, {
  optimizer = opt, scheduler = sched, batch = 128, max_epochs = epochs, seed = 1, eval = test_set,
})
local loss, acc = rh.train.evaluate(model, test_set)
print(string.format("Fashion-MNIST %s: %d epochs, %.1f s, test loss %.4f, test accuracy %.2f%%",
                    "784-256-256-10", #hist, hist.time, loss, 100 * acc))
