-- p1_train.lua - problem 1's training of one network: SGD with weight decay under
-- rh.train.fit until the training loss saturates (fit's rule), evaluating at every epoch the losses and
-- accuracies, every rank measure of every layer, spectral norms and gradient ranks, each
-- evaluation appended to the run's history file. Divergence (a NaN/Inf loss) ends the run
-- with status "diverged at step N".
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

-- The saturation rule of rh.train.fit, in words, with its parameters.
function M.rule_text(o)
  return string.format("rh.train.fit's rule: training stops when the training loss (epoch mean) has improved by "
    .. "less than %g relative to the best so far for %d consecutive epochs, or after %d epochs",
    o.sat_tol, o.sat_patience, o.max_epochs)
end

-- Trains run `run` (from p1_space.plan) with hidden sizes `sizes` on `task` { train,
-- train_eval, test, probe_x, probe_y, dataset } under rh.train.fit, hyper-parameters from
-- `o`. Every epoch's evaluation is appended to history_path; returns the run's record.
-- progress(text) prints a progress line.
function M.train(run, sizes, task, o, history_path, progress)
  local t0 = rh.clock()
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
    hyper = { lr = o.lr, momentum = o.momentum, weight_decay = o.wd, batch = o.batch, max_epochs = o.max_epochs,
      train_size = task.train:size(), test_size = task.test:size(),
      plateau_patience = o.plateau_patience, plateau_factor = o.plateau_factor },
    saturation = M.rule_text(o),
  }
  -- a fresh history: a run that was interrupted is trained again from its start
  local history = rh.io.appender(history_path, { append = false })
  local ev
  local function on_epoch(epoch, rec)
    ev = M.measure(model, crit, task, false)
    ev.epoch, ev.epoch_loss, ev.epoch_acc, ev.lr, ev.time = epoch, rec.loss, rec.accuracy, rec.lr, rh.clock() - t0
    history:write(rh.json.encode(ev) .. "\n")
    progress(string.format("epoch %d/%d  loss %.4f  train acc %.3f  test acc %.3f  lr %.3g", epoch, o.max_epochs,
      rec.loss, ev.train_acc, ev.test_acc, rec.lr or o.lr))
    if ev.train_loss ~= ev.train_loss or math.abs(ev.train_loss) == math.huge then return false end
  end
  local ok, h = pcall(rh.train.fit, model, feed(task.train, o.batch, true, run.run_seed * 1000), {
    optimizer = opt, loss = crit, batch = o.batch, seed = run.run_seed, max_epochs = o.max_epochs,
    patience = o.sat_patience, threshold = o.sat_tol, scheduler = scheduler, callback = on_epoch,
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
  if ev.train_loss ~= ev.train_loss or math.abs(ev.train_loss) == math.huge then
    record.status = "diverged at step " .. h.steps
  else
    record.status = "ok"
  end
  record.epochs, record.steps, record.stopped, record.saturated = #h, h.steps, h.stopped, h.stopped == "saturated"
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
