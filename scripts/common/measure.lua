-- measure.lua - the measurement of a trained network, shared by the studies: losses and
-- accuracies, and every rank measure of every layer from the singular values fit computed
-- at its last check (one SVD per layer and no other: rh.rank.network takes them), the
-- activations' and gradients' ranks on a probe batch, and whole-network figures that
-- compare across architectures (docs/problem1.md).
local rh = require "rankhost"

local M = {}

-- Every measure's value of a rank table (rh.rank.all, a layer of rh.rank.network).
function M.pick(r)
  local t = {}
  for _, m in ipairs(rh.rank.measure_names) do t[m] = r[m] end
  return t
end

-- Loss and accuracy on a dataset, evaluated in batches of 1000.
function M.evaluate(model, ds) return rh.train.evaluate(model, ds, { batch = 1000 }) end

-- The measurement of a trained model on task (common/data.lua: train_eval, test, probe_x,
-- probe_y): ranks from `svals` (fit's last check), activation and gradient ranks on the
-- probe batch, losses and accuracies. Returns final (losses, accuracies, gap), layers (per
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
  local layers, network = {}, {}
  local nl = #net.layers
  for i, l in ipairs(net.layers) do
    layers[i] = { shape = l.shape, ranks = pick(l), spectral_norm = l.smax, frobenius = l.fro, nuclear_norm = l.nuclear,
      grad_ranks = pick(net.grads.layers[i]), activation_ranks = pick(net.activations.layers[i]),
      spectrum = l.svals:totable() }
  end
  for _, m in ipairs(rh.rank.measure_names) do
    network["sum:" .. m] = net.sum[m]
    network["normalized:" .. m] = net.normalized[m]
    network["min:" .. m] = net.min[m]
    network["activation_normalized:" .. m] = net.activations.normalized[m]
    network["classifier:" .. m] = net.layers[nl][m]
    local b = math.huge
    for i = 1, nl - 1 do b = math.min(b, net.layers[i][m]) end
    network["bottleneck:" .. m] = nl > 1 and b or nil
    network["last_hidden:" .. m] = nl > 1 and net.activations.layers[nl - 1][m] or nil
  end
  return { train_loss = tr_loss, train_acc = tr_acc, test_loss = te_loss, test_acc = te_acc, gap = tr_acc - te_acc },
    layers, network
end

return M
