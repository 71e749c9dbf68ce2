-- test_rank.lua - rh.linalg and rh.rank against matrices with designed singular values
-- (W = U diag(s) V^T, U and V orthonormal from QR of random matrices) and hand-computed cases.
local T = require "testlib"
rh.seed(5)

-- an m x k matrix with orthonormal columns
local function orth(m, k) local Q = rh.linalg.qr_pivoted(rh.randn(m, k)); return Q end

local function designed(m, n, s)
  local k = math.min(m, n)
  local full = {}
  for i = 1, k do full[i] = s[i] or 0 end
  local U, V = orth(m, k), orth(n, k)
  return rh.matmul(U * rh.tensor(full), V:t()), full
end

local function entropy_rank(s)
  local sum, h = 0, 0
  for _, v in ipairs(s) do sum = sum + v end
  for _, v in ipairs(s) do if v > 0 then h = h - (v / sum) * math.log(v / sum) end end
  return math.exp(h)
end

-- ---- designed singular values: tall, wide, rank deficient ----
local s = { 10, 8, 5, 3, 1, 0.5, 0.1 } -- then zeros
local sumsq = 0
for _, v in ipairs(s) do sumsq = sumsq + v * v end
for _, shape in ipairs { { 30, 20 }, { 20, 30 }, { 12, 12 } } do
  local m, n = shape[1], shape[2]
  local tag = m .. "x" .. n
  local W, full = designed(m, n, s)
  local sv = rh.linalg.svdvals(W)
  T.eq(sv:size(1), math.min(m, n), tag .. " svdvals length")
  T.tensor_near(sv, full, 2e-5, tag .. " svdvals = designed s")
  T.eq(rh.rank.numerical(W), 7, tag .. " numerical rank (numpy tol)")
  T.eq(rh.rank.numerical(W, { tol = 0.2 }), 6, tag .. " numerical rank tol=0.2")
  T.eq(rh.rank.numerical(W, 0.2), 6, tag .. " numerical rank, bare tol")
  T.eq(rh.rank.numerical(W, { rtol = 0.06 }), 5, tag .. " numerical rank rtol=0.06")
  T.eq(rh.rank.relative(W), 7, tag .. " relative rank 1e-3")
  T.eq(rh.rank.relative(W, 0.01), 6, tag .. " relative rank 1e-2") -- 0.1/||W||_F = 0.0071
  T.near(rh.rank.effective(W), entropy_rank(s), 1e-4, tag .. " effective rank")
  T.near(rh.rank.stable(W), sumsq / 100, 1e-4, tag .. " stable rank")
  T.eq(rh.rank.energy(W), 4, tag .. " energy rank 0.99") -- 198/199.26 >= .99, 189/199.26 < .99
  T.eq(rh.rank.energy(W, 0.5), 1, tag .. " energy rank 0.5")
  T.eq(rh.rank.energy(W, { tau = 0.9 }), 3, tag .. " energy rank 0.9")
  local a = rh.rank.all(W, { relative_tol = 0.01, energy_tau = 0.5 })
  T.eq(a.numerical, 7, tag .. " all.numerical")
  T.eq(a.relative, 6, tag .. " all.relative")
  T.eq(a.energy, 1, tag .. " all.energy")
  T.near(a.effective, entropy_rank(s), 1e-4, tag .. " all.effective")
  T.near(a.stable, sumsq / 100, 1e-4, tag .. " all.stable")
  T.eq(a.shape[1], m, tag .. " all.shape")
  T.eq(a.shape[2], n, tag .. " all.shape")
  T.near(a.tol, 10 * math.max(m, n) * 1.1920929e-07, 1e-4, tag .. " all.tol is numpy's")
  T.near(a.rtol, math.max(m, n) * 1.1920929e-07, 1e-6, tag .. " all.rtol")
  T.eq(a.relative_tol, 0.01, tag .. " all.relative_tol")
  T.eq(a.energy_tau, 0.5, tag .. " all.energy_tau")
  T.tensor_near(a.svals, full, 2e-5, tag .. " all.svals")
  -- the 1-D singular-value forms give the same answers
  T.eq(rh.rank.numerical(sv, { shape = { m, n } }), 7, tag .. " numerical from svals")
  T.near(rh.rank.effective(sv), a.effective, 1e-9, tag .. " effective from svals")
  T.eq(rh.rank.all(sv, { shape = { m, n } }).tol, a.tol, tag .. " svals form uses the given shape")

  -- thin SVD reconstructs W, with orthonormal U and V
  local U, S, Vt = rh.linalg.svd(W)
  local k = math.min(m, n)
  T.eq(U:size(1), m); T.eq(U:size(2), k); T.eq(Vt:size(1), k); T.eq(Vt:size(2), n)
  T.tensor_near(rh.matmul(U * S, Vt), W, 1e-5, tag .. " U S Vt = W")
  T.tensor_near(rh.matmul(U:t(), U), rh.eye(k), 1e-5, tag .. " U^T U = I")
  T.tensor_near(rh.matmul(Vt, Vt:t()), rh.eye(k), 1e-5, tag .. " V^T V = I")
  T.tensor_near(S, full, 2e-5, tag .. " svd S")

  -- norms against naive sums
  T.near(rh.linalg.norm(W), math.sqrt((W * W):sum()), 1e-5, tag .. " Frobenius norm")
  T.near(rh.linalg.norm(W, "fro"), math.sqrt(sumsq), 1e-5, tag .. " Frobenius = sqrt(sum s^2)")
  T.near(rh.linalg.norm(W, 2), 10, 1e-5, tag .. " spectral norm")
  T.near(rh.linalg.norm(W, "nuc"), 27.6, 1e-5, tag .. " nuclear norm")
