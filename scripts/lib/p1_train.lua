-- p1_train.lua - problem 1's training of one network: SGD with weight decay until the
-- training loss saturates (rh.train's rule), evaluating at every epoch the losses and
-- accuracies, every rank measure of every layer, spectral norms and gradient ranks, each
-- evaluation appended to the run's history file. Divergence (a NaN/Inf loss) ends the run
-- with status "diverged at step N".
local rh = require "rankhost"
local runlog = require "runlog"
local space = require "p1_space"

local M = {}

local function finite(x) return x == x and x ~= math.huge and x ~= -math.huge end

-- The rank measures problem 1 records (rh.rank.measure_names: numerical, relative,
-- effective, stable, energy).
local function pick(all)
  local ranks = {}
  for _, k in ipairs(rh.rank.measure_names) do ranks[k] = all[k] end
  return ranks
end

-- Everything measured at one evaluation: losses and accuracies, and from one call of
-- rh.rank.network every rank measure of every layer's weight, of its weight gradient on a
-- fixed probe batch (the same samples every epoch, so that changes are the network's, not
-- the batch's) and of its activations on that batch. final = true keeps the spectra.
function M.measure(model, crit, task, final)
  model:evaluate()
  local tr_loss, tr_acc = rh.train.evaluate(model, task.train_eval, { criterion = crit, batch = 1000 })
  local te_loss, te_acc = rh.train.evaluate(model, task.test, { criterion = crit, batch = 1000 })
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

-- Trains run `run` (from p1_space.plan) on `task` { train, train_eval, test, probe_x,
-- probe_y, dim, classes, dataset } with hyper-parameters `o`. Appends every evaluation to
-- history_path and returns the run's record. progress(text) prints a progress line.
function M.train(run, sizes, task, o, history_path, progress)
  local t0 = rh.clock()
  rh.seed(run.run_seed)
  local model = rh.nn.MLP(sizes)
  local crit = rh.nn.CrossEntropyLoss()
  local opt = rh.optim.SGD(model, { lr = o.lr, momentum = o.momentum, weight_decay = o.wd })
  local rule = rh.train.Saturation(o.saturation)
  local plateau = o.plateau_patience > 0
    and rh.optim.ReduceLROnPlateau(opt, { patience = o.plateau_patience, factor = o.plateau_factor })
  -- a fresh history: a run that was interrupted is trained again from the start
  os.remove(history_path)
  local record = {
    id = run.id, index = run.index, kind = run.kind, teacher_rank = run.teacher_rank, run_seed = run.run_seed,
    sweep_seed = o.seed, dataset = task.dataset, label_noise = run.kind == "random" and o.label_noise or 0,
    architecture = sizes, num_parameters = space.num_parameters(sizes),
    hyper = { lr = o.lr, momentum = o.momentum, weight_decay = o.wd, batch = o.batch, max_epochs = o.max_epochs,
      train_size = task.train:size(), test_size = task.test:size(),
      plateau_patience = o.plateau_patience, plateau_factor = o.plateau_factor },
    saturation = rule:describe(),
  }
  local step, status, ev, epoch = 0, "ok", nil, 0
  local saturated = false
  while epoch < o.max_epochs and not saturated do
    epoch = epoch + 1
    local sum, count = 0, 0
    for X, Y in rh.data.loader(task.train, { batch = o.batch, shuffle = true, seed = run.run_seed * 1000 + epoch }) do
      step = step + 1
      opt:zero_grad()
      local out = model:forward(X)
      local loss = crit:forward(out, Y)
      if not finite(loss) then status = "diverged at step " .. step; break end
      model:backward(X, crit:backward(out, Y))
      opt:step()
      sum, count = sum + loss, count + 1
    end
    if status ~= "ok" then break end
    local epoch_loss = sum / count
    saturated = rule:update(epoch_loss)
    local final = saturated or epoch == o.max_epochs
    ev = M.measure(model, crit, task, final)
    if not finite(ev.train_loss) then status = "diverged at step " .. step; break end
    ev.epoch, ev.step, ev.epoch_loss, ev.lr = epoch, step, epoch_loss, opt.groups[1].lr
    ev.time = rh.clock() - t0
    runlog.append(history_path, ev)
    if plateau then plateau:step(epoch_loss) end
    progress(string.format("epoch %d/%d  loss %.4f  train acc %.3f  test acc %.3f", epoch, o.max_epochs,
      epoch_loss, ev.train_acc, ev.test_acc))
  end
  record.epochs, record.steps, record.status, record.saturated = epoch, step, status, saturated
  record.wall_time = rh.clock() - t0
  if status == "ok" and ev then
    record.final = { train_loss = ev.train_loss, train_acc = ev.train_acc, test_loss = ev.test_loss,
      test_acc = ev.test_acc, gap = ev.gap }
    record.layers = ev.layers
    record.network = ev.network
  end
  return record
end

return M
