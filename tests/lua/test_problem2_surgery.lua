-- test_problem2_surgery.lua - problem 2's model surgery (scripts/problem2/surgery.lua):
-- keeping neurons by pivoted QR and refitting the next layer by least squares reproduces
-- the network's function when the dropped neurons were redundant; a low-rank factorisation
-- at the weight's rank is exact and below it is the truncated SVD; magnitude pruning keeps
-- the largest rows; widening keeps old neurons and adds small ones. A Net is an rh.nn model
-- whose linear_layers() are the layers a policy sees (a factored layer as one product), so
-- rh.train.fit's rank check measures them.
local T = require "testlib"
local rh = require "rankhost"
if not (rh.nn and rh.linalg and rh.linalg.qr_pivoted and rh.linalg.lstsq) then T.skip("needs rh.nn and rh.linalg") end
local src = os.getenv("RH_SOURCE") or ".."
package.path = src .. "/scripts/?.lua;" .. package.path
local Net = require "problem2.net"
local S = require "problem2.surgery"

rh.seed(7)
local spec = { input = 8, classes = 3, hidden = { { neurons = 12 }, { neurons = 10 } } }
local X = rh.randn(200, 8)

-- first layer: 6 distinct neurons, each present twice (rows 7..12 copy rows 1..6)
local function redundant_net()
  local net = Net.build(spec)
  local W, b = rh.randn(12, 8), rh.randn(1, 12):mul(0.1)
  W:narrow(1, 7, 6):copy(W:narrow(1, 1, 6))
  b:narrow(2, 7, 6):copy(b:narrow(2, 1, 6))
  Net.set_linear(net.hidden[1].lin, W, b)
  return net
end

local function logits(net) local _, y = net:activations(X); return y end