end

-- ---- hand-computed cases ----
local row = rh.tensor { { 3, 4 } }
T.tensor_near(rh.linalg.svdvals(row), { 5 }, 1e-6, "1x2 singular value")
local ar = rh.rank.all(row)
T.eq(ar.numerical, 1); T.eq(ar.relative, 1); T.eq(ar.energy, 1)
T.near(ar.effective, 1, 1e-12, "1xn effective"); T.near(ar.stable, 1, 1e-12, "1xn stable")
T.eq(rh.rank.numerical(rh.tensor { { 3 }, { 4 }, { 0 } }), 1, "nx1 rank")
T.tensor_near(rh.linalg.svdvals(rh.tensor { { 3 }, { 4 }, { 0 } }), { 5 }, 1e-6, "nx1 singular value")
T.tensor_near(rh.linalg.svdvals(rh.tensor { { 3, 0 }, { 0, 4 }, { 0, 0 } }), { 4, 3 }, 1e-6, "diag svdvals descending")
local z = rh.rank.all(rh.zeros(3, 4))
T.eq(z.numerical, 0, "zero matrix numerical"); T.eq(z.relative, 0); T.eq(z.energy, 0)
T.eq(z.effective, 0, "zero matrix effective"); T.eq(z.stable, 0, "zero matrix stable")
local sv = rh.tensor { 3, 1 }
T.near(rh.rank.effective(sv), math.exp(-(0.75 * math.log(0.75) + 0.25 * math.log(0.25))), 1e-9, "effective {3,1}")
T.near(rh.rank.effective(rh.tensor { 1, 1, 1, 1 }), 4, 1e-9, "effective of equal values")
T.near(rh.rank.effective(rh.tensor { 2, 0, 0 }), 1, 1e-12, "0 log 0 = 0")
T.near(rh.rank.stable(rh.tensor { 1, 3 }), 10 / 9, 1e-9, "stable, unsorted input")
T.eq(rh.rank.energy(rh.tensor { 3, 2, 0 }, 1), 2, "energy tau=1 stops at the last nonzero")
T.eq(rh.rank.energy(rh.tensor { 3, 2, 0 }, 9 / 13), 1, "energy at exactly s1^2/sum")
T.eq(rh.rank.numerical(rh.tensor { 1, 0.5 }, { tol = 0.5 }), 1, "numerical counts s > tol strictly")
T.eq(rh.rank.relative(rh.tensor { 3, 4, 0.006 }), 3, "relative: 0.006/5 > 1e-3")
T.eq(rh.rank.relative(rh.tensor { 3, 4, 0.005 }, 0.001), 2, "relative: 0.005/5.0000025 < 1e-3")
-- a transposed view: same spectrum
local Wt = designed(9, 5, { 3, 2, 1 })
T.tensor_near(rh.linalg.svdvals(Wt:t()), rh.linalg.svdvals(Wt), 1e-5, "transposed view")

