-- mlp_mnist.lua - an MLP on MNIST with the training loop written by hand.
--   rankhost examples/mlp_mnist.lua [dir]   (dir holds the MNIST .gz files; default: rh.data's
--   search path, and Debian's Fashion-MNIST when MNIST is not found there). The 10k test
--   set is split 8000 train / 2000 test.
local rh = require "rankhost"
local nn, optim, data = rh.nn, rh.optim, rh.data

rh.seed(1)
local ok, all = pcall(data.mnist, { dir = arg and arg[1], split = "test" })
if not ok then
  if arg and arg[1] then error(all, 0) end
  print("MNIST not found on rh.data's search path; using Fashion-MNIST")
  all = data.fashion_mnist{ split = "test" }
end
local train_set, test_set = all:subset(1, 8000), all:subset(8001, all:size())

local model = nn.MLP{ 784, 128, 10 }
local crit = nn.CrossEntropyLoss()
local opt = optim.SGD(model, { lr = 0.05, momentum = 0.9 })

for epoch = 1, 8 do
  local sum, n = 0, 0
  for X, Y in data.loader(train_set, { batch = 64, shuffle = true, seed = epoch }) do
    opt:zero_grad()
    local y = model:forward(X)
    sum, n = sum + crit:forward(y, Y), n + 1
    model:backward(X, crit:backward(y, Y))
    opt:step()
  end
  local loss, acc = rh.train.evaluate(model, test_set)
  print(string.format("epoch %d  train loss %.4f  test loss %.4f  test accuracy %.2f%%", epoch, sum / n, loss, 100 * acc))
end
