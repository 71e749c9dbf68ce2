-- prune_stats.lua - what a policy sees about each hidden layer: its width, its weight's
-- singular values and rank measures, and the rank of its activations on a data sample.
local rh = require "rankhost"

local M = {}

-- stats[i] = {index, width, neurons, bottleneck, weight, svals, rank, act_rank, act_svals}
--   width      what the policy sets: neurons, or the bottleneck rank of a factored layer
--   weight     the layer's effective weight (out x in, CPU)
--   svals      its singular values, descending (1-D tensor)
--   rank       rh.rank.all(weight): numerical, relative, effective, stable, energy, ...
--   act_rank   numerical rank of the layer's post-ReLU activations on X (N x neurons)
function M.collect(net, X, rank_opts)
  local acts = net:activations(X)
  local stats = {}
  for i, layer in ipairs(net.hidden) do
    local W = net:affine(i):to("cpu")
    local A = acts[i]:to("cpu")
    stats[i] = {
      index = i,
      width = layer.rank or layer.neurons,
      neurons = layer.neurons,
      bottleneck = layer.rank,
      weight = W,
      svals = rh.linalg.svdvals(W),
      rank = rh.rank.all(W, rank_opts),
      act_rank = rh.rank.numerical(A),
      act_svals = rh.linalg.svdvals(A),
    }
  end
  return stats
end

-- A plain-table summary of stats for history files (no tensors).
function M.summary(stats)
  local out = {}
  for i, s in ipairs(stats) do
    local r = {}
    for k, v in pairs(s.rank) do
      if type(v) == "number" then r[k] = v end
    end
    out[i] = { width = s.width, neurons = s.neurons, bottleneck = s.bottleneck, rank = r,
               act_rank = s.act_rank, svals = s.svals:totable() }
  end
  return out
end

return M
