-- p1_train.lua - problem 1's training of one network: SGD with weight decay under
-- rh.train.fit until the training loss saturates (fit's rule; random-label runs with their
-- own patience, epoch limit and minimum epoch count, see M.rule), evaluating at every epoch the losses and
-- accuracies, every rank measure of every layer, spectral norms and gradient ranks, each
-- evaluation appended to the run's history file. Divergence (a NaN/Inf training loss, or a
-- NaN/Inf weight found at the end of an epoch) ends the run with status "diverged at step N".
local rh = require "rankhost"
local space = require "p1_space"

local M = {}

-- The rank measures problem 1 records (rh.rank.measure_names: numerical, relative,
-- effective, stable, energy).
local function pick(all)
  local ranks = {}
  for _, k in ipairs(rh.rank.measure_names) do ranks[k] = all[k] end
  return ranks
end

-- A dataset as rh.train's "function (epoch) -> iterator" data: fit and evaluate accept
-- Lua-table datasets only, and rh.data's datasets are userdata.
local function feed(ds, batch, shuffle, seed)
  return function(epoch) return rh.data.loader(ds, { batch = batch, shuffle = shuffle, seed = seed + epoch }) end
end

-- Everything measured at one evaluation: losses and accuracies, and from one call of
-- rh.rank.network every rank measure of every layer's weight, of its weight gradient on a
-- fixed probe batch (the same samples every epoch, so that changes are the network's, not
-- the batch's) and of its activations on that batch. final = true keeps the spectra.
function M.measure(model, crit, task, final)
  model:evaluate()
  local tr_loss, tr_acc = rh.train.evaluate(model, feed(task.train_eval, 1000, false, 0), { loss = crit, batch = 1000 })
  local te_loss, te_acc = rh.train.evaluate(model, feed(task.test, 1000, false, 0), { loss = crit, batch = 1000 })
  local ev = { train_loss = tr_loss, train_acc = tr_acc, test_loss = te_loss, test_acc = te_acc,
    gap = tr_acc - te_acc, layers = {}, network = {} }
  model:zero_grad()
  local out = model:forward(task.probe_x)
  crit:forward(out, task.probe_y)
  model:backward(task.probe_x, crit:backward(out, task.probe_y))
  local net = rh.rank.network(model, { data = task.probe_x, grads = true })
  model:zero_grad()
  for i, l in ipairs(net.layers) do
    ev.layers[i] = { shape = l.shape, ranks = pick(l), spectral_norm = l.smax, frobenius = l.fro,
      nuclear_norm = l.nuclear, grad_ranks = pick(net.grads.layers[i]),
      activation_ranks = pick(net.activations.layers[i]), spectrum = final and l.svals:totable() or nil }
  end
  for _, m in ipairs(rh.rank.measure_names) do
    ev.network["sum:" .. m] = net.sum[m]
    ev.network["normalized:" .. m] = net.normalized[m]
    ev.network["min:" .. m] = net.min[m]
    ev.network["activation_normalized:" .. m] = net.activations.normalized[m]
  end
  model:train()
  return ev
end

-- The saturation rule a run trains under. Real-label and teacher runs: rh.train.fit's rule
-- with --sat-tol, --sat-patience, --max-epochs. Random-label runs get their own patience,
-- epoch limit and a minimum number of epochs (--random-sat-patience, --random-max-epochs,
-- --random-min-epochs): under the same SGD they first sit for tens of epochs on the ln(10)
-- loss plateau, improving ~0.1% per epoch, and the sweep's rule would stop them there, at
-- chance-level training accuracy, long before they memorise (docs/problem1.md, "Controls").
-- Returns { name, max_epochs, patience, tol, min_epochs }.
function M.rule(o, kind)
  if kind == "random" then
    return { name = "random-labels", max_epochs = o.random_max_epochs, patience = o.random_sat_patience,
      tol = o.sat_tol, min_epochs = math.min(o.random_min_epochs, o.random_max_epochs) }
  end
  return { name = "standard", max_epochs = o.max_epochs, patience = o.sat_patience, tol = o.sat_tol, min_epochs = 0 }
end

-- A rule in words, with its parameters.
function M.rule_words(r)
  return string.format("training stops when the training loss (epoch mean) has improved by less than %g relative to "
    .. "the best so far for %d consecutive epochs%s, or after %d epochs", r.tol, r.patience,
    r.min_epochs > 0 and string.format(", but not before epoch %d", r.min_epochs) or "", r.max_epochs)
end

-- The rule of a run of kind `kind` ("real" by default) in words, as recorded and printed.
function M.rule_text(o, kind)
  local r = M.rule(o, kind or "real")
  return (r.name == "standard" and "rh.train.fit's rule: " or "the random-label rule: ") .. M.rule_words(r)
end

-- The saturation test, fed one epoch-mean loss at a time: true when the run should stop.
-- The same test as rh.train.fit's (a loss counts as an improvement when it is below
-- best - tol * |best|), and it may only stop a run from epoch r.min_epochs on.
function M.saturation(r)
  local best, bad = math.huge, 0
  return function(epoch, loss)
    if loss < best - r.tol * math.abs(best) or best == math.huge then
      best, bad = loss, 0
    else
      bad = bad + 1
    end
    return bad >= r.patience and epoch >= r.min_epochs
  end
