-- test_loss_meter.lua - the asynchronous loss path on the CPU: crit:forward_async and the
-- loss meter (kernels/nn.h), rh.train.fit and evaluate through it, and the dataset's
-- device field. The same code runs on the device (tests/gpu/test_train_cuda.lua); here
-- every value is checked against the synchronous path.
local T = require "testlib"
local nn, C = rh.nn, rh._nn

rh.seed(11)

-- ---- forward_async against forward, totals against a double-precision sum ----
do
  local ce, ref = nn.CrossEntropyLoss(), nn.CrossEntropyLoss()
  local sum, n, correct = 0, 0, 0
  for step = 1, 300 do
    local B = 7 + step % 5
    local y = rh.randn(B, 6) * 4
    local ids = {}
    for i = 1, B do ids[i] = (i * step) % 6 + 1 end
    local t = rh.tensor(ids)
    local last = ce:forward_async(y, t)
    local l = ref:forward(y, t)
    T.ok(last:numel() == 1 and last:device() == "cpu", "forward_async returns a 1-element tensor")
    if step % 50 == 0 then T.near(last:item(), l, 1e-6, "last loss at step " .. step) end
    T.tensor_near(ce:backward(y, t), ref:backward(y, t), 0, "same gradient (step " .. step .. ")")
    sum, n, correct = sum + l * B, n + B, correct + C.correct(y, t)
  end
  local tot = ce:totals()
  T.eq(tot.steps, 300, "steps counted")
  T.eq(tot.n, n, "rows counted")
  T.eq(tot.correct, correct, "correct rows counted")
  T.near(tot.loss, sum / n, 1e-12, "mean loss kept to ~48 bits over 300 steps")
  T.near(tot.accuracy, correct / n, 1e-15, "accuracy")
  T.eq(tot.nonfinite_step, 0, "no non-finite step")
  ce:reset_totals()
  T.eq(ce:totals().steps, 0, "reset_totals")
end

-- ---- a first non-finite step is noted, and later steps go on being recorded ----
do
  local ce = nn.CrossEntropyLoss()
  local t = rh.tensor{1, 2}
  ce:forward_async(rh.zeros(2, 3), t)
  ce:forward_async(rh.zeros(2, 3), t)
  local bad = rh.zeros(2, 3); bad:set(2, 2, 0 / 0)
  ce:forward_async(bad, t)
  ce:forward_async(rh.zeros(2, 3), t)
  local tot = ce:totals()
  T.eq(tot.nonfinite_step, 3, "first non-finite step")
  T.ok(tot.nonfinite_loss ~= tot.nonfinite_loss, "its loss is NaN")
  T.ok(tot.loss ~= tot.loss, "the running mean is NaN")
  T.eq(tot.steps, 4, "steps after it recorded")
end

-- ---- a bad label: refused before anything is written, on the CPU at once ----
do
  local ce = nn.CrossEntropyLoss()
  local y = rh.randn(4, 10)
  ce:forward_async(y, rh.tensor{1, 2, 3, 4})
  local g = ce.grad_input:clone()
  T.raises("CrossEntropyLoss: label 11 at position 3 is outside 1..10", ce.forward_async, ce, y * 2,
           rh.tensor{1, 2, 11, 4})
  T.tensor_near(ce.grad_input, g, 0, "gradient untouched by a refused step")
  T.eq(ce:totals().steps, 1, "a refused step is not recorded on the CPU")
  T.raises("a meter is a contiguous vector of 16", C.cross_entropy_acc, y, rh.tensor{1, 2, 3, 4}, nil, rh.zeros(3))
  T.raises("a CPU meter expected", C.meter_record, rh.zeros(3), 1, 2)
end

