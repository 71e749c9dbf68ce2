-- prune_train.lua - trains and evaluates a prune_net with SGD, timing only the training
-- (evaluation is excluded from the time budget, so that methods are compared on the
-- seconds spent learning).
local rh = require "rankhost"

local M = {}

local function to_device(t)
  local dev = rh.device()
  if dev ~= "cpu" and t:device() ~= dev then return t:to(dev) end
  return t
end

-- Fraction of samples of ds whose argmax logit is the label.
function M.accuracy(net, ds, batch)
  local model = net.module
  model:evaluate()
  local correct, total = 0, 0
  for X, Y in rh.data.loader(ds, { batch = batch or 1000, shuffle = false }) do
    local n = X:size(1)
    local pred = model:forward(to_device(X)):argmax(2):to("cpu"):view(n)
    -- labels are integers: |pred - y| is 0 when right and >= 1 when wrong
    local wrong = (pred - Y:to("cpu"):view(n)):abs():clamp(0, 1):sum()
    correct = correct + n - wrong
    total = total + n
  end
  model:train()
  return correct / total
end

-- Trains net on ds. o = {epochs, batch, lr, momentum, weight_decay, seed, budget (seconds,
-- optional: stop when training time reaches it), on_epoch(epoch, seconds, loss)}.
-- Returns {seconds, samples, epochs, loss (mean of the last epoch)}.
function M.fit(net, ds, o)
  local model = net.module
  model:train()
  local opt = rh.optim.SGD(model, { lr = o.lr, momentum = o.momentum or 0, weight_decay = o.weight_decay or 0 })
  local crit = rh.nn.CrossEntropyLoss()
  local seconds, samples, epochs, loss = 0, 0, 0, 0 / 0
  local epoch = 0
  while true do
    epoch = epoch + 1
    if o.epochs and epoch > o.epochs then break end
    local t0, sum, batches, cut = rh.clock(), 0, 0, false
    for X, Y in rh.data.loader(ds, { batch = o.batch, shuffle = true, seed = (o.seed or 1) * 1000 + epoch }) do
      X, Y = to_device(X), to_device(Y)
      opt:zero_grad()
      local out = model:forward(X)
      local l = crit:forward(out, Y)
      sum = sum + (type(l) == "number" and l or l:item())
      model:backward(X, crit:backward(out, Y))
      opt:step()
      batches = batches + 1
      samples = samples + X:size(1)
      if o.budget and seconds + (rh.clock() - t0) >= o.budget then cut = true; break end
    end
    seconds = seconds + (rh.clock() - t0)
    loss = sum / math.max(batches, 1)
    -- a cut epoch counts by the fraction of it that ran
    epochs = epochs + (cut and batches * o.batch / ds:size() or 1)
    if o.on_epoch then o.on_epoch(epoch, seconds, loss) end
    if cut or (o.budget and seconds >= o.budget) then break end
  end
  return { seconds = seconds, samples = samples, epochs = epochs, loss = loss }
end

return M
