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

-- A rank measure as figure titles name it, with its parameter: "energy rank (tau 0.99)",
-- "relative rank (tol 0.001)". The parameter is o.tau / o.tol where a study sets them
-- (problem 2's --tau, --tol), else rh.rank's default (problem 1 measures at the defaults).
M.PARAMETER = { energy = { key = "tau", default = 0.99 }, relative = { key = "tol", default = 1e-3 } }
function M.describe(m, o)
  local p = M.PARAMETER[m]
  if not p then return m .. " rank" end
  return string.format("%s rank (%s %g)", m, p.key, (o and o[p.key]) or p.default)
end

-- Loss and accuracy on a dataset, evaluated in batches of 1000.
function M.evaluate(model, ds) return rh.train.evaluate(model, ds, { batch = 1000 }) end

-- ---- the network figures, declared once ----
--
-- A whole-network figure under measure m (docs/problem1.md): name, doc, what it is read from
-- (`weights`: rh.rank.network's result net; `activations`: net.activations, on the probe
-- batch; `layers`: a run record's per-layer ranks), value(net, m) (nil where the network has
-- no such part), and in `tables` its position in each table that lists it:
--   record   a "figure:m" key of a run record's network (summary.csv's columns, in this order)
--   class    equivalence classes may be taken on it (problem 1's --class-figure, its classes
--            under each measure)
--   ladder   compared along the complexity ladder (complexity.csv, the ladder's rho and figures)
--   trend    its Spearman rho with accuracy, gap, parameters and width (problem 1's trends)
-- A figure added here is recorded, listed and compared by every study that reads the tables.
local function hidden_min(layers, m)
  local b = math.huge
  for i = 1, #layers - 1 do b = math.min(b, layers[i][m]) end
  return #layers > 1 and b or nil
end
M.FIGURES = {
  { name = "bottleneck", of = "weights", tables = { record = 1, class = 1, ladder = 1, trend = 2 },
    doc = "the lowest rank of a hidden layer (the classifier layer is left out: its rank is bounded by the number of "
      .. "classes, and Galanti et al. leave it out too)",
    value = function(net, m) return hidden_min(net.layers, m) end },
  { name = "last_hidden", of = "activations", tables = { record = 2, class = 2, ladder = 2, trend = 3 },
    doc = "the rank of the last hidden representation (post-ReLU activations) on a fixed probe batch",
    value = function(net, m) local a = net.activations.layers; return #a > 1 and a[#a - 1][m] or nil end },
  { name = "classifier", of = "weights", tables = { record = 3, trend = 4 },
    doc = "the classifier (last) layer's rank, reported apart",
    value = function(net, m) return net.layers[#net.layers][m] end },
  { name = "normalized", of = "weights", tables = { record = 4, ladder = 4, trend = 1 },
    doc = "the sum of layer ranks over the sum of min(rows, cols)", value = function(net, m) return net.normalized[m] end },
  { name = "sum", of = "weights", tables = { record = 5 }, doc = "the sum of layer ranks",
    value = function(net, m) return net.sum[m] end },
  { name = "min", of = "weights", tables = { record = 6 }, doc = "the lowest layer rank (classifier included)",
    value = function(net, m) return net.min[m] end },
  { name = "activation_normalized", of = "activations", tables = { record = 7 },
    doc = "the normalised sum of the activations' ranks on the probe batch",
    value = function(net, m) return net.activations.normalized[m] end },
  { name = "first_layer", of = "layers", tables = { ladder = 3 }, doc = "the first layer's rank (the complexity ladder)",
    value = function(layers, m) return layers[1] and layers[1].ranks[m] end },
}
M.figure_info = {}
for _, f in ipairs(M.FIGURES) do M.figure_info[f.name] = f end

-- The names of the figures in table t (one of the keys of `tables` above), in its order; read
-- at each call, so that a figure added to M.FIGURES is listed too.
function M.figures(t)
  local list = {}
  for _, f in ipairs(M.FIGURES) do if f.tables[t] then list[#list + 1] = f end end
  table.sort(list, function(a, b) return a.tables[t] < b.tables[t] end)
  local names = {}
  for i, f in ipairs(list) do names[i] = f.name end
  return names
end

-- Figure `name` of run record r under measure m: its "figure:m" key, or read from r.layers.
function M.figure_of(r, name, m)
  local f = M.figure_info[name]
  if f and f.of == "layers" then return r.layers and f.value(r.layers, m) end
  return r.network and r.network[name .. ":" .. m]
end

-- The figures of a network under every measure from rh.rank.network's result `net`, "figure:m"
-- keys: those of the weights only, or (with_activations) those of the activations too.
local function network_figures(net, with_activations)
  local network = {}
  for _, f in ipairs(M.FIGURES) do
    if f.tables.record and (f.of == "weights" or (with_activations and f.of == "activations")) then
      for _, m in ipairs(rh.rank.measure_names) do network[f.name .. ":" .. m] = f.value(net, m) end
    end
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
  return { layers = layers, network = network_figures(net, false) }
end

-- The ranks of run record r's network at initialisation (M.initial's table), and figure f
-- (one of M.FIGURES of the weights) under measure m of it: record.init, written at training
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
  for i, l in ipairs(net.layers) do
    layers[i] = { shape = l.shape, ranks = pick(l), spectral_norm = l.smax, frobenius = l.fro, nuclear_norm = l.nuclear,
      grad_ranks = pick(net.grads.layers[i]), activation_ranks = pick(net.activations.layers[i]),
      spectrum = l.svals:totable() }
  end
  local network = network_figures(net, true)
  -- neural collapse on the probe batch: NC1 of the classifier's input, C = the output width
  local nl = #net.layers
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