-- ---- MSELoss: forward_async reads the loss and records it alike ----
do
  local m, ref = nn.MSELoss(), nn.MSELoss()
  local sum, n = 0, 0
  for _ = 1, 5 do
    local y, t = rh.randn(3, 4), rh.randn(3, 4)
    T.near(m:forward_async(y, t):item(), ref:forward(y, t), 1e-6, "MSE last loss")
    T.tensor_near(m:backward(y, t), ref:backward(y, t), 0, "MSE gradient")
    sum, n = sum + ref:forward(y, t) * 3, n + 3
  end
  local tot = m:totals()
  T.near(tot.loss, sum / n, 1e-7, "MSE totals")
  T.eq(tot.accuracy, nil, "no accuracy for MSE")
end

-- ---- rh.train.fit: the meter path gives the history of the per-step path ----
local function sync_ce() -- a criterion without forward_async: fit reads every loss
  local ce = nn.CrossEntropyLoss()
  return { forward = function(_, y, t) return ce:forward(y, t) end,
           backward = function(_, y, t) return ce:backward(y, t) end }
end

local ds = rh.data.teacher{ n = 300, dim = 12, rank = 3, classes = 4, seed = 5 }
T.eq(ds.device, "cpu", "a dataset follows the default device")
T.raises("read-only", function() ds.device = "cuda" end)
local function run(loss)
  rh.seed(9)
  local model = nn.MLP{12, 16, 4}
  local h = rh.train.fit(model, ds, { loss = loss, lr = 0.1, momentum = 0.9, batch = 32, max_epochs = 3,
                                     progress = false, eval = ds })
  return h, model
end
local ha = run(nn.CrossEntropyLoss())
local hs = run(sync_ce())
for e = 1, 3 do
  T.near(ha[e].loss, hs[e].loss, 1e-12, "fit loss, epoch " .. e)
  T.near(ha[e].eval_loss, hs[e].eval_loss, 1e-12, "eval loss, epoch " .. e)
end
T.ok(ha[3].loss < ha[1].loss, "the loss goes down")
T.ok(ha[1].accuracy and ha[1].eval_accuracy, "accuracies from the meter")

-- evaluate's meter against a direct computation
do
  rh.seed(2)
  local model = nn.MLP{12, 8, 4}
  local X, Y = ds:batch(rh.arange(1, 300))
  local out = model:forward(X)
  local l, acc = rh.train.evaluate(model, ds, { batch = 64 })
  T.near(l, C.cross_entropy(out, Y), 1e-6, "evaluate loss")
  T.near(acc, C.correct(out, Y) / 300, 1e-12, "evaluate accuracy")
end

-- a NaN stops fit at the step it happened on the CPU, as before
do
  local X, Y = rh.randn(8, 3), rh.tensor{1, 2, 1, 2, 1, 2, 1, 2}
  X:set(6, 1, 0 / 0)
  T.raises("loss is NaN at step 3 (epoch 1, batch 3)", rh.train.fit, nn.MLP{3, 4, 2}, { x = X, y = Y },
           { batch = 2, shuffle = false, max_epochs = 1, progress = false, nonfinite = "error" })
end

-- ---- datasets: :to("cpu") pins a view; the device needs a device ----
do
  local v = ds:to("cpu")
  T.eq(v.device, "cpu", "pinned view")
  T.eq(v.name, ds.name, "the view keeps the fields")
  local Xa, Ya = v:batch{ 3, 1, 2 }
  local Xb, Yb = ds:batch{ 3, 1, 2 }
  T.tensor_near(Xa, Xb, 0, "same batch")
  T.tensor_near(Ya, Yb, 0, "same labels")
  if not rh.cuda_available() then
    T.raises("bad argument #2", ds.to, ds, "cuda")
    local ok, err = pcall(ds.to, ds, "cuda")
    T.ok(not ok and (err:find("no CUDA device", 1, true) or err:find("built without CUDA", 1, true)),
         "clear error without a device: " .. tostring(err))
  end
  T.raises("bad argument #2", ds.to, ds, "tpu")
end

T.done()
