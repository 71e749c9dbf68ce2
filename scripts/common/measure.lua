-- measure.lua - the measurement of a trained network, shared by the studies: losses and
-- accuracies, and every rank measure of every layer from the singular values fit computed
-- at its last check (one SVD per layer and no other: rh.rank.network takes them), the
-- activations' and gradients' ranks on a probe batch, and whole-network figures that
-- compare across architectures (docs/problem1.md).
local rh = require "rankhost"
local collapse = require "common.collapse"

local M = {}

-- Every measure's value of a rank table (rh.rank.all, a layer of rh.rank.network).
function M.pick(r)
  local t = {}
  for _, m in ipairs(rh.rank.measure_names) do t[m] = r[m] end
  return t
end

-- Loss and accuracy on a dataset, evaluated in batches of 1000.
function M.evaluate(model, ds) return rh.train.evaluate(model, ds, { batch = 1000 }) end

-- The figures of the weights (per measure m) from rh.rank.network's result `net`: sum:m,
-- normalized:m, min:m, classifier:m, bottleneck:m (all whole-network figures but the
-- activations' ones).
M.WEIGHT_FIGURES = { "bottleneck", "classifier", "normalized", "sum", "min" }
local function weight_figures(net)
  local network = {}
  local nl = #net.layers
  for _, m in ipairs(rh.rank.measure_names) do
    network["sum:" .. m] = net.sum[m]
    network["normalized:" .. m] = net.normalized[m]
    network["min:" .. m] = net.min[m]
    network["classifier:" .. m] = net.layers[nl][m]
    local b = math.huge
    for i = 1, nl - 1 do b = math.min(b, net.layers[i][m]) end
    network["bottleneck:" .. m] = nl > 1 and b or nil
  end
  return network
end

-- The ranks of a model before its first step (a run record's `init`): every measure of
-- every layer and the weight figures, from one SVD per layer, by the same measures and code
-- as the end-of-run figures of M.model: { layers = { { ranks = { m = r } }, ... }, network =
-- { ["normalized:m"] = x, ... } }. It draws no random numbers, so training is not changed.
function M.initial(model)
  local net = rh.rank.network(model)
  local layers = {}
  for i, l in ipairs(net.layers) do layers[i] = { ranks = M.pick(l) } end
  return { layers = layers, network = weight_figures(net) }
end

-- The ranks of run record r's network at initialisation (M.initial's table), and figure f
-- (one of M.WEIGHT_FIGURES) under measure m of it: record.init, written at training
-- (problem 1 and lowrank_bias.lua). A record written before that field existed (a study
-- continued from an older version) has its network rebuilt as its training built it,
-- rh.seed(run_seed) then rh.nn.MLP(architecture), once per record; this reseeds the global
-- generator, so call it only after training.
local rebuilt = setmetatable({}, { __mode = "k" })
function M.init_of(r)
  local init = r.init or rebuilt[r]
  if not init and r.run_seed and r.architecture then
    rh.seed(r.run_seed)
    init = M.initial(rh.nn.MLP(r.architecture))
    rebuilt[r] = init
  end
  return init
end

function M.at_init(r, f, m)
  local init = M.init_of(r)
  return init and init.network[f .. ":" .. m]
end

-- The measurement of a trained model on task (common/data.lua: train_eval, test, probe_x,
-- probe_y): ranks from `svals` (fit's last check), activation and gradient ranks on the
-- probe batch, NC1 of the last hidden representation on the probe batch (common/collapse.lua),
-- losses and accuracies. Returns final (losses, accuracies, gap, nc1), layers (per
-- layer: shape, ranks, norms, grad_ranks, activation_ranks, spectrum) and network (the
-- whole-network figures, "figure:measure" keys).
function M.model(model, task, svals)
  local pick, evaluate = M.pick, M.evaluate
  local crit = rh.nn.CrossEntropyLoss()
  local tr_loss, tr_acc = evaluate(model, task.train_eval)
  local te_loss, te_acc = evaluate(model, task.test)
  model:zero_grad()
  local out = model:forward(task.probe_x)
  crit:forward(out, task.probe_y)
  model:backward(task.probe_x, crit:backward(out, task.probe_y))
  local net = rh.rank.network(model, { svals = svals, data = task.probe_x, grads = true })
  model:zero_grad()
  local layers = {}
  local nl = #net.layers
  for i, l in ipairs(net.layers) do
    layers[i] = { shape = l.shape, ranks = pick(l), spectral_norm = l.smax, frobenius = l.fro, nuclear_norm = l.nuclear,
      grad_ranks = pick(net.grads.layers[i]), activation_ranks = pick(net.activations.layers[i]),
      spectrum = l.svals:totable() }
  end
  local network = weight_figures(net)
  for _, m in ipairs(rh.rank.measure_names) do
    network["activation_normalized:" .. m] = net.activations.normalized[m]
    network["last_hidden:" .. m] = nl > 1 and net.activations.layers[nl - 1][m] or nil
  end
  -- neural collapse on the probe batch: NC1 of the classifier's input, C = the output width
  local nc1
  local hidden = nl > 1 and collapse.last_hidden(model, task.probe_x)
  if hidden then
    local ok, v = pcall(collapse.nc1, hidden, task.probe_y, net.layers[nl].shape[1])
    nc1 = ok and v or nil -- a representation SVD cannot take (not finite) has no NC1
  end
  return { train_loss = tr_loss, train_acc = tr_acc, test_loss = te_loss, test_acc = te_acc, gap = tr_acc - te_acc,
    nc1 = nc1 }, layers, network
end

return M
