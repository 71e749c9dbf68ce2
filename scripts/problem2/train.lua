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

-- One progress line per epoch on stderr: what is training, epoch, loss, accuracy on the
-- epoch's batches, training seconds, and the time left at this epoch's pace.
local function progress(o, epoch, seconds, loss, acc)
  local total = o.epochs and string.format("/%d", o.epochs) or ""
  local left
  if o.epochs then left = seconds / epoch * (o.epochs - epoch) end
  if o.budget then left = math.min(left or math.huge, math.max(0, o.budget - seconds)) end
  io.stderr:write(string.format("  %s epoch %d%s  loss %.4f  train acc %.3f  %.1f s%s\n", o.label or "training",
    epoch, total, loss, acc, seconds, left and string.format("  ~%.0f s left", left) or ""))
end

-- Trains net on ds. o = {epochs, batch, lr, momentum, weight_decay, seed, budget (seconds,
-- optional: stop when training time reaches it), on_epoch(epoch, seconds, loss), label
-- (names the progress lines), quiet}.
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
    local t0, batches, cut = rh.clock(), 0, false
    crit:reset_totals() -- the loss meter sums the epoch's loss and hits where the model is (no sync a step)
    for X, Y in rh.data.loader(ds, { batch = o.batch, shuffle = true, seed = (o.seed or 1) * 1000 + epoch }) do
      X, Y = to_device(X), to_device(Y)
      opt:zero_grad()
      local out = model:forward(X)
      crit:forward_async(out, Y)
      model:backward(X, crit:backward(out, Y))
      opt:step()
      batches = batches + 1
      samples = samples + X:size(1)
      if o.budget and seconds + (rh.clock() - t0) >= o.budget then cut = true; break end
    end
    seconds = seconds + (rh.clock() - t0)
    local totals = crit:totals()
    loss = totals.loss
    if not o.quiet then progress(o, epoch, seconds, loss, totals.accuracy) end
    -- a cut epoch counts by the fraction of it that ran
    epochs = epochs + (cut and batches * o.batch / ds:size() or 1)
    if o.on_epoch then o.on_epoch(epoch, seconds, loss) end
    if cut or (o.budget and seconds >= o.budget) then break end
  end
  return { seconds = seconds, samples = samples, epochs = epochs, loss = loss }
end

return M
