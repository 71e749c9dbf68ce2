-- gpu_train.lua - the seed MLP (784-784-784-784-10, batch 64, SGD) on Fashion-MNIST:
-- seconds per epoch, then the singular values of all its layers, on one device.
-- Prints one JSON object per line; compare with bench/torch_train.py on the same GPU.
--   rankhost bench/gpu_train.lua [device=cuda] [epochs=3] [dir=/usr/share/datasets/fashion-mnist] [batches=0]
-- batches > 0 stops each epoch after that many batches (a smoke run of the script; the
-- figures compared with PyTorch are of whole epochs, batches 0).
local device = arg[1] or "cuda"
local epochs = tonumber(arg[2] or "3")
local dir = arg[3] or "/usr/share/datasets/fashion-mnist"
local max_batches = tonumber(arg[4] or "0")
local nn, optim, data = rh.nn, rh.optim, rh.data

rh.device(device)
rh.seed(1)
local function sync() if device == "cuda" then rh.cuda.synchronize() end end

local ds = data.fashion_mnist{dir = dir, split = "train"}
local model = nn.MLP{784, 784, 784, 784, 10}
model:to(device)
local opt = optim.SGD(model, {lr = 0.05, momentum = 0.9, weight_decay = 5e-4})
local crit = nn.CrossEntropyLoss()

for epoch = 1, epochs do
  sync()
  local t0 = rh.clock()
  local sum, n = 0, 0
  for X, Y in data.loader(ds, {batch = 64, shuffle = true, seed = epoch}) do
    X, Y = X:to(device), Y:to(device)
    opt:zero_grad()
    local y = model:forward(X)
    local loss = crit:forward(y, Y)
    model:backward(X, crit:backward(y, Y))
    opt:step()
    sum, n = sum + loss, n + 1
    if n == max_batches then break end
  end
  sync()
  print(string.format('{"bench":"rankhost_epoch","device":"%s","epoch":%d,"batches":%d,"seconds":%.4f,"loss":%.5f}',
                      device, epoch, n, rh.clock() - t0, sum / n))
end

local layers = model:linear_layers()
for rep = 1, 3 do -- the first repetition includes cuSOLVER's setup
  sync()
  local t0 = rh.clock()
  local smax = {}
  for i, l in ipairs(layers) do smax[i] = rh.linalg.svdvals(l.weight):get(1) end
  sync()
  print(string.format('{"bench":"rankhost_svdvals_all_layers","device":"%s","rep":%d,"seconds":%.4f,"smax1":%.5f}',
                      device, rep, rh.clock() - t0, smax[1]))
end
