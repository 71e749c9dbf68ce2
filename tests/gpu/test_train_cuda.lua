-- test_train_cuda.lua - one training script on the CPU and on CUDA: a small MLP on the
-- teacher task, a few epochs of rh.train.fit with a held-out evaluation, then rh.rank.all
-- on every layer; the two runs must agree to float32 tolerance. Also the device-side
-- datasets (byte and float stores gathered on the device), the loss meter and a bad
-- label refused on the device without touching the gradient.
-- Skips (exit 77) without a CUDA device; RH_GPU_TEST_DEVICE=cpu checks the script itself.
local T = require "testlib"
local DEV = os.getenv("RH_GPU_TEST_DEVICE") or "cuda"
if DEV == "cuda" and not rh.cuda_available() then T.skip("no CUDA device") end
local nn, optim = rh.nn, rh.optim

-- ---- datasets gathered on the device give the CPU's batches ----
local function same_batches(ds, what)
  local dd = ds:to(DEV)
  T.eq(dd.device, DEV, what .. ": pinned to the device")
  local idx = {}
  for i = 1, 50 do idx[i] = (i * 37) % ds:size() + 1 end
  local Xc, Yc = ds:to("cpu"):batch(idx)
  local Xd, Yd = dd:batch(idx)
  T.eq(Xd:device(), DEV, what .. ": batch on the device")
  T.tensor_near(Xd:to("cpu"), Xc, 0, what .. ": batch features")
  T.tensor_near(Yd:to("cpu"), Yc, 0, what .. ": batch labels")
  local a, b = dd:split(0.5, 4)                       -- views share the device store
  local relab = rh.data.random_labels(dd, 0.3, 8)      -- new labels, uploaded on first use
  for _, pair in ipairs { { a, ds:to("cpu"):split(0.5, 4) }, { relab, rh.data.random_labels(ds:to("cpu"), 0.3, 8) } } do
    local Xv, Yv = pair[1]:batch{ 1, 2, 3, 9 }
    local Xw, Yw = pair[2]:batch{ 1, 2, 3, 9 }
    T.tensor_near(Xv:to("cpu"), Xw, 0, what .. ": view features")
    T.tensor_near(Yv:to("cpu"), Yw, 0, what .. ": view labels")
  end
  T.ok(b:size() + a:size() == ds:size(), what .. ": split sizes")
  -- the loader: the same seeded shuffle on both devices
  local lc = rh.data.loader(ds:to("cpu"), { batch = 16, seed = 3 })
  local ld = rh.data.loader(dd, { batch = 16, seed = 3 })
  for _ = 1, 3 do
    local X1, Y1 = lc:next()
    local X2, Y2 = ld:next()
    T.eq(X2:device(), DEV, what .. ": loader batch on the device")
    T.tensor_near(X2:to("cpu"), X1, 0, what .. ": loader features")
    T.tensor_near(Y2:to("cpu"), Y1, 0, what .. ": loader labels")
  end
end

same_batches(rh.data.teacher{ n = 200, dim = 10, rank = 3, classes = 4, seed = 1 }, "float store")
same_batches(rh.data.fashion_mnist{ split = "test" }:subset(1, 500), "byte store")  -- Debian's Fashion-MNIST

-- ---- a bad label on the device: the step is refused, the gradient untouched ----
do
  local ce = nn.CrossEntropyLoss()
  local y = rh.randn(6, 5):to(DEV)
  ce:forward_async(y, rh.tensor{ 1, 2, 3, 4, 5, 1 }:to(DEV))
  local g = ce.grad_input:to("cpu")
  local okb, err = pcall(function()
    ce:forward_async(y * 3, rh.tensor{ 1, 2, 3, 4, 9, 1 }:to(DEV))
    return ce:totals()
  end)
  T.ok(not okb and tostring(err):find("label 9 at position 5", 1, true), "bad label raised: " .. tostring(err))
  T.tensor_near(ce.grad_input:to("cpu"), g, 0, "gradient untouched by the refused step")
  T.raises("position 5", function() return nn.CrossEntropyLoss():forward(y, rh.tensor{ 1, 2, 3, 4, 9, 1 }:to(DEV)) end)
end

-- ---- the same script on both devices ----
local function run(device)
  rh.device("cpu")
  local train = rh.data.teacher{ n = 600, dim = 20, rank = 4, classes = 5, seed = 7 }
  local test = rh.data.teacher{ n = 200, dim = 20, rank = 4, classes = 5, seed = 8 }
  rh.seed(21)
  local model = nn.MLP{ 20, 48, 48, 5 }
  model:to(device)                                   -- parameters and grads move
  local opt = optim.SGD(model, { lr = 0.05, momentum = 0.9, weight_decay = 5e-4 })
  rh.device(device)                                  -- test follows the default device
  local hist = rh.train.fit(model, train:to(device), { optimizer = opt, batch = 32, max_epochs = 4, seed = 3,
                                                       eval = test, progress = false })
  for _, l in ipairs(model:linear_layers()) do
    T.eq(l.weight:device(), device, "weight on " .. device)
    T.eq(opt.groups[1].state[1]:device(), device, "momentum buffer on " .. device)
  end
  local ranks = {}
  for i, l in ipairs(model:linear_layers()) do ranks[i] = rh.rank.all(l.weight) end
  local ws = {}
  for i, l in ipairs(model:linear_layers()) do ws[i] = l.weight:to("cpu") end
  rh.device("cpu")
  return hist, ranks, ws
end

local hc, rc, wc = run("cpu")
local hd, rd, wd = run(DEV)
for e = 1, 4 do
  T.near(hd[e].loss, hc[e].loss, 1e-4, "loss, epoch " .. e)
  T.near(hd[e].accuracy, hc[e].accuracy, 2e-3, "accuracy, epoch " .. e)
  T.near(hd[e].eval_loss, hc[e].eval_loss, 1e-4, "eval loss, epoch " .. e)
  T.near(hd[e].eval_accuracy, hc[e].eval_accuracy, 1e-2, "eval accuracy, epoch " .. e)
end
T.ok(hc[4].loss < hc[1].loss, "the loss goes down")
for i = 1, #wc do
  T.tensor_near(wd[i], wc[i], 1e-3, "weights of layer " .. i)
  T.tensor_near(rd[i].svals:to("cpu"), rc[i].svals, 1e-3, "singular values of layer " .. i)
  for _, k in ipairs { "effective", "stable", "energy", "numerical" } do
    T.near(rd[i][k], rc[i][k], 1e-3, k .. " rank of layer " .. i)
  end
end

-- ---- a NaN on the device is named by its step when the loop reads the loss ----
do
  local X, Y = rh.randn(8, 3), rh.tensor{ 1, 2, 1, 2, 1, 2, 1, 2 }
  X:set(6, 1, 0 / 0)
  local net = nn.MLP{ 3, 4, 2 }:to(DEV)
  T.raises("loss is NaN at step 3 (epoch 1, batch 3)", rh.train.fit, net, { x = X:to(DEV), y = Y:to(DEV) },
           { batch = 2, shuffle = false, max_epochs = 1, progress = false, nonfinite = "error" })
  local h = rh.train.fit(nn.MLP{ 3, 4, 2 }:to(DEV), { x = X:to(DEV), y = Y:to(DEV) },
                         { batch = 2, shuffle = false, max_epochs = 2, progress = false })
  T.eq(h.stopped, "diverged", "a NaN loss on the device ends the run as diverged")
  T.eq(h.diverged_step, 3, "named by its step, read from the meter at the end of the epoch")
end

T.done()
