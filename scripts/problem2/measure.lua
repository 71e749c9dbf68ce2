-- measure.lua - what a policy sees about each hidden layer of the network just trained: its
-- width and every rank measure, all from the singular values rh.train.fit computed at its
-- last rank check. No SVD is run here: rh.rank.all takes singular values.
local rh = require "rankhost"

local M = {}

-- stats[i] = {index, width, neurons, bottleneck, shape, svals, rank} of hidden layer i:
--   width      what the policy sets: neurons, or the bottleneck rank of a factored layer
--   shape      {out, in} of the layer's (effective) weight
--   svals      its singular values, descending (1-D CPU tensor)
--   rank       rh.rank.all(svals): numerical, relative, effective, stable, energy (at --tau,
--              relative at --tol), and smax, fro, ...
-- layers = {{neurons=, bottleneck=}, ...} (iteration lines keep them), svals and shapes
-- per linear layer (hidden layers first; the output layer's last entry is not a policy's).
function M.stats(layers, svals, shapes, o)
  local stats = {}
  for i, layer in ipairs(layers) do
    local s = svals[i]
    if type(s) == "table" then s = rh.tensor(s) end
    local shape = { math.tointeger(shapes[i][1]), math.tointeger(shapes[i][2]) }
    stats[i] = {
      index = i, width = layer.bottleneck or layer.neurons, neurons = layer.neurons, bottleneck = layer.bottleneck,
      shape = shape, svals = s, rank = rh.rank.all(s, { shape = shape, energy_tau = o.tau, relative_tol = o.tol }),
    }
  end
  return stats
end

-- The hidden layers of a Net as iteration lines keep them.
function M.layers(net)
  local out = {}
  for i, layer in ipairs(net.hidden) do out[i] = { neurons = layer.neurons, bottleneck = layer.rank } end
  return out
end

-- Every measure of every layer (output layer included) as plain numbers, for results files.
function M.ranks(svals, shapes, o)
  local out = {}
  for i, s in ipairs(svals) do
    local r = rh.rank.all(s, { shape = shapes[i], energy_tau = o.tau, relative_tol = o.tol })
    local t = {}
    for _, m in ipairs(rh.rank.measure_names) do t[m] = r[m] end
    out[i] = t
  end
  return out
end

-- Singular values as lists (JSON), and back.
function M.lists(svals)
  local out = {}
  for i, s in ipairs(svals) do out[i] = s:totable() end
  return out
end

return M