-- ---- pivoted QR: W[:, perm] = Q R, |R_ii| non-increasing ----
local A = designed(8, 6, { 5, 4, 3 })
local Q, R, perm = rh.linalg.qr_pivoted(A)
T.eq(#perm, 6, "perm length")
local seen, AP = {}, A:index(2, rh.tensor(perm))
for _, p in ipairs(perm) do seen[p] = true end
for j = 1, 6 do T.ok(seen[j], "perm is a permutation of 1..6") end
T.tensor_near(rh.matmul(Q, R), AP, 1e-5, "Q R = W[:, perm]")
T.tensor_near(rh.matmul(Q:t(), Q), rh.eye(6), 1e-5, "Q orthonormal")
for i = 2, 6 do T.ok(math.abs(R:get(i, i)) <= math.abs(R:get(i - 1, i - 1)) + 1e-6, "|R_ii| non-increasing") end
T.ok(math.abs(R:get(4, 4)) < 1e-4, "rank 3: |R_44| ~ 0")
for i = 2, 6 do for j = 1, i - 1 do T.eq(R:get(i, j), 0, "R upper triangular") end end

-- ---- least squares ----
local A2, X0 = rh.randn(20, 5), rh.randn(5, 3)
local X, rk = rh.linalg.lstsq(A2, rh.matmul(A2, X0))
T.tensor_near(X, X0, 1e-4, "lstsq recovers X"); T.eq(rk, 5, "lstsq rank")
local x1 = rh.linalg.lstsq(A2, rh.matmul(A2, X0):narrow(2, 1, 1):contiguous():view(20))
T.eq(x1:dim(), 1, "lstsq with 1-D b gives 1-D x")
T.tensor_near(x1, X0:narrow(2, 1, 1):contiguous():view(5), 1e-4, "lstsq 1-D")
-- residual is orthogonal to the columns of A (normal equations) for an inconsistent system
local B = rh.randn(20, 2)
local Xb = rh.linalg.lstsq(A2, B)
T.tensor_near(rh.matmul(A2:t(), rh.matmul(A2, Xb) - B), rh.zeros(5, 2), 1e-4, "A^T (A X - B) = 0")

-- ---- bad input ----
local nan = rh.tensor { { 1, 0 / 0 }, { 2, 3 } }
local inf = rh.tensor { { 1, math.huge }, { 2, 3 } }
T.raises("bad argument #1 to 'svdvals' (entry (1,2) is NaN", function() return rh.linalg.svdvals(nan) end)
T.raises("entry (1,2) is infinite", function() return rh.linalg.svdvals(inf) end)
T.raises("bad argument #1 to 'all' (entry (1,2) is NaN", function() return rh.rank.all(nan) end)
T.raises("NaN", function() return rh.linalg.svd(nan) end)
T.raises("NaN", function() return rh.linalg.norm(nan) end)
T.raises("NaN", function() return rh.linalg.qr_pivoted(nan) end)
T.raises("NaN", function() return rh.linalg.lstsq(nan, rh.ones(2, 1)) end)
T.raises("must be finite and >= 0", function() return rh.rank.effective(rh.tensor { 1, 0 / 0 }) end)
T.raises("must be finite and >= 0", function() return rh.rank.effective(rh.tensor { 1, -1 }) end)
T.raises("bad argument #1 to 'svdvals' (svdvals input must be a 2-D matrix, got 2x2x2)",
  function() return rh.linalg.svdvals(rh.zeros(2, 2, 2)) end)
T.raises("matrix is empty (0x3)", function() return rh.linalg.svdvals(rh.zeros(0, 3)) end)
T.raises("bad argument #1 to 'numerical' (matrix is empty (0x3))", function() return rh.rank.numerical(rh.zeros(0, 3)) end)
T.raises("expected a 2-D matrix or a 1-D tensor of singular values, got 2x2x2",
  function() return rh.rank.all(rh.zeros(2, 2, 2)) end)
T.raises("bad argument #1 to 'svdvals' (tensor expected, got no value)", function() return rh.linalg.svdvals() end)
T.raises("bad argument #2 to 'numerical' (field 'tol' must be a finite number >= 0, got -1)", function() return rh.rank.numerical(row, { tol = -1 }) end)
T.raises("bad argument #2 to 'numerical' (field 'tol' must be a finite number >= 0", function() return rh.rank.numerical(row, -1) end)
T.raises("bad argument #2 to 'numerical' (field 'rtol' must be a finite number >= 0, got inf)", function() return rh.rank.numerical(row, { rtol = math.huge }) end)
T.raises("bad argument #2 to 'numerical' (field 'tol' must be a finite number >= 0, got ", function() return rh.rank.numerical(row, { tol = 0 / 0 }) end)
T.raises("not both", function() return rh.rank.numerical(row, { tol = 1, rtol = 0.1 }) end)
T.raises("bad argument #2 to 'relative' (field 'relative_tol' must be a finite number >= 0, got -0.1)", function() return rh.rank.relative(row, -0.1) end)
T.raises("bad argument #2 to 'energy' (field 'energy_tau' must be a number in (0, 1], got 1.5)", function() return rh.rank.energy(row, 1.5) end)
T.raises("field 'energy_tau' must be a number in (0, 1], got 0", function() return rh.rank.energy(row, 0) end)
T.raises("bad argument #2 to 'all' (field 'energy_tau' must be a number in (0, 1], got -1)", function() return rh.rank.all(row, { energy_tau = -1 }) end)
T.raises("bad argument #2 to 'norm' (norm must be 'fro', 2 or 'nuc')", function() return rh.linalg.norm(row, 1) end)
T.raises("bad argument #2 to 'lstsq' (shapes 20x5 and 19x2 do not match", function() return rh.linalg.lstsq(A2, rh.ones(19, 2)) end)
T.raises("cannot have 3 singular values", function() return rh.rank.all(rh.tensor { 3, 2, 1 }, { shape = { 2, 5 } }) end)

-- ---- whole network: a minimal model with linear_layers() ----
local W1 = designed(6, 4, { 4, 2, 1, 0 })
local W2 = designed(5, 6, { 3, 3, 0 })
local W3 = designed(2, 5, { 1, 0.5 })
local fake = { _l = { { weight = W1, bias = rh.zeros(6) }, { weight = W2, bias = rh.zeros(5) }, { weight = W3 } } }
function fake:linear_layers() return self._l end
local net = rh.rank.network(fake)
T.eq(#net.layers, 3, "network: one entry per layer")
T.eq(net.layers[1].numerical, 3); T.eq(net.layers[2].numerical, 2); T.eq(net.layers[3].numerical, 2)
T.eq(net.layers[2].index, 2, "layer index")
T.eq(net.layers[2].shape[1], 5, "layer shape"); T.eq(net.layers[2].shape[2], 6, "layer shape")
T.eq(net.sum.numerical, 7, "sum of numerical ranks")
T.eq(net.width_sum, 4 + 5 + 2, "sum of min(out,in)")
T.near(net.normalized.numerical, 7 / 11, 1e-12, "normalised sum")
T.eq(net.min.numerical, 2, "min layer rank")
T.near(net.sum.stable, net.layers[1].stable + net.layers[2].stable + net.layers[3].stable, 1e-12, "sum stable")
for _, name in ipairs { "numerical", "relative", "effective", "stable", "energy" } do
  T.ok(type(net.measures[name]) == "string", "measure " .. name .. " is named")
  T.ok(net.sum[name] ~= nil and net.min[name] ~= nil and net.normalized[name] ~= nil, "figures for " .. name)
end
T.ok(net.tolerances.numerical:find("numpy", 1, true), "default tolerance named")
-- activations: X W1^T -> relu -> W2 -> relu -> W3, compared with a hand-made forward
local X = rh.randn(40, 4)
-- a model with linear_layers() but nothing to trace is refused; the plain list is read as an MLP
T.raises("has linear_layers() but no forward() or activations(X)", function() return rh.rank.network(fake, { data = X }) end)
local res = rh.rank.network(fake._l, { data = X, relative_tol = 0.01 })
local h1 = rh.matmul(X, W1:t()):relu()
local h2 = rh.matmul(h1, W2:t()):relu()
T.eq(#res.activations.layers, 3, "activation ranks per layer")
T.tensor_near(res.activations.layers[1].svals, rh.linalg.svdvals(h1), 1e-5, "hidden 1 activations")
T.tensor_near(res.activations.layers[2].svals, rh.linalg.svdvals(h2), 1e-5, "hidden 2 activations")
T.ok(res.activations.layers[1].hidden and not res.activations.layers[3].hidden, "hidden flags")
T.ok(res.activations.layers[2].numerical <= 5, "activation rank <= width")
T.eq(res.activations.layers[1].shape[1], 40, "activation shape")
T.eq(res.layers[1].relative_tol, 0.01, "options reach every layer")
-- gradient ranks
for i, l in ipairs(fake._l) do l.grad_weight = designed(l.weight:size(1), l.weight:size(2), { 1 }) end
local g = rh.rank.network(fake, { grads = true })
T.eq(g.grads.sum.numerical, 3, "gradient ranks")
fake._l[3].grad_weight = nil
T.raises("layer 3 has no grad_weight", function() return rh.rank.network(fake, { grads = true }) end)
T.raises("opts.data has 3 columns, the first layer takes 4", function() return rh.rank.network(fake, { data = rh.ones(2, 3) }) end)
T.raises("layer 1 has no weight tensor", function() return rh.rank.network({ {} }) end)
T.raises("bad argument #1 to 'network'", function() return rh.rank.network(nil) end)

-- the real rh.nn, when it is in this build
if rh.nn and rh.nn.MLP then
  local mlp = rh.nn.MLP { 4, 6, 5, 3 }
  local Xm = rh.randn(30, 4)
  local r = rh.rank.network(mlp, { data = Xm })
  T.eq(#r.layers, 3, "nn.MLP: three Linear layers")
  T.eq(r.layers[1].shape[1], 6, "nn.MLP: weight is out x in")
  local ls = mlp:linear_layers()
  local a1 = (rh.matmul(Xm, ls[1].weight:t()) + ls[1].bias):relu()
  local a2 = (rh.matmul(a1, ls[2].weight:t()) + ls[2].bias):relu()
  T.eq(#r.activations.layers, 3, "nn.MLP activations")
  T.tensor_near(r.activations.layers[1].svals, rh.linalg.svdvals(a1), 1e-4, "nn.MLP post-ReLU activations 1")
  T.tensor_near(r.activations.layers[2].svals, rh.linalg.svdvals(a2), 1e-4, "nn.MLP post-ReLU activations 2")
  T.tensor_near(r.layers[2].svals, rh.linalg.svdvals(ls[2].weight), 1e-6, "nn.MLP layer spectra")
else
  print("note: rh.nn not in this build; the nn.MLP case was not run")
end

-- ---- spectra out ----
local path = os.tmpname()
local w = rh.rank.spectra_writer(path)
w:write(fake, { epoch = 1, step = 10 })
w:write({ W1, W2 }, { epoch = 2, note = 'a "quoted" note' })
w:close()
local lines = {}
for line in io.lines(path) do lines[#lines + 1] = line end
os.remove(path)
T.eq(#lines, 2, "one JSON line per write")
T.ok(lines[1]:find('"epoch":1', 1, true), "meta in line 1")
T.ok(lines[1]:find('"step":10', 1, true), "step in line 1")
T.ok(lines[2]:find('"note":"a \\"quoted\\" note"', 1, true), "strings escaped")
local _, nsv = lines[1]:gsub('"svals":%[', "")
T.eq(nsv, 3, "three layers' spectra in line 1")
T.ok(lines[1]:find('"shape":[6,4]', 1, true), "layer shape written")
local first = lines[1]:match('"svals":%[([^%]]*)%]')
local vals = {}
for v in first:gmatch("[^,]+") do vals[#vals + 1] = tonumber(v) end
T.tensor_near(vals, rh.linalg.svdvals(W1), 1e-6, "singular values written")
T.raises("write after close", function() return w:write(fake) end)
T.raises("bad argument #1 to 'spectra_writer'", function() return rh.rank.spectra_writer("/nonexistent/dir/x.jsonl") end)

-- ---- rh.rank.svals: one SVD per layer, 1-D CPU tensors, with the weights' shapes ----
do
  local sv, shapes = rh.rank.svals(fake)
  local layers = fake:linear_layers()
  T.eq(#sv, #layers, "svals: one per layer")
  for i, l in ipairs(layers) do
    T.ok(T.same_elements(sv[i], rh.linalg.svdvals(l.weight)), "svals of layer " .. i .. " = svdvals, bit for bit")
    T.eq(table.concat(shapes[i], "x"), table.concat(l.weight:shape(), "x"), "shape of layer " .. i)
  end
  local s1 = rh.rank.svals({ layers[1].weight })
  T.ok(T.same_elements(s1[1], sv[1]), "a list of weight tensors")
  T.raises("bad argument #1 to 'svals' (layer 1 has no weight tensor)", function() return rh.rank.svals({ {} }) end)
end


-- ---- the registry: views, per-measure options, a toy measure ----
do
  local names = rh.rank.measure_names
  T.eq(table.concat(names, ","), "numerical,relative,effective,stable,energy,gavish_donoho,spikes,gap,gap_full,floor",
    "measure_names: the registry's order")
  for _, n in ipairs(names) do
    local e = rh.rank.measure_info[n]
    T.eq(rh.rank.measures[n], e.doc, n .. ": measures[] is the registry's definition")
    T.eq(type(rh.rank[n]), "function", n .. ": its own function")
    T.eq(type(e.scale_invariant), "boolean", n .. ": scale invariance declared")
  end
  T.eq(rh.rank.measure_info.floor.scale_invariant, false, "the floor is not scale-invariant")
  local W = rh.tensor { { 3, 0, 0 }, { 0, 1, 0 }, { 0, 0, 0.001 } }
  -- each measure takes only its own parameters (and their aliases), rank.all their union
  T.raises("energy: unknown option 'tol'", rh.rank.energy, W, { tau = 0.5, tol = 3 })
  T.raises("relative: unknown option 'tau'; did you mean 'tol'?", rh.rank.relative, W, { tau = 3 })
  T.raises("effective: unknown option 'energy_tau'", rh.rank.effective, W, { energy_tau = 0.5 })
  T.raises("bad argument #2 to 'stable' (the stable rank has no parameter)", rh.rank.stable, W, 0.5)
  T.raises("gap: unknown option 'gap_flor'; did you mean 'gap_floor'?", rh.rank.gap, W, { gap_flor = 0.1 })
  T.raises("all: unknown option 'horizn'; did you mean 'horizon'?", rh.rank.all, W, { horizn = 1 })
  T.raises("bad argument #2 to 'floor' (field 'horizon' must be a finite number >= 0, got -1)", rh.rank.floor, W,
    { horizon = -1 })
  T.raises("bad argument #2 to 'all' (field 'gap_floor' must be a number in (0, 1), got 0)", rh.rank.all, W,
    { gap_floor = 0 })
  T.eq(rh.rank.energy(W, { tau = 0.5 }), 1, "energy's alias tau")
  T.eq(rh.rank.relative(W, { tol = 1e-3 }), 2, "relative's alias tol (0.001/3.16 < 1e-3)")
  local a = rh.rank.all(W, { energy_tau = 0.5, gap_floor = 0.01, s0_max = 1, horizon = 0, floor_c = 2 })
  T.eq(a.energy, 1, "all: energy at its tau")
  T.eq(a.gap, 2, "all: gap at its floor (3/1 < 1/0.03)")
  T.eq(a.floor, 1, "all: floor 2 * 1 * e^0 = 2: only s_1 = 3 above")
  T.eq(a.floor_threshold, 2, "all: the floor's threshold")
  T.eq(a.gap_floor, 0.01, "all reports each parameter used")
  T.eq(a.horizon, 0, "all reports the horizon used")
  for _, n in ipairs(names) do T.eq(a[n], rh.rank[n](W, n == "floor" and { s0_max = 1 } or
    n == "energy" and { energy_tau = 0.5 } or n == "gap" and { gap_floor = 0.01 } or nil), "all." .. n .. " = " .. n .. "()") end
  -- floor's default s0_max: PyTorch's default init's largest singular value for the shape
  local r0 = rh.rank.all(W)
  T.near(r0.s0_max, (math.sqrt(3) + math.sqrt(3)) / math.sqrt(9), 1e-12, "floor: the default init's s0_max")
  -- a toy measure: registered once, it is a function, in all, in the views and in network
  rh.rank.register {
    name = "toy_top", doc = "toy: #{s_i >= toy_frac * s_1}", scale_invariant = true, integer = true,
    params = { { name = "toy_frac", default = 0.5, check = function(v)
      if type(v) ~= "number" or v <= 0 then return "a number > 0" end end } },
    fn = function(s, shape, p)
      local c = 0
      for _, v in ipairs(s:totable()) do if v >= p.toy_frac * s:get(1) then c = c + 1 end end
      return c, { toy_shape = shape[1] .. "x" .. shape[2] }
    end,
  }
  T.eq(rh.rank.measure_names[#rh.rank.measure_names], "toy_top", "the toy joins measure_names")
  T.eq(rh.rank.measures.toy_top, "toy: #{s_i >= toy_frac * s_1}", "and measures")
  T.eq(rh.rank.toy_top(W), 1, "its function, default parameter")
  T.eq(rh.rank.toy_top(W, 0.3), 2, "a bare number is its first parameter")
  T.eq(rh.rank.toy_top(rh.tensor { 1, 3, 2 }), 2, "from unsorted singular values: sorted first")
  T.raises("bad argument #2 to 'toy_top' (field 'toy_frac' must be a number > 0, got -1)", rh.rank.toy_top, W,
    { toy_frac = -1 })
  local at = rh.rank.all(W, { toy_frac = 0.3 })
  T.eq(at.toy_top, 2, "rank.all computes the toy")
  T.eq(at.toy_shape, "3x3", "with its extras")
  local net = rh.rank.network({ W, W }, { toy_frac = 0.3 })
  T.eq(net.sum.toy_top, 4, "rank.network sums the toy")
  T.raises("rank.register: 'toy_top' is already a name in rh.rank", rh.rank.register,
    { name = "toy_top", doc = "x", scale_invariant = true, fn = print })
  T.raises("parameter 'energy_tau' of 'toy2' is already a parameter of 'energy'", rh.rank.register,
    { name = "toy2", doc = "x", scale_invariant = true, fn = print, params = { { name = "energy_tau" } } })
  T.raises("rank.register: 'all' is already a name in rh.rank", rh.rank.register,
    { name = "all", doc = "x", scale_invariant = true, fn = print })
  -- network: s0_max per layer
  local n2 = rh.rank.network({ W, rh.tensor { { 1, 0 }, { 0, 0.5 } } }, { s0_max = { 1, 0.1 }, horizon = 0 })
  T.eq(n2.layers[1].floor, 1, "layer 1's floor from its own s0_max (2)")
  T.eq(n2.layers[2].floor, 2, "layer 2's floor from its own s0_max (0.2)")
  T.raises("opts.s0_max must be a number or list one value per layer", rh.rank.network, { W }, { s0_max = { 1, 2 } })
end

T.done()
