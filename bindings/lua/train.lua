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

-- train.batches({x=X, y=Y}, {batch=64, shuffle=false, seed=1}) -> iterator of X, Y views.
-- With shuffle the rows are permuted once per call (one copy); batches are row views.
function train.batches(data, o)
  o = o or {}
  local X, Y, bs = data.x, data.y, o.batch or 64
  local n = X:size(1)
  if Y:size(1) ~= n then error(string.format("rh.train: x has %d rows but y has %d", n, Y:size(1)), 2) end
  if o.shuffle then
    local p = rh.generator(o.seed or 1):permutation(n)
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
  o = rh.check_options("rh.train.evaluate", o, { "batch", "loss" }) or {}
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

-- A duration in seconds as progress lines show it: "1h02m", "3m05s", "12.3s"; "?" for a
-- duration not known (NaN or infinite, as an estimate from no progress is).
function train.format_time(s)
  if s ~= s or s == math.huge or s == -math.huge then return "?" end
  if s >= 3600 then return string.format("%dh%02dm", s // 3600, (s % 3600) // 60) end
  if s >= 60 then return string.format("%dm%02ds", s // 60, math.floor(s % 60)) end
  return string.format("%.1fs", s)
end

local FIT_OPTIONS = { "optimizer", "lr", "momentum", "weight_decay", "loss", "batch", "shuffle", "seed", "drop_last",
  "min_epochs", "max_epochs", "epochs", "max_seconds", "eval", "eval_batch", "monitor", "patience", "threshold", "min_delta",
  "rank_converged", "scheduler", "callback", "progress", "nonfinite" }
local RANK_RULE_OPTIONS = { "measure", "tol", "patience", "slack", "rel_slack", "every" }
-- The tolerance each measure's `tol` sets (false: the measure has none).
local RANK_TOL = { numerical = "tol", relative = "relative_tol", energy = "energy_tau", effective = false,
  stable = false }

-- level: error's level of the user's call, counted from check_count (3 for fit's own checks).
local function check_count(fname, k, v, lo, level)
  if v ~= nil and (math.type(v) ~= "integer" or v < lo) then
    error(string.format("%s: %s must be an integer >= %d, got %s", fname, k, lo, tostring(v)), level)
  end
end

-- The rank-convergence rule of opts.rank_converged (nil when absent), checked.
local function rank_rule(fname, r)
  if r == nil then return nil end
  if type(r) ~= "table" then error(fname .. ": rank_converged must be a table, got " .. type(r), 3) end
  rh.check_options(fname .. ": rank_converged", r, RANK_RULE_OPTIONS, 3)
  local measure = r.measure or "relative"
  local param = RANK_TOL[measure]
  if param == nil then
    error(string.format("%s: rank_converged.measure '%s' is not a rank measure (numerical, relative, effective, "
                        .. "stable, energy)", fname, tostring(measure)), 3)
  end
  if r.tol ~= nil and (not param or type(r.tol) ~= "number" or r.tol < 0) then
    error(string.format("%s: rank_converged.tol %s", fname, param and "must be a number >= 0"
                        or ("is not used by the " .. measure .. " rank, which has no tolerance")), 3)
  end
  check_count(fname, "rank_converged.patience", r.patience, 2, 4)
  check_count(fname, "rank_converged.every", r.every, 1, 4)
  for _, k in ipairs { "slack", "rel_slack" } do
    if r[k] ~= nil and (type(r[k]) ~= "number" or r[k] < 0) then
      error(fname .. ": rank_converged." .. k .. " must be a number >= 0", 3)
    end
  end
  return { measure = measure, param = param, tol = r.tol, patience = r.patience or 3, slack = r.slack or 0,
           rel_slack = r.rel_slack or 0, every = r.every or 1, checks = {} }
end

-- One rank check: one SVD per Linear weight; the ranks under the rule's measure, the
-- singular values (1-D CPU tensors), whether no layer's rank moved by more than its slack
-- (max(slack, rel_slack * its rank now)) over the last `patience` checks (this one
-- included), and the largest such move.
local function rank_check(rule, layers)
  local ranks = {}
  local svals, shapes = rh.rank.svals(layers)
  for i, s in ipairs(svals) do
    local ropts = { shape = shapes[i] }
    if rule.param and rule.tol then ropts[rule.param] = rule.tol end
    ranks[i] = rh.rank[rule.measure](s, ropts)
  end
  local checks = rule.checks
  checks[#checks + 1] = ranks
  if #checks > rule.patience then table.remove(checks, 1) end
  local moved, settled = 0, #checks >= rule.patience
  for i = 1, #ranks do
    local lo, hi = math.huge, -math.huge
    for _, c in ipairs(checks) do lo, hi = math.min(lo, c[i]), math.max(hi, c[i]) end
    moved = math.max(moved, hi - lo)
    if hi - lo > math.max(rule.slack, rule.rel_slack * ranks[i]) then settled = false end
  end
  return ranks, svals, shapes, settled, moved
end

-- The steady-state weight decay one step applies now (opt:decay_per_step()), or nil.
local function decay_rate(opt)
  if type(opt.decay_per_step) == "function" then return opt:decay_per_step() end
end

local function finite(x) return x == x and x ~= math.huge and x ~= -math.huge end

-- The first non-finite parameter of a model: its index, or nil when all are finite.
local function nonfinite_param(model)
  for i, p in ipairs((model:parameters())) do
    if not p:all_finite() then return i end
  end
end

-- train.fit(model, data, opts) -> history (docs/training.md). Every key of opts is checked.
--   optimizer (or lr, momentum, weight_decay for an SGD), loss (CrossEntropyLoss),
--   batch=64, shuffle=true, seed=1, drop_last=false,
--   min_epochs=0, max_epochs=10 (alias epochs), max_seconds (training time),
--   eval (data evaluated after each epoch), eval_batch, monitor="train"|"eval",
--   patience, threshold=1e-3, min_delta=0 (loss saturation), rank_converged={measure, tol, patience,
--   slack, every} (rank convergence), scheduler, callback(epoch, record, model) -> false
--   stops, progress=true, nonfinite="stop"|"error"|"continue".
function train.fit(model, data, o)
  local fname = "rh.train.fit"
  if type(model) ~= "table" or type(model.forward) ~= "function" then error(fname .. ": a model expected", 2) end
  if o ~= nil and type(o) ~= "table" then error(fname .. ": options must be a table, got " .. type(o), 2) end
  o = o or {}
  rh.check_options(fname, o, FIT_OPTIONS)
  if o.optimizer and (o.lr or o.momentum or o.weight_decay) then
    error(fname .. ": give either optimizer or lr/momentum/weight_decay (they build an SGD), not both", 2)
  end
  local next_epoch, n = source(data, fname)
  local opt = o.optimizer or optim.SGD(model, { lr = o.lr or 0.01, momentum = o.momentum or 0,
                                               weight_decay = o.weight_decay or 0 })
  local crit = o.loss or nn.CrossEntropyLoss()
  local ce = is_ce(crit)
  local bs = o.batch or 64
  local max_epochs = o.max_epochs or o.epochs or 10
  local min_epochs = o.min_epochs or 0
  check_count(fname, "batch", o.batch, 1, 3)
  check_count(fname, "max_epochs", max_epochs, 1, 3)
  check_count(fname, "min_epochs", o.min_epochs, 0, 3)
  check_count(fname, "patience", o.patience, 1, 3)
  if o.max_seconds ~= nil and (type(o.max_seconds) ~= "number" or o.max_seconds <= 0) then
    error(fname .. ": max_seconds must be a number > 0", 2)
  end
  local nonfinite_mode = o.nonfinite or "stop"
  if nonfinite_mode ~= "stop" and nonfinite_mode ~= "error" and nonfinite_mode ~= "continue" then
    error(fname .. ": nonfinite must be \"stop\", \"error\" or \"continue\", got " .. tostring(o.nonfinite), 2)
  end
  local monitor = o.monitor or (o.eval and "eval" or "train")
  if monitor ~= "train" and monitor ~= "eval" then error(fname .. ": monitor must be \"train\" or \"eval\"", 2) end
  if monitor == "eval" and not o.eval then error(fname .. ": monitor='eval' needs opts.eval", 2) end
  local rule = rank_rule(fname, o.rank_converged)
  local layers
  if rule then
    local ok, ls = pcall(rh.nn.rank_layers, model) -- a Linear left out is an error naming its module
    if not ok then error(fname .. ": rank_converged: " .. tostring(ls), 2) end
    layers = ls
    if #layers == 0 then error(fname .. ": rank_converged needs a model with Linear layers (model:linear_layers())", 2) end
  end
  local threshold, min_delta = o.threshold or 1e-3, o.min_delta or 0
  local progress = o.progress ~= false
  local tty = progress and rh.io.stderr_isatty()
  local nbatches = n and (o.drop_last and n // bs or (n + bs - 1) // bs) or nil
  local loop_opts = { batch = bs, shuffle = o.shuffle ~= false, seed = o.seed or 1, drop_last = o.drop_last }
  local history = { stopped = "max_epochs", steps = 0, train_time = 0 }
  local horizon = decay_rate(opt) and 0 or nil -- nil: the optimizer has no steady-state decay (Adam)
  -- Criterions with a meter (forward_async) keep the loss where the model is; the loop reads
  -- the sums at the end of an epoch and for a progress line. On the CPU the last loss is
  -- looked at every step (no wait there), so a diverging run stops at its first bad step.
  local async = type(crit.forward_async) == "function"
  local best, bad = math.huge, 0
  local saturated, rank_ok = false, false
  local t0, step = rh.clock(), 0
  if model.train then model:train() end

  -- level (here and in nonfinite_loss): error's level of the user's call to fit, counted
  -- from the function given it (3 when fit calls it)
  local function diverge(what, at, epoch, b, level)
    local why = string.format("%s at step %d (epoch %d, batch %d)", what, at, epoch, b)
    if nonfinite_mode == "error" then error(fname .. ": " .. why, level) end
    if nonfinite_mode == "stop" and not history.diverged_step then
      history.stopped, history.diverged_step, history.diverged = "diverged", at, why
    end
  end
  local function nonfinite_loss(loss, at, epoch, b, level)
    diverge("loss is " .. (loss ~= loss and "NaN" or "infinite"), at, epoch, b, level + 1)
  end
  local function read(epoch, first_step)
    local t = crit:totals()
    if t.nonfinite_step > 0 and nonfinite_mode ~= "continue" then
      nonfinite_loss(t.nonfinite_loss, first_step + t.nonfinite_step, epoch, t.nonfinite_step, 4)
    end
    return t.sum, t.n, t.correct or 0
  end

  local function draw(epoch, b, te, sum, count, correct)
    local now = rh.clock()
    local per = (now - te) / b
    local left = nbatches and per * ((nbatches - b) + nbatches * (max_epochs - epoch)) or 0 / 0
    io.stderr:write(string.format("\repoch %d/%d batch %d/%s loss %.4f acc %.2f%% elapsed %s left <%s   ",
                                  epoch, max_epochs, b, nbatches or "?", sum / count, 100 * correct / count,
                                  train.format_time(now - t0), train.format_time(left)))
  end

  local function epoch_line(epoch, rec)
    local elapsed = rh.clock() - t0
    local left = elapsed / epoch * (max_epochs - epoch)
    if o.max_seconds then left = math.min(left, math.max(0, o.max_seconds - history.train_time)) end
    local parts = { string.format("epoch %d/%d loss %.4f", epoch, max_epochs, rec.loss) }
    if rec.accuracy then parts[#parts + 1] = string.format("acc %.2f%%", 100 * rec.accuracy) end
    if rec.eval_loss then
      parts[#parts + 1] = string.format("eval loss %.4f%s", rec.eval_loss,
        rec.eval_accuracy and string.format(" acc %.2f%%", 100 * rec.eval_accuracy) or "")
    end
    if rec.wd_horizon then parts[#parts + 1] = string.format("H %.2f", rec.wd_horizon) end
    if rec.ranks then parts[#parts + 1] = rule.measure .. " ranks " .. table.concat(rec.ranks, "-") end
    parts[#parts + 1] = string.format("elapsed %s left <%s", train.format_time(elapsed), train.format_time(left))
    local line = table.concat(parts, " ")
    io.stderr:write(tty and ("\r" .. line .. "\27[K\n") or (line .. "\n"))
  end

  -- A rank check into the epoch's record (ranks, rank_moved, rank_converged); the last one is
  -- kept for the caller (history.ranks, history.svals, history.shapes).
  local function check_ranks(rec)
    local ranks, svals, shapes, ok, moved = rank_check(rule, layers)
    rec.ranks, rec.rank_moved, rec.rank_converged = ranks, moved, ok
    history.ranks, history.svals, history.shapes, history.ranks_epoch = ranks, svals, shapes, rec.epoch
    return ok
  end

  for epoch = 1, max_epochs do
    local te, sum, count, correct, b = rh.clock(), 0, 0, 0, 0
    local last_draw, first_step, cut = 0, step, false
    local wd_before = horizon
    if async then crit:reset_totals() end
    for X, Y in next_epoch(loop_opts, epoch) do
      step, b = step + 1, b + 1
      opt:zero_grad()
      local y = model:forward(X)
      if async then
        local last = crit:forward_async(y, Y)
        if y:device() == "cpu" then
          local l = last:get(1)
          if not finite(l) then nonfinite_loss(l, step, epoch, b, 3) end
        end
      else
        local loss = crit:forward(y, Y)
        if not finite(loss) then nonfinite_loss(loss, step, epoch, b, 3) end
        local B = X:size(1)
        sum, count = sum + loss * B, count + B
        if ce then correct = correct + C.correct(y, Y) end
      end
      if history.stopped == "diverged" then break end
      model:backward(X, crit:backward(y, Y), true)
      opt:step()
      if horizon then horizon = horizon + decay_rate(opt) end
      if tty then
        local now = rh.clock()
        if now - last_draw > 0.25 then
          last_draw = now
          if async then sum, count, correct = read(epoch, first_step) end
          draw(epoch, b, te, sum, count, correct)
        end
      end
      if o.max_seconds and history.train_time + (rh.clock() - te) >= o.max_seconds then cut = true; break end
    end
    history.train_time = history.train_time + (rh.clock() - te)
    if async then sum, count, correct = read(epoch, first_step) end
    if b == 0 then error(fname .. ": an epoch had no batches", 2) end
    history.steps = step
    local rec = { epoch = epoch, loss = sum / count, accuracy = ce and correct / count or nil, steps = b,
                  lr = opt.groups and opt.groups[1].lr, weight_decay = opt.groups and opt.groups[1].weight_decay,
                  wd_horizon = horizon, wd_horizon_epoch = horizon and horizon - wd_before }
    if history.stopped ~= "diverged" and nonfinite_mode ~= "continue" then
      local bad_param = nonfinite_param(model)
      if bad_param then diverge(string.format("parameter %d is not finite", bad_param), step, epoch, b, 3) end
    end
    if history.stopped == "diverged" then
      rec.time = rh.clock() - te
      history[#history + 1] = rec
      if progress then epoch_line(epoch, rec) end
      break
    end
    if o.eval then rec.eval_loss, rec.eval_accuracy = train.evaluate(model, o.eval, { batch = o.eval_batch, loss = crit }) end
    local monitored = monitor == "eval" and rec.eval_loss or rec.loss
    -- Saturation: the monitored loss improved by less than `threshold` relative to the best so
    -- far (and by less than min_delta) for `patience` consecutive epochs.
    if o.patience then
      if monitored < best - math.max(threshold * math.abs(best), min_delta) or best == math.huge then
        best, bad = monitored, 0
      else
        bad = bad + 1
      end
      saturated = bad >= o.patience
      rec.saturated = saturated
    end
    if rule and epoch % rule.every == 0 then
      rank_ok = check_ranks(rec)
      -- the check's singular values reach the callback through the record, which history
      -- keeps without them (only history.svals, the last check's, stays)
      rec.svals, rec.shapes = history.svals, history.shapes
    end
    rec.time = rh.clock() - te
    history[#history + 1] = rec
    if progress then epoch_line(epoch, rec) end
    if o.scheduler then o.scheduler:step(monitored) end
    local halted = o.callback and o.callback(epoch, rec, model) == false
    rec.svals, rec.shapes = nil, nil
    local stop
    if halted then
      stop = "callback"
    elseif cut then
      stop = "max_seconds"
    elseif epoch >= min_epochs then
      if o.patience and rule then
        stop = saturated and rank_ok and "converged" or nil
      elseif o.patience then
        stop = saturated and "saturated" or nil
      elseif rule then
        stop = rank_ok and "rank_converged" or nil
      end
    end
    if stop or epoch == max_epochs then
      -- the ranks reported are always those of the final weights
      if rule and history.ranks_epoch ~= epoch then check_ranks(rec) end
      if stop then history.stopped = stop end
      break
    end
  end
  history.epochs = #history
  history.wd_horizon = horizon
  history.time = rh.clock() - t0
  return history
end

return train
