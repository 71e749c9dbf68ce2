-- train.lua - rh.train: the common training loop (fit: a loop over epochs of steps, and stop
-- rules, rh.train.stop), evaluation of loss and accuracy (evaluate), and a batch iterator over
-- in-memory tensors (batches).
--
-- Data can be: a dataset with :size() and :batch(idx) (rh.data), iterated with
-- rh.data.loader; a table {x = X, y = Y} of tensors (rows are samples); or a function
-- (epoch) -> iterator yielding X, Y (any loader).
--
-- Errors: the public functions are boundary.wrap'ed; everything under them raises
-- boundary.fail, which the boundary places at the user's line.
local rh = require "rankhost"
local nn = require "rankhost.nn"
local optim = require "rankhost.optim"
local B = require "rankhost.boundary"
local stop = require "rankhost.stop"
local progress = require "rankhost.progress"
local C = rh._nn

local train = {}
train.stop = stop
train.format_time = progress.format_time

-- ---------------------------------------------------------------- data

-- The rows of a batch: a batch larger than the data is the whole data (as rh.data.loader).
local function batch_rows(bs, n) return (bs > n and n > 0) and n or bs end

local function batches(data, o)
  o = o or {}
  local X, Y = data.x, data.y
  local n = X:size(1)
  if Y:size(1) ~= n then B.fail("rh.train.batches: x has %d rows but y has %d", n, Y:size(1)) end
  local bs = batch_rows(o.batch or 64, n)
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

-- train.batches({x=X, y=Y}, {batch=64, shuffle=false, seed=1, drop_last=false}) -> iterator of
-- X, Y views. With shuffle the rows are permuted once per call (one copy); batches are row views.
train.batches = B.wrap(batches)

