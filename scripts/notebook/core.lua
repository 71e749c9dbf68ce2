-- core.lua - the notebook's semantics, one function a step, so that tests/lua/test_notebook.lua
-- checks each against the notebook on a tiny case (docs/notebook.md lists them):
--   sizes / build      Linear(784->h_0), n_layers Linear(h_i->h_i+1), Linear(h_last->10), ReLU between
--   optimizer          Adam (or SGD) in two parameter groups: all layers but the last, the last
--   scheduler          ReduceLROnPlateau(threshold=1e-2, mode 'rel'), stepped on the last batch's loss
--   epoch              one shuffled pass per batch size (64 then 128), cross-entropy
--   is_check           after epochs 1, 4, 7, ... (`epoch % 3 == 0` over Python's range)
--   measure            per layer: rank of W and of its gradient, spectral norm; test accuracy
--   evolve             every network >= 0.9 accurate and none improved by more than 0.01
--   next_widths        the last measured ranks of all layers but the classifier
local rh = require "rankhost"
local nn, optim = rh.nn, rh.optim

local M = {}

-- The layer sizes of a network of hidden widths w (n_layers + 1 of them): {784, w..., 10}.
function M.sizes(inputs, widths, classes)
  local s = { inputs }
  for _, w in ipairs(widths) do s[#s + 1] = w end
  s[#s + 1] = classes
  return s
end

-- The first meta-iteration's hidden widths of the network with n_layers: n_layers + 1 of `width`.
function M.initial_widths(n_layers, width)
  local w = {}
  for i = 1, n_layers + 1 do w[i] = width end
  return w
end

-- The network (PyTorch's default Linear initialisation, ReLU after every layer but the last).
function M.build(inputs, widths, classes) return nn.MLP(M.sizes(inputs, widths, classes)) end

-- The weight decay of the two groups under o: the notebook has 0 in both; --weight-decay W
-- gives every layer W, or with --decay-last-only only the last group (the optimizer's default).
function M.decays(o)
  local wd = o.weight_decay or 0
  if o.decay_last_only then return 0, wd end
  return wd, wd
end

-- The optimizer in the notebook's two groups: {all layers but the last, weight_decay = 0},
-- {the last layer} with the optimizer's default weight decay.
function M.optimizer(model, o)
  local layers = model:linear_layers()
  local ps, gs = {}, {}
  for i = 1, #layers - 1 do
    local l = layers[i]
    ps[#ps + 1], gs[#gs + 1] = l.weight, l.grad_weight
    ps[#ps + 1], gs[#gs + 1] = l.bias, l.grad_bias
  end
  local hidden_wd, last_wd = M.decays(o)
  local groups = { { params = ps, grads = gs, weight_decay = hidden_wd }, { params = layers[#layers] } }
  if o.optimizer == "sgd" then
    return optim.SGD(groups, { lr = o.lr, momentum = o.momentum or 0, weight_decay = last_wd })
  end
  return optim.Adam(groups, { lr = o.lr, weight_decay = last_wd })
end

-- ReduceLROnPlateau(optimizer, threshold=1e-2): PyTorch's defaults otherwise (mode 'min',
-- factor 0.1, patience 10, threshold_mode 'rel', cooldown 0, min_lr 0, eps 1e-8); nil when off.
function M.scheduler(opt, o)
  if o.plateau == false then return nil end
  return optim.ReduceLROnPlateau(opt, { threshold = o.plateau_threshold or 1e-2 })
end

-- One epoch: for each batch size in o.batches a pass over the shuffled training set
-- (the last batch smaller: drop_last False). Returns {last_loss (of the epoch's last
-- batch), mean_loss (over every step), steps, passes = {{batch, steps, last_loss}}}.
-- seed: the epoch's shuffling seed (pass p shuffles with seed + p - 1).
function M.epoch(model, opt, crit, train, batches, seed)
  local sum, steps, last = 0, 0, nil
  local passes = {}
  for p, b in ipairs(batches) do
    local n = 0
    for X, Y in rh.data.loader(train, { batch = b, shuffle = true, seed = seed + p - 1 }) do
      opt:zero_grad()
      local y = model:forward(X)
      last = crit:forward(y, Y)
      model:backward(X, crit:backward(y, Y), true)
      opt:step()
      sum, steps, n = sum + last, steps + 1, n + 1
    end
    passes[p] = { batch = b, steps = n, last_loss = last }
  end
  return { last_loss = last, mean_loss = sum / steps, steps = steps, passes = passes }
end

-- Python's `for epoch in range(num_epochs): ... if epoch % every == 0:` in 1-based epochs.
function M.is_check(epoch, every) return (epoch - 1) % every == 0 end

-- The rank of a matrix's singular values s (shape {m, n}) under `measure` with tolerance tol
-- (< 0 or nil: the measure's default). Numerical: numpy.linalg.matrix_rank's default.
function M.rank_of(s, shape, measure, tol)
  local opts = { shape = shape }
  if tol and tol >= 0 then
    if measure == "numerical" then opts.tol = tol
    elseif measure == "relative" then opts.relative_tol = tol
    elseif measure == "energy" then opts.energy_tau = tol end
  end
  local r = rh.rank.all(s, opts)
  return r[measure], r.numerical
end

local function svals_of(t)
  local s = rh.linalg.svdvals(t)
  if s:device() ~= "cpu" then s = s:to("cpu") end
  return s
end

-- The notebook's check of one network: per layer the rank of its weight and of its weight's
-- gradient (the last batch's, as PyTorch's .grad holds it) under `measure`, both numerical
-- ranks besides, the spectral norm (s_1); the accuracy and loss on `eval_set`; the printed
-- figure sum(ranks) / (sum(widths) + 10). One SVD per matrix.
function M.measure(model, eval_set, measure, tol)
  local layers = model:linear_layers()
  local r = { ranks = {}, numerical = {}, grad_ranks = {}, grad_numerical = {}, norms = {} }
  local rank_sum, width_sum = 0, 0
  for i, l in ipairs(layers) do
    local shape = l.weight:shape()
    local s = svals_of(l.weight)
    r.ranks[i], r.numerical[i] = M.rank_of(s, shape, measure, tol)
    r.norms[i] = s[1]
    r.grad_ranks[i], r.grad_numerical[i] = M.rank_of(svals_of(l.grad_weight), shape, measure, tol)
    rank_sum, width_sum = rank_sum + r.ranks[i], width_sum + shape[1]
  end
  r.figure = rank_sum / width_sum  -- widths of every layer's output: sum(hidden widths) + 10
  r.loss, r.accuracy = rh.train.evaluate(model, eval_set)
  return r
end

-- The ranks of a network's weights as initialised (the control: what a layer's rank is before
-- any training), under `measure` and numpy's numerical rank; and each layer's full rank min(m, n).
function M.init_ranks(model, measure, tol)
  local r = { ranks = {}, numerical = {}, full = {} }
  for i, l in ipairs(model:linear_layers()) do
    local shape = l.weight:shape()
    r.ranks[i], r.numerical[i] = M.rank_of(svals_of(l.weight), shape, measure, tol)
    r.full[i] = math.min(shape[1], shape[2])
  end
  return r
end

-- The evolve rule over the networks' accuracies now (acc) and at the last check (prev, nil
-- at the first check): every one >= acc_min and none improved by more than delta.
function M.evolve(acc, prev, acc_min, delta)
  if not prev then return false end
  for i, a in ipairs(acc) do
    if a < acc_min then return false end
    if a - prev[i] > delta then return false end
  end
  return true
end

-- The next meta-iteration's hidden widths: the ranks of every layer but the classifier
-- (a real-valued measure rounded up; at least 1, where the notebook would have built a
-- layer of width 0 and failed).
function M.next_widths(ranks)
  local w = {}
  for i = 1, #ranks - 1 do w[i] = math.max(1, math.ceil(ranks[i] - 1e-9)) end
  return w
end

local function same(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do if a[i] ~= b[i] then return false end end
  return true
end
M.same = same

-- One meta-iteration: every network of `widths` (a list per depth) trained together for at
-- most o.epochs epochs, each measured every o.check_every epochs, until the evolve rule holds.
-- data = {train, eval (the set the rule reads), test, inputs, classes}; hooks.epoch(d, rec)
-- is called after every network's epoch (rec: that epoch's record, with the check's fields on
-- check epochs; plateau_best and plateau_bad: the scheduler's state after its step). Returns per
-- depth {widths, next_widths, last (check), init (init_ranks), check_epoch, epochs, last_loss, seconds, lr, model} and
-- whether it evolved, and at which epoch.
function M.meta_iteration(meta, widths, data, o, hooks)
  local nets = {}
  for d, w in ipairs(widths) do
    rh.seed(o.seed * 100003 + meta * 101 + d)
    local model = M.build(data.inputs, w, data.classes)
    if o.device and o.device ~= "" then model:to(o.device) end
    local opt = M.optimizer(model, o)
    nets[d] = { model = model, opt = opt, sched = M.scheduler(opt, o), crit = nn.CrossEntropyLoss(), widths = w,
      seconds = 0, init = M.init_ranks(model, o.measure, o.tol) }
  end
  local prev, evolved_at, epoch = nil, nil, 0
  while epoch < o.epochs do
    epoch = epoch + 1
    local check = M.is_check(epoch, o.check_every)
    local acc = {}
    for d, net in ipairs(nets) do
      local t0 = rh.clock()
      local e = M.epoch(net.model, net.opt, net.crit, data.train, o.batches, o.seed * 7919 + meta * 997 + d * 131 + epoch * 7)
      if net.sched then net.sched:step(e.last_loss) end
      net.seconds = net.seconds + rh.clock() - t0
      net.last_loss = e.last_loss
      local rec = { meta = meta, depth = d, epoch = epoch, widths = net.widths, last_loss = e.last_loss,
        mean_loss = e.mean_loss, steps = e.steps, lr = net.opt.groups[1].lr, train_seconds = net.seconds }
      if net.sched then rec.plateau_best, rec.plateau_bad = net.sched.best, net.sched.num_bad_epochs end
      if check then
        local t1 = rh.clock()
        local c = M.measure(net.model, data.eval, o.measure, o.tol)
        if data.test ~= data.eval then c.test_loss, c.test_accuracy = rh.train.evaluate(net.model, data.test)
        else c.test_loss, c.test_accuracy = c.loss, c.accuracy end
        net.seconds = net.seconds + rh.clock() - t1
        net.last = c
        net.last_epoch = epoch
        rec.check = true
        for k, v in pairs(c) do rec[k] = v end
        acc[d] = c.accuracy
      end
      if hooks and hooks.epoch then hooks.epoch(d, rec) end
    end
    if check then
      local ev = M.evolve(acc, prev, o.evolve_acc, o.evolve_delta)
      prev = acc
      if ev then evolved_at = epoch; break end
    end
  end
  local out = {}
  for d, net in ipairs(nets) do
    out[d] = { widths = net.widths, next_widths = M.next_widths(net.last.ranks), last = net.last,
      check_epoch = net.last_epoch, epochs = epoch, last_loss = net.last_loss, seconds = net.seconds, lr = net.opt.groups[1].lr,
      parameters = net.model:num_parameters(), init = net.init, model = net.model }
  end
  return out, evolved_at
end

return M