end

-- Trains run `run` (from p1_space.plan) with hidden sizes `sizes` on `task` { train,
-- train_eval, test, probe_x, probe_y, dataset } under rh.train.fit, hyper-parameters from
-- `o`. Every epoch's evaluation is appended to history_path; returns the run's record.
-- progress(text) prints a progress line.
function M.train(run, sizes, task, o, history_path, progress)
  local t0 = rh.clock()
  local rule = M.rule(o, run.kind)
  rh.seed(run.run_seed)
  local model = rh.nn.MLP(sizes)
  local crit = rh.nn.CrossEntropyLoss()
  local opt = rh.optim.SGD(model, { lr = o.lr, momentum = o.momentum, weight_decay = o.wd })
  local scheduler = o.plateau_patience > 0
    and rh.optim.ReduceLROnPlateau(opt, { patience = o.plateau_patience, factor = o.plateau_factor }) or nil
  local record = {
    id = run.id, index = run.index, kind = run.kind, teacher_rank = run.teacher_rank, run_seed = run.run_seed,
    sweep_seed = o.seed, dataset = task.dataset, label_noise = run.kind == "random" and o.label_noise or 0,
    architecture = sizes, num_parameters = space.num_parameters(sizes),
    hyper = { lr = o.lr, momentum = o.momentum, weight_decay = o.wd, batch = o.batch, max_epochs = rule.max_epochs,
      sat_patience = rule.patience, sat_tol = rule.tol, min_epochs = rule.min_epochs,
      train_size = task.train:size(), test_size = task.test:size(),
      plateau_patience = o.plateau_patience, plateau_factor = o.plateau_factor },
    rule = rule.name, saturation = M.rule_text(o, run.kind),
  }
  -- a fresh history: a run that was interrupted is trained again from its start
  local history = rh.io.appender(history_path, { append = false })
  local ev, steps, bad_weights = nil, 0, nil -- bad_weights: the step after which a NaN/Inf was found
  -- the rule is applied here rather than by rh.train.fit, which has no minimum epoch count
  local saturated, is_saturated = false, M.saturation(rule)
  local function on_epoch(epoch, rec)
    steps = steps + rec.steps
    -- a NaN/Inf weight with a still finite loss (or one the epoch mean hid) is divergence
    -- too, and the rank measures refuse such matrices: stop before measuring
    for _, p in ipairs((model:parameters())) do
      if not p:all_finite() then bad_weights = steps; return false end
    end
    -- finite but huge weights can still overflow the activations the ranks are taken of
    local okm, m = pcall(M.measure, model, crit, task, false)
    if not okm then
      if not tostring(m):find("NaN") and not tostring(m):find("infinite") then error(m, 0) end
      bad_weights = steps
      return false
    end
    ev = m
    ev.epoch, ev.epoch_loss, ev.epoch_acc, ev.lr, ev.time = epoch, rec.loss, rec.accuracy, rec.lr, rh.clock() - t0
    history:write(rh.json.encode(ev) .. "\n")
    progress(string.format("epoch %d/%d  loss %.4f  train acc %.3f  test acc %.3f  lr %.3g", epoch, rule.max_epochs,
      rec.loss, ev.train_acc, ev.test_acc, rec.lr or o.lr))
    if ev.train_loss ~= ev.train_loss or math.abs(ev.train_loss) == math.huge then return false end
    if is_saturated(epoch, rec.loss) then saturated = true; return false end
  end
  local ok, h = pcall(rh.train.fit, model, feed(task.train, o.batch, true, run.run_seed * 1000), {
    optimizer = opt, loss = crit, batch = o.batch, seed = run.run_seed, max_epochs = rule.max_epochs,
    scheduler = scheduler, callback = on_epoch,
    progress = false })
  history:close()
  record.wall_time = rh.clock() - t0
  if not ok then
    -- rh.train.fit stops on a NaN/Inf loss with "... at step N ..."; anything else is a bug
    local step = tostring(h):match("loss is %a+ at step (%d+)")
    if not step then error(h, 0) end
    record.status, record.epochs, record.steps = "diverged at step " .. step, ev and ev.epoch or 0, tonumber(step)
    return record
  end
  if bad_weights then
    record.status, record.epochs, record.steps = "diverged at step " .. bad_weights, ev and ev.epoch or 0, bad_weights
    record.diverged = "a weight or activation is NaN or infinite after step " .. bad_weights
    return record
  end
  if ev.train_loss ~= ev.train_loss or math.abs(ev.train_loss) == math.huge then
    record.status = "diverged at step " .. h.steps
  else
    record.status = "ok"
  end
  record.epochs, record.steps = #h, h.steps
  record.stopped = saturated and "saturated" or h.stopped == "callback" and "diverged" or h.stopped
  record.saturated = saturated
  if record.status == "ok" then
    -- the convergent rank: the measures at the last epoch, now with the spectra
    local final = M.measure(model, crit, task, true)
    record.final = { train_loss = final.train_loss, train_acc = final.train_acc, test_loss = final.test_loss,
      test_acc = final.test_acc, gap = final.gap }
    record.layers, record.network = final.layers, final.network
  end
  return record
end

return M
