-- test_train_mnist.lua - an MLP trained on real MNIST (the 10k set: first 8000 rows
-- train, last 2000 test) with rh.train.fit reaches >= 95% test accuracy.
local T = require "testlib"
local dir = T.shared("data/mnist-t10k")
local f = io.open(dir .. "/t10k-images-idx3-ubyte.gz", "rb")
if not f then T.skip("no MNIST test set in " .. dir) end
f:close()
rh.seed(1)
local ds = rh.data.mnist{ dir = dir, split = "test" }
local train_set, test_set = ds:subset(1, 8000), ds:subset(8001, 10000)
local model = rh.nn.MLP{ 784, 128, 10 }
local opt = rh.optim.SGD(model, { lr = 0.05, momentum = 0.9 })
local epochs_seen = 0
local hist = rh.train.fit(model, train_set, {
  optimizer = opt, batch = 64, max_epochs = 8, seed = 1, progress = false,
  callback = function(epoch, rec) epochs_seen = epoch; T.ok(rec.loss == rec.loss, "finite loss") end,
})
T.eq(#hist, 8, "8 epochs recorded")
T.eq(epochs_seen, 8, "callback ran each epoch")
T.ok(hist[8].loss < hist[1].loss, "training loss falls")
local loss, acc = rh.train.evaluate(model, test_set, { batch = 500 })
print(string.format("MNIST 784-128-10: test loss %.4f, accuracy %.2f%%, %.1fs", loss, 100 * acc, hist.time))
T.ok(acc >= 0.95, string.format("test accuracy %.4f >= 0.95", acc))
T.done()