-- The loader of data for a whole run: one object, loader:epoch(e) -> the iterator of epoch e,
-- loader.batches (per epoch; nil when not known). o: {batch, shuffle, seed, drop_last}. Epoch e
-- is shuffled with the seed seed + e: a dataset's loader reseeds so (`reseed`), {x=, y=} data
-- permutes with rh.generator(seed + e). fname names the caller in errors.
local function loader(data, o, fname)
  if type(data) == "function" then
    return { epoch = function(_, e) return data(e) end }
  end
  if (type(data) ~= "table" and type(data) ~= "userdata") or nn.is_tensor(data) then
    B.fail("%s must be a dataset, {x=, y=} or a function, got %s", fname, type(data))
  end
  local seed = o.seed or 1
  if type(data) == "table" and nn.is_tensor(data.x) and nn.is_tensor(data.y) then
    local n = data.x:size(1)
    if data.y:size(1) ~= n then B.fail("%s: x has %d rows but y has %d", fname, n, data.y:size(1)) end
    local bs = batch_rows(o.batch, n)
    local opts = { batch = bs, shuffle = o.shuffle, drop_last = o.drop_last }
    return { batches = o.drop_last and n // bs or (n + bs - 1) // bs, epoch = function(_, e)
      opts.seed = seed + e
      return batches(data, opts)
    end }
  end
  if type(data.size) == "function" and type(data.batch) == "function" then
    if not (rh.data and rh.data.loader) then B.fail("%s: rh.data.loader is not available for a dataset", fname) end
    local ld = rh.data.loader(data, { batch = o.batch, shuffle = o.shuffle, seed = seed, drop_last = o.drop_last,
                                      reseed = true })
    -- (evaluation asks for epoch 0: unshuffled, any epoch serves)
    return { batches = #ld, epoch = function(_, e) ld:set_epoch(math.max(e, 1)); return ld end }
  end
  B.fail("%s must be a dataset, {x=, y=} or a function", fname)
end

local function is_ce(crit) return getmetatable(crit) == nn.CrossEntropyLossClass end

-- ---------------------------------------------------------------- evaluate

-- The mean loss and accuracy (nil unless the loss is cross-entropy) of the model on the
-- batches of src:epoch(0); the model is put in evaluation mode and back.
local function evaluate_on(model, src, crit)
  local was_training = model.training ~= false
  if model.evaluate then model:evaluate() end
  local total, correct, n = 0, 0, 0
  local ce = is_ce(crit)
  local meter -- cross-entropy: loss and correct counts stay on the model's device, read once
  for X, Y in src:epoch(0) do
    local y = model:forward(X)
    local b = X:size(1)
    if ce then
      meter = meter or C.meter(y)
      B.call("rh.train.evaluate", C.cross_entropy_acc, y, Y, nil, meter)
    else
      total = total + crit:forward(y, Y) * b
      n = n + b
    end
  end
  if meter then
    local t = C.meter_read(meter)
    if t.bad_pos > 0 then
      B.fail("rh.train.evaluate: label %g at position %d of batch %d is not a class id", t.bad_value, t.bad_pos,
             t.bad_step)
    end
    total, correct, n = t.sum, t.correct, t.n
  end
  if was_training and model.train then model:train() end
  if n == 0 then B.fail("rh.train.evaluate: the data has no samples") end
  return total / n, ce and correct / n or nil
end

-- train.evaluate(model, data [, {batch=1000, loss=nn.CrossEntropyLoss()}]) -> mean loss,
-- accuracy (nil unless the loss is cross-entropy). The model is put in evaluation mode
-- and back into the mode it was in.
train.evaluate = B.wrap(function(model, data, o)
  local fname = "rh.train.evaluate"
  o = B.check_options(fname, o, { "batch", "loss" }) or {}
  B.check_count(fname, "batch", o.batch, 1)
  local src = loader(data, { batch = o.batch or 1000, shuffle = false }, fname .. ": data")
  return evaluate_on(model, src, o.loss or nn.CrossEntropyLoss())
end)

-- train.memorised(model, noisy, clean [, {batch=1000}]) -> fraction, flipped, memorised:
-- of the examples whose label in `noisy` differs from their label in `clean` (the same
-- samples in the same order, e.g. clean and rh.data.random_labels(clean, f, seed)), the
-- share the model classifies as their noisy label: the memorised fraction. `flipped` is
-- their number, `memorised` the number predicted as the noisy label; fraction is nil when
-- no label was flipped. The model is put in evaluation mode and back.
train.memorised = B.wrap(function(model, noisy, clean, o)
  local fname = "rh.train.memorised"
  o = B.check_options(fname, o, { "batch" }) or {}
  B.check_count(fname, "batch", o.batch, 1)
  for _, d in ipairs { { noisy, "noisy" }, { clean, "clean" } } do
    local ds = d[1]
    if type(ds) ~= "userdata" and type(ds) ~= "table" or not ds.size or not ds.batch then
      B.fail("%s: %s must be a dataset (rh.data), got %s", fname, d[2], type(ds))
    end
  end
  local n = noisy:size()
  if clean:size() ~= n then
    B.fail("%s: noisy has %d samples and clean %d (they must be the same samples)", fname, n, clean:size())
  end
  local bs = o.batch or 1000
  local was_training = model.training ~= false
  if model.evaluate then model:evaluate() end
  local flipped, memorised = 0, 0
  for first = 1, n, bs do
    local idx = {}
    for i = first, math.min(n, first + bs - 1) do idx[#idx + 1] = i end
    local X, Y = noisy:batch(idx)
    local _, Yc = clean:batch(idx)
    local y, yc = Y:totable(), Yc:totable()
    local pred
    for i = 1, #idx do
      if y[i] ~= yc[i] then
        pred = pred or model:forward(X):argmax(2):totable()
        flipped = flipped + 1
        local p = pred[i]
        if type(p) == "table" then p = p[1] end
        if p == y[i] then memorised = memorised + 1 end
      end
    end
  end
  if was_training and model.train then model:train() end
  return flipped > 0 and memorised / flipped or nil, flipped, memorised
end)

-- ---------------------------------------------------------------- fit's options

local FIT_OPTIONS = { "optimizer", "lr", "momentum", "weight_decay", "loss", "batch", "shuffle", "seed", "drop_last",
  "min_epochs", "max_epochs", "epochs", "max_seconds", "eval", "eval_batch", "monitor", "patience", "threshold", "min_delta",
  "rank_converged", "also", "stop", "scheduler", "callback", "progress", "nonfinite" }
local RANK_RULE_OPTIONS = { "measure", "tol", "patience", "slack", "rel_slack", "every" }
-- The parameter of a measure that rank_converged's `tol` sets: its first one in the
-- registry (rh.rank.measure_info[name].params, the one a number sets in rh.rank.<name>(W, x)),
-- read at each call so that a measure registered later is a choice too; nil for a measure
-- without parameters.
local function tol_param(measure) return rh.rank.measure_info[measure].params[1] end

-- The rank check of opts.rank_converged (nil when absent): which measure, with which
-- tolerance, every how many epochs; and its rule (stop.ranks).
local function rank_probe(fname, r, model)
  if r == nil then return nil end
  if type(r) ~= "table" then B.fail("%s: rank_converged must be a table, got %s", fname, type(r)) end
  B.check_options(fname .. ": rank_converged", r, RANK_RULE_OPTIONS)
  local measure = r.measure or "relative"
  if type(measure) ~= "string" or not rh.rank.measure_info[measure] then
    B.fail("%s: rank_converged.measure '%s' is not a rank measure (%s)", fname, tostring(measure),
           table.concat(rh.rank.measure_names, ", "))
  end
  local q = tol_param(measure)
  local param = q and q.name
  if r.tol ~= nil then
    local want = not q and ("is not used by the " .. measure .. " rank, which has no tolerance")
      or (type(r.tol) ~= "number" or r.tol ~= r.tol or r.tol < 0) and "must be a number >= 0"
      or q.check and q.check(r.tol) and ("must be " .. q.check(r.tol) .. " (the " .. measure .. " rank's " .. param .. ")")
    if want then B.fail("%s: rank_converged.tol %s", fname, want) end
  end
  B.check_count(fname, "rank_converged.every", r.every, 1)
  local rule = stop.new_ranks(fname, r, "rank_converged.")
  local ok, layers = pcall(rh.nn.rank_layers, model) -- a Linear left out is an error naming its module
  if not ok then B.fail("%s: rank_converged: %s", fname, tostring(layers)) end
  if #layers == 0 then B.fail("%s: rank_converged needs a model with Linear layers (model:linear_layers())", fname) end
  return { measure = measure, param = param, tol = r.tol, every = r.every or 1, rule = rule, layers = layers }
end

-- One rank check into rec: one SVD per Linear weight (rh.rank.svals), each layer's rank
-- under the probe's measure (rec.ranks); the singular values and shapes are kept for the
-- caller (history.svals, history.shapes, history.ranks, history.ranks_epoch).
local function check_ranks(probe, rec, history)
  local ranks = {}
  local svals, shapes = rh.rank.svals(probe.layers)
  for i, s in ipairs(svals) do
    local ropts = { shape = shapes[i] }
    if probe.param and probe.tol then ropts[probe.param] = probe.tol end
    ranks[i] = rh.rank[probe.measure](s, ropts)
  end
  rec.ranks = ranks
  history.ranks, history.svals, history.shapes, history.ranks_epoch = ranks, svals, shapes, rec.epoch
end

-- The steady-state weight decay one step applies now (opt:decay_per_step()), or nil.
local function decay_rate(opt)
  if type(opt.decay_per_step) == "function" then return opt:decay_per_step() end
end

-- fit's options checked (every key, the counts, the choices): o, max_epochs, nonfinite, monitor.
local function checked(fname, model, o)
  if type(model) ~= "table" or type(model.forward) ~= "function" then B.fail("%s: a model expected", fname) end
  if o ~= nil and type(o) ~= "table" then B.fail("%s: options must be a table, got %s", fname, type(o)) end
  o = o or {}
  B.check_options(fname, o, FIT_OPTIONS)
  if o.optimizer and (o.lr or o.momentum or o.weight_decay) then
    B.fail("%s: give either optimizer or lr/momentum/weight_decay (they build an SGD), not both", fname)
  end
  B.check_count(fname, "batch", o.batch, 1)
  local max_epochs = o.max_epochs or o.epochs or 10
  B.check_count(fname, "max_epochs", max_epochs, 1)
  B.check_count(fname, "min_epochs", o.min_epochs, 0)
  B.check_count(fname, "eval_batch", o.eval_batch, 1)
  if o.max_seconds ~= nil and (type(o.max_seconds) ~= "number" or o.max_seconds <= 0) then
    B.fail("%s: max_seconds must be a number > 0", fname)
  end
  local nonfinite = o.nonfinite or "stop"
  if nonfinite ~= "stop" and nonfinite ~= "error" and nonfinite ~= "continue" then
    B.fail("%s: nonfinite must be \"stop\", \"error\" or \"continue\", got %s", fname, tostring(o.nonfinite))
  end
  local monitor = o.monitor or (o.eval and "eval" or "train")
  if monitor ~= "train" and monitor ~= "eval" then B.fail("%s: monitor must be \"train\" or \"eval\"", fname) end
  if monitor == "eval" and not o.eval then B.fail("%s: monitor='eval' needs opts.eval", fname) end
  if o.callback ~= nil and type(o.callback) ~= "function" then
    B.fail("%s: callback must be a function, got %s", fname, type(o.callback))
  end
  return o, max_epochs, nonfinite, monitor
end

-- The rules of opts.also (nil when absent): each a stop rule, all of which must hold with
-- fit's own rule for it to stop the run.
local function also_rules(fname, also)
  if also == nil then return nil end
  if type(also) ~= "table" or type(also.update) == "function" or #also == 0 then
    B.fail("%s: also must be a non-empty list of stop rules ({rule, ...}), got %s", fname, type(also))
  end
  for i, rule in ipairs(also) do stop.check_rule(fname, rule, "also[" .. i .. "]") end
  return also
end

-- The run's stop rules, in the order they are asked: the loss rule (patience), the rank rule
-- (rank_converged), both at once ("converged"), joined by every rule of `also` (then
-- "converged" too: all at the same epoch), then the user's (stop); and the rank check.
local function stop_rules(fname, o, monitor, model)
  local saturation = o.patience ~= nil and stop.new_saturation(fname, { patience = o.patience, threshold = o.threshold,
    min_delta = o.min_delta, monitor = monitor }) or nil
  local probe = rank_probe(fname, o.rank_converged, model)
  local also = also_rules(fname, o.also)
  local own = {}
  if saturation then own[#own + 1] = saturation end
  if probe then own[#own + 1] = probe.rule end
  for _, rule in ipairs(also or {}) do own[#own + 1] = rule end
  local rules = { #own > 1 and stop.new_all(own, "converged") or own[1] or nil }
  if o.stop ~= nil then
    if type(o.stop) ~= "table" or type(o.stop.update) == "function" then
      B.fail("%s: stop must be a list of stop rules ({rule, ...}), got %s", fname, type(o.stop))
    end
    for i, rule in ipairs(o.stop) do rules[#rules + 1] = stop.check_rule(fname, rule, "stop[" .. i .. "]") end
  end
  return rules, probe
end

-- Everything a run needs, every option checked: the run's state (r).
local function setup(fname, model, data, opts)
  local o, max_epochs, nonfinite, monitor = checked(fname, model, opts)
  local rules, probe = stop_rules(fname, o, monitor, model)
  local src = loader(data, { batch = o.batch or 64, shuffle = o.shuffle ~= false, seed = o.seed, drop_last = o.drop_last },
                     fname .. ": data")
  local eval = o.eval and loader(o.eval, { batch = o.eval_batch or 1000, shuffle = false }, fname .. ": eval")
  local opt = o.optimizer or B.call(fname, optim.SGD, model, { lr = o.lr or 0.01, momentum = o.momentum or 0,
                                                               weight_decay = o.weight_decay or 0 })
  local crit = o.loss or nn.CrossEntropyLoss()
  local r = {
    fname = fname, model = model, opt = opt, crit = crit, ce = is_ce(crit), src = src, eval = eval,
    max_epochs = max_epochs, min_epochs = o.min_epochs or 0, max_seconds = o.max_seconds, monitor = monitor,
    nonfinite = nonfinite, probe = probe, rules = rules, scheduler = o.scheduler, callback = o.callback,
    -- criterions with a meter (forward_async) keep the loss where the model is; the loop reads
    -- the sums at the end of an epoch and for a progress line
    async = type(crit.forward_async) == "function",
    history = { stopped = "max_epochs", steps = 0, train_time = 0 },
    horizon = decay_rate(opt) and 0 or nil, -- nil: the optimizer has no steady-state decay (Adam)
    step = 0, t0 = rh.clock(),
  }
  if o.progress ~= false then
    r.progress = progress.reporter { t0 = r.t0, max_epochs = max_epochs, nbatches = src.batches,
                                     max_seconds = o.max_seconds, measure = probe and probe.measure }
  end
  return r
end

-- ---------------------------------------------------------------- the loop

local function finite(x) return x == x and x ~= math.huge and x ~= -math.huge end

-- The first non-finite parameter of a model: its index, or nil when all are finite.
local function nonfinite_param(model)
  for i, p in ipairs((model:parameters())) do
    if not p:all_finite() then return i end
  end
end

-- A non-finite loss or weight at step `at` (epoch, batch b): an error, the end of the run
-- (its first occurrence), or nothing (nonfinite = "continue").
local function diverge(r, what, at, epoch, b)
  local why = string.format("%s at step %d (epoch %d, batch %d)", what, at, epoch, b)
  if r.nonfinite == "error" then B.fail("%s: %s", r.fname, why) end
  if r.nonfinite == "stop" and not r.history.diverged_step then
    r.history.stopped, r.history.diverged_step, r.history.diverged = "diverged", at, why
  end
end
local function nonfinite_loss(r, loss, at, epoch, b)
  diverge(r, "loss is " .. (loss ~= loss and "NaN" or "infinite"), at, epoch, b)
end

-- The epoch's sums from the criterion's meter (ep.sum, ep.count, ep.correct); a non-finite
-- step it recorded is divergence.
local function read_totals(r, ep)
  local t = r.crit:totals()
  if t.nonfinite_step > 0 and r.nonfinite ~= "continue" then
    nonfinite_loss(r, t.nonfinite_loss, ep.first_step + t.nonfinite_step, ep.epoch, t.nonfinite_step)
  end
  ep.sum, ep.count, ep.correct = t.sum, t.n, t.correct or 0
end

-- One step on the batch (X, Y), the r.step-th of the run, batch ep.b of its epoch: the loss,
-- the gradient, the update. Returns false, before the gradient, when the run diverged. On
-- the CPU a meter's last loss is looked at every step (no wait there), so a diverging run stops
-- at its first bad step.
local function step(r, ep, X, Y)
  r.opt:zero_grad()
  local y = r.model:forward(X)
  if r.async then
    local last = r.crit:forward_async(y, Y)
    if y:device() == "cpu" then
      local l = last:get(1)
      if not finite(l) then nonfinite_loss(r, l, r.step, ep.epoch, ep.b) end
    end
  else
    local loss = r.crit:forward(y, Y)
    if not finite(loss) then nonfinite_loss(r, loss, r.step, ep.epoch, ep.b) end
    local n = X:size(1)
    ep.sum, ep.count = ep.sum + loss * n, ep.count + n
    if r.ce then ep.correct = ep.correct + C.correct(y, Y) end
  end
  if r.history.stopped == "diverged" then return false end
  r.model:backward(X, r.crit:backward(y, Y), true)
  r.opt:step()
  if r.horizon then r.horizon = r.horizon + decay_rate(r.opt) end
  return true
end

-- The steps of one epoch: its record, and whether the time budget cut it.
local function train_epoch(r, epoch)
  local ep = { epoch = epoch, te = rh.clock(), sum = 0, count = 0, correct = 0, b = 0, first_step = r.step }
  local history, wd_before, cut = r.history, r.horizon, false
  if r.async then r.crit:reset_totals() end
  for X, Y in r.src:epoch(epoch) do
    r.step, ep.b = r.step + 1, ep.b + 1
    if not step(r, ep, X, Y) then break end
    if r.progress and r.progress:due(epoch) then
      if r.async then read_totals(r, ep) end
      r.progress:batch(epoch, ep.b, ep.te, ep.sum, ep.count, ep.correct)
    end
    if r.max_seconds and history.train_time + (rh.clock() - ep.te) >= r.max_seconds then cut = true; break end
  end
  history.train_time = history.train_time + (rh.clock() - ep.te)
  if r.async then read_totals(r, ep) end
  if ep.b == 0 then B.fail("%s: an epoch had no batches", r.fname) end
  history.steps = r.step
  local opt = r.opt
  local rec = { epoch = epoch, loss = ep.sum / ep.count, accuracy = r.ce and ep.correct / ep.count or nil, steps = ep.b,
                lr = opt.groups and opt.groups[1].lr, weight_decay = opt.groups and opt.groups[1].weight_decay,
                wd_horizon = r.horizon, wd_horizon_epoch = r.horizon and r.horizon - wd_before }
  if history.stopped ~= "diverged" and r.nonfinite ~= "continue" then
    local bad_param = nonfinite_param(r.model)
    if bad_param then diverge(r, string.format("parameter %d is not finite", bad_param), r.step, epoch, ep.b) end
  end
  return rec, ep.te, cut
end

-- After an epoch's steps: evaluation, the rank check, every stop rule; the record goes to the
-- history, the progress line, the scheduler and the callback. Returns the stop (a why) or nil.
local function end_epoch(r, rec, te, cut)
  local history, epoch, probe = r.history, rec.epoch, r.probe
  if r.eval then rec.eval_loss, rec.eval_accuracy = evaluate_on(r.model, r.eval, r.crit) end
  local monitored = r.monitor == "eval" and rec.eval_loss or rec.loss
  if probe and epoch % probe.every == 0 then check_ranks(probe, rec, history) end
  local ruled -- the first rule that holds
  for _, rule in ipairs(r.rules) do
    local holds, why = rule:update(rec)
    if holds and not ruled then ruled = why end
  end
  -- the check's singular values reach the callback through the record, which history keeps
  -- without them (only history.svals, the last check's, stays)
  if rec.ranks then rec.svals, rec.shapes = history.svals, history.shapes end
  rec.time = rh.clock() - te
  history[#history + 1] = rec
  if r.progress then r.progress:epoch(rec, history.train_time) end
  if r.scheduler then r.scheduler:step(monitored) end
  local halted = r.callback and r.callback(epoch, rec, r.model) == false
  rec.svals, rec.shapes = nil, nil
  if halted then return "callback" end
  if cut then return "max_seconds" end
  if epoch >= r.min_epochs then return ruled end
end

-- The end of the run at epoch rec.epoch: the ranks reported are always those of the final
-- weights (a check off the schedule, after the callback, fills the record's rank fields).
local function finish(r, rec)
  local probe = r.probe
  if probe and r.history.ranks_epoch ~= rec.epoch then
    check_ranks(probe, rec, r.history)
    probe.rule:update(rec)
  end
end

-- train.fit(model, data, opts) -> history (docs/training.md). Every key of opts is checked.
--   optimizer (or lr, momentum, weight_decay for an SGD), loss (CrossEntropyLoss),
--   batch=64, shuffle=true, seed=1, drop_last=false,
--   min_epochs=0, max_epochs=10 (alias epochs), max_seconds (training time),
--   eval (data evaluated after each epoch), eval_batch, monitor="train"|"eval",
--   patience, threshold=1e-3, min_delta=0 (loss saturation), rank_converged={measure, tol, patience,
--   slack, every} (rank convergence), also={rule, ...} (they must hold too: "converged"),
--   stop={rule, ...} (rh.train.stop), scheduler,
--   callback(epoch, record, model) -> false stops, progress=true, nonfinite="stop"|"error"|"continue".
train.fit = B.wrap(function(model, data, o)
  local r = setup("rh.train.fit", model, data, o)
  if model.train then model:train() end
  local history = r.history
  for epoch = 1, r.max_epochs do
    local rec, te, cut = train_epoch(r, epoch)
    if history.stopped == "diverged" then -- the diverged epoch's record is the last
      rec.time = rh.clock() - te
      history[#history + 1] = rec
      if r.progress then r.progress:epoch(rec, history.train_time) end
      break
    end
    local why = end_epoch(r, rec, te, cut)
    if why or epoch == r.max_epochs then
      finish(r, rec)
      if why then history.stopped = why end
      break
    end
  end
  history.epochs = #history
  history.wd_horizon = r.horizon
  history.time = rh.clock() - r.t0
  return history
end)

return train