-- pivoted QR keeps one of each duplicate pair; the refit makes up for the dropped copies
local old = redundant_net()
local new = S.next_net(old, { 6, 10 }, "qr", X)
T.eq(new.hidden[1].lin.weight:size(1), 6, "qr: 6 neurons kept")
T.eq(new:num_parameters(), 6 * 8 + 6 + 10 * 6 + 10 + 3 * 10 + 3, "qr: parameter count")
T.tensor_near(logits(new), logits(old), 2e-3, "qr + refit keeps the function")
local keep = S.select_rows(old.hidden[1].lin.weight, 6, "qr")
local seen = {}
for _, i in ipairs(keep) do seen[(i - 1) % 6] = true end
T.eq(#keep, 6, "qr: 6 rows")
T.ok(seen[0] and seen[1] and seen[2] and seen[3] and seen[4] and seen[5], "qr: one row of each duplicate pair")

-- the naive alternative (slice the next layer, no refit) changes the function
local sliced = S.next_net(old, { 6, 10 }, "magnitude", X)
T.ok((logits(sliced) - logits(old)):abs():max() > 1e-2, "slicing without refit changes the function")

-- norm selection keeps the rows of largest norm
local W = rh.tensor { { 1, 0 }, { 0, 5 }, { 3, 0 }, { 0, 0.5 } }
local k = S.select_rows(W, 2, "norm")
T.eq(k[1], 2, "norm: row 2"); T.eq(k[2], 3, "norm: row 3")
T.raises("unknown init method", S.next_net, old, { 6, 10 }, "bogus", X)

-- magnitude pruning keeps those rows' weights and the matching columns of the next layer
local mnet = S.next_net(old, { 12, 4 }, "magnitude", X)
local W2 = old.hidden[2].lin.weight
local rows = S.select_rows(W2, 4, "norm")
T.tensor_near(mnet.hidden[2].lin.weight, W2:index(1, rows), 1e-6, "magnitude: kept rows")
T.tensor_near(mnet.out.weight, old.out.weight:index(2, rows), 1e-6, "magnitude: next layer's columns")

-- low rank: layer 1 of rank 3 factored at rank 3 is exact; at rank 2 it is the truncated SVD
local lr_net = Net.build(spec)
Net.set_linear(lr_net.hidden[1].lin, rh.matmul(rh.randn(12, 3), rh.randn(3, 8)), rh.randn(1, 12))
local f3 = S.next_net(lr_net, { 3, 10 }, "lowrank", X)
T.eq(f3.hidden[1].rank, 3, "lowrank: bottleneck 3"); T.eq(f3.hidden[1].neurons, 12, "lowrank: neurons kept")
T.ok(f3.hidden[2].lin ~= nil, "lowrank: full rank stays a plain Linear")
T.eq(f3:widths()[1], 3, "lowrank: width seen by a policy is the bottleneck")
T.eq(f3:num_parameters(), (3 * 8 + 3) + (12 * 3 + 12) + (10 * 12 + 10) + (3 * 10 + 3), "lowrank: parameters")
T.tensor_near(logits(f3), logits(lr_net), 2e-3, "lowrank at the rank keeps the function")
local f2 = S.next_net(lr_net, { 2, 10 }, "lowrank", X)
local s_old = rh.linalg.svdvals(lr_net.hidden[1].lin.weight):totable()
local s_new = rh.linalg.svdvals((f2:affine(1))):totable()
T.near(s_new[1], s_old[1], 1e-3, "lowrank 2: top singular value"); T.near(s_new[2], s_old[2], 1e-3, "lowrank 2: second")
T.ok(s_new[3] < 1e-3 * s_old[1], "lowrank 2: rank 2")
-- a factored network is again a valid starting point (checkpoint round trip included)
local back = Net.from_tensors(f2.spec, f2:tensors())
T.tensor_near(logits(back), logits(f2), 1e-6, "tensors()/from_tensors round trip")
T.tensor_near(logits(S.next_net(f2, { 12, 10 }, "qr", X)), logits(f2), 5e-3, "qr from a factored net")

-- widening: kept neurons keep their weights, new ones start small
local wide = S.next_net(old, { 14, 10 }, "magnitude", X)
T.eq(wide.hidden[1].lin.weight:size(1), 14, "widen: 14 neurons")
T.tensor_near(wide.hidden[1].lin.weight:narrow(1, 1, 12), old.hidden[1].lin.weight, 1e-6, "widen: old rows kept")
local new_rows = wide.hidden[1].lin.weight:narrow(1, 13, 2)
T.ok(new_rows:abs():max() < 0.1 * old.hidden[1].lin.weight:abs():max(), "widen: new rows small")
T.ok(new_rows:abs():max() > 0, "widen: new rows not zero")
T.tensor_near(logits(wide), logits(old), 5e-2, "widen: function nearly unchanged")
local wq = S.next_net(old, { 14, 12 }, "qr", X)
T.tensor_near(logits(wq), logits(old), 5e-3, "widen with qr + refit")

-- the model protocol: fit and evaluate take a Net; a factored layer is measured as one map
local layers = f2:linear_layers()
T.eq(#layers, 3, "linear_layers: one per hidden layer, and the output layer")
T.tensor_near(rh.linalg.svdvals(layers[1].weight), rh.linalg.svdvals((f2:affine(1))), 1e-5,
  "a factored layer's weight is the product up * down")
T.ok(layers[2] == f2.hidden[2].lin and layers[3] == f2.out, "plain layers are the Linears themselves")
local data = { x = X, y = rh.tensor((function() local y = {} for i = 1, 200 do y[i] = (i % 3) + 1 end return y end)()) }
local h = rh.train.fit(f2, data, { lr = 0.05, max_epochs = 2, progress = false,
  rank_converged = { measure = "energy", every = 1, patience = 2 } })
T.eq(#h.svals, 3, "fit's rank check: one spectrum per layer a policy sees")
T.ok(h.ranks[1] <= 2, "the factored layer's rank is at most its bottleneck")
local _, acc = rh.train.evaluate(f2, data)
T.ok(acc >= 0 and acc <= 1 and f2.training, "evaluate takes a Net and leaves it training")

T.done()
