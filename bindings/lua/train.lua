-- train.lua - rh.train: the common training loop (fit), evaluation of loss and accuracy
-- (evaluate), and a batch iterator over in-memory tensors (batches).
--
-- Data can be: a dataset with :size() and :batch(idx) (rh.data), iterated with
-- rh.data.loader; a table {x = X, y = Y} of tensors (rows are samples); or a function
-- (epoch) -> iterator yielding X, Y (any loader).
local rh = require "rankhost"
local nn = require "rankhost.nn"
local optim = require "rankhost.optim"
local C = rh._nn

local train = {}

-- A Fisher-Yates permutation of 1..n from a seeded xorshift (independent of rh.seed's stream).
local function permutation(n, seed)
  local state = (seed * 2654435761 + 12345) & 0xffffffff
  if state == 0 then state = 1 end
  local p = {}
  for i = 1, n do p[i] = i end
  for i = n, 2, -1 do
    state = state ~ ((state << 13) & 0xffffffff)
    state = state ~ (state >> 17)
    state = state ~ ((state << 5) & 0xffffffff)
    local j = state % i + 1
    p[i], p[j] = p[j], p[i]
  end
  return p
end

-- train.batches({x=X, y=Y}, {batch=64, shuffle=false, seed=1}) -> iterator of X, Y views.
-- With shuffle the rows are permuted once per call (one copy); batches are row views.
function train.batches(data, o)
  o = o or {}
  local X, Y, bs = data.x, data.y, o.batch or 64
  local n = X:size(1)
  if Y:size(1) ~= n then error(string.format("rh.train: x has %d rows but y has %d", n, Y:size(1)), 2) end
  if o.shuffle then
    local p = permutation(n, o.seed or 1)
    X, Y = X:index(1, p), Y:index(1, p)
  end
  local start = 1
  local last = o.drop_last and n - n % bs or n
  return function()
    if start > last then return nil end
    local len = math.min(bs, last - start + 1)
    local xb, yb = X:narrow(1, start, len), Y:narrow(1, start, len)
    start = start + len
    return xb, yb
  end
end

local function source(data, fname)
  if type(data) == "function" then
    return function(_, epoch) return data(epoch) end, nil
  end
  if (type(data) ~= "table" and type(data) ~= "userdata") or nn.is_tensor(data) then
    error(fname .. ": data must be a dataset, {x=, y=} or a function, got " .. type(data), 3)
  end
  if type(data) == "table" and nn.is_tensor(data.x) and nn.is_tensor(data.y) then
    local n = data.x:size(1)
    return function(o, epoch)
      return train.batches(data, { batch = o.batch, shuffle = o.shuffle, seed = (o.seed or 1) + epoch })
    end, n
  end
  if type(data.size) == "function" and type(data.batch) == "function" then
    if not (rh.data and rh.data.loader) then error(fname .. ": rh.data.loader is not available for a dataset", 3) end
    return function(o, epoch)
      return rh.data.loader(data, { batch = o.batch, shuffle = o.shuffle, seed = (o.seed or 1) + epoch })
    end, data:size()
  end
  error(fname .. ": data must be a dataset, {x=, y=} or a function", 3)
end

local function is_ce(crit) return getmetatable(crit) == nn.CrossEntropyLossClass end

-- train.evaluate(model, data [, {batch=1000, loss=nn.CrossEntropyLoss()}]) -> mean loss,
-- accuracy (nil unless the loss is cross-entropy). The model is put in evaluation mode
-- and back into the mode it was in.
function train.evaluate(model, data, o)
  o = o or {}
  local crit = o.loss or nn.CrossEntropyLoss()
  local it = source(data, "rh.train.evaluate")
  local was_training = model.training ~= false
  if model.evaluate then model:evaluate() end
  local total, correct, n = 0, 0, 0
  local ce = is_ce(crit)
  local meter -- cross-entropy: loss and correct counts stay on the model's device, read once
  for X, Y in it({ batch = o.batch or 1000, shuffle = false }, 0) do
    local y = model:forward(X)
    local B = X:size(1)
    if ce then
      meter = meter or C.meter(y)
      C.cross_entropy_acc(y, Y, nil, meter)
    else
      total = total + crit:forward(y, Y) * B
      n = n + B
    end
  end
  if meter then
    local t = C.meter_read(meter)
    if t.bad_pos > 0 then
      error(string.format("rh.train.evaluate: label %g at position %d of batch %d is not a class id", t.bad_value,
                          t.bad_pos, t.bad_step), 2)
    end
    total, correct, n = t.sum, t.correct, t.n
  end
  if was_training and model.train then model:train() end
  if n == 0 then error("rh.train.evaluate: the data has no samples", 2) end
  return total / n, ce and correct / n or nil
end

local function fmt_time(s)
  if s ~= s or s == math.huge then return "?" end
  if s >= 3600 then return string.format("%dh%02dm", s // 3600, (s % 3600) // 60) end
  if s >= 60 then return string.format("%dm%02ds", s // 60, math.floor(s % 60)) end
  return string.format("%.1fs", s)
end

-- train.fit(model, data, opts) -> history (see docs/training.md). opts:
--   optimizer (or lr, momentum, weight_decay to build an SGD), loss (CrossEntropyLoss),
--   batch=64, shuffle=true, seed=1, max_epochs=10 (alias epochs), eval (data evaluated
--   after each epoch), monitor="train"|"eval", patience/threshold (the saturation rule),
--   scheduler, callback(epoch, record, model) -> false stops, progress=true,
--   allow_nonfinite=false.
function train.fit(model, data, o)
  o = o or {}
  local fname = "rh.train.fit"
  if type(model) ~= "table" or type(model.forward) ~= "function" then error(fname .. ": a model expected", 2) end
  local next_epoch, n = source(data, fname)
  local opt = o.optimizer or optim.SGD(model, { lr = o.lr or 0.01, momentum = o.momentum or 0,
                                               weight_decay = o.weight_decay or 0 })
  local crit = o.loss or nn.CrossEntropyLoss()
  local ce = is_ce(crit)
  local bs = o.batch or 64
  local max_epochs = o.max_epochs or o.epochs or 10
  local monitor = o.monitor or (o.eval and "eval" or "train")
  if monitor == "eval" and not o.eval then error(fname .. ": monitor='eval' needs opts.eval", 2) end
  local threshold = o.threshold or 1e-3
  local progress = o.progress ~= false
  local tty = progress and rh.io.stderr_isatty()
  local nbatches = n and (o.drop_last and n // bs or (n + bs - 1) // bs) or nil
  local loop_opts = { batch = bs, shuffle = o.shuffle ~= false, seed = o.seed or 1 }
  local history = { stopped = "max_epochs", steps = 0 }
  -- Criterions with a meter (forward_async) keep the loss where the model is; the loop
  -- reads it when it reports: every step on the CPU (free), on the device only for a
  -- progress line and at the end of the epoch. A non-finite loss is named by its step.
  local async = type(crit.forward_async) == "function"
  local best, bad = math.huge, 0
  local t0, step = rh.clock(), 0
  if model.train then model:train() end

  local function nonfinite(loss, at, epoch, b)
    if o.allow_nonfinite then return end
    error(string.format("%s: loss is %s at step %d (epoch %d, batch %d); pass allow_nonfinite=true to go on",
                        fname, loss ~= loss and "NaN" or "infinite", at, epoch, b), 3)
  end
  -- Reads the meter: the epoch's sums so far, raising for a non-finite loss.
  local function read(epoch, first_step)
    local t = crit:totals()
    if t.nonfinite_step > 0 then nonfinite(t.nonfinite_loss, first_step + t.nonfinite_step, epoch, t.nonfinite_step) end
    return t.sum, t.n, t.correct or 0
  end

  for epoch = 1, max_epochs do
    local te, sum, count, correct, b = rh.clock(), 0, 0, 0, 0
    local last_draw, first_step = 0, step
    if async then crit:reset_totals() end
    for X, Y in next_epoch(loop_opts, epoch) do
      step, b = step + 1, b + 1
      opt:zero_grad()
      local y = model:forward(X)
      if async then
        crit:forward_async(y, Y)
        if y:device() == "cpu" then sum, count, correct = read(epoch, first_step) end
      else
        local loss = crit:forward(y, Y)
        if loss ~= loss or loss == math.huge or loss == -math.huge then nonfinite(loss, step, epoch, b) end
        local B = X:size(1)
        sum, count = sum + loss * B, count + B
        if ce then correct = correct + C.correct(y, Y) end
      end
      model:backward(X, crit:backward(y, Y), true)
      opt:step()
      if tty then
        local now = rh.clock()
        if now - last_draw > 0.25 then
          last_draw = now
          if async then sum, count, correct = read(epoch, first_step) end
          local per = (now - te) / b
          local left = nbatches and per * ((nbatches - b) + nbatches * (max_epochs - epoch)) or 0 / 0
          io.stderr:write(string.format("\repoch %d/%d batch %d/%s loss %.4f acc %.2f%% elapsed %s left ~%s   ",
                                        epoch, max_epochs, b, nbatches or "?", sum / count,
                                        100 * correct / count, fmt_time(now - t0), fmt_time(left)))
        end
      end
    end
    if async then sum, count, correct = read(epoch, first_step) end
    if count == 0 then error(fname .. ": an epoch had no batches", 2) end
    local rec = { epoch = epoch, loss = sum / count, accuracy = ce and correct / count or nil, steps = b,
                  lr = opt.groups and opt.groups[1].lr, time = rh.clock() - te }
    if o.eval then rec.eval_loss, rec.eval_accuracy = train.evaluate(model, o.eval, { batch = o.eval_batch, loss = crit }) end
    history[#history + 1] = rec
    history.steps = step
    local monitored = monitor == "eval" and rec.eval_loss or rec.loss
    if progress then
      local elapsed = rh.clock() - t0
      local left = elapsed / epoch * (max_epochs - epoch)
      local line = string.format("epoch %d/%d loss %.4f%s%s elapsed %s left ~%s", epoch, max_epochs, rec.loss,
                                 rec.accuracy and string.format(" acc %.2f%%", 100 * rec.accuracy) or "",
                                 rec.eval_loss and string.format(" eval loss %.4f%s", rec.eval_loss,
                                   rec.eval_accuracy and string.format(" acc %.2f%%", 100 * rec.eval_accuracy) or "") or "",
                                 fmt_time(elapsed), fmt_time(left))
      io.stderr:write(tty and ("\r" .. line .. "\27[K\n") or (line .. "\n"))
    end
    if o.scheduler then o.scheduler:step(monitored) end
    if o.callback and o.callback(epoch, rec, model) == false then history.stopped = "callback"; break end
    -- Saturation: the monitored loss improved by less than `threshold` (relative to the
    -- best so far) for `patience` consecutive epochs.
    if o.patience then
      if monitored < best - threshold * math.abs(best) or best == math.huge then
        best, bad = monitored, 0
      else
        bad = bad + 1
        if bad >= o.patience then history.stopped = "saturated"; break end
      end
    end
  end
  history.time = rh.clock() - t0
  return history
end

return train
