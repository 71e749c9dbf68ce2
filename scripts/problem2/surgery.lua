-- surgery.lua - how the next, smaller (or wider) network starts from the last one.
--   fresh    a new random network of the new widths (the seed's way)
--   qr|norm  keep the neurons chosen by column-pivoted QR of the layer's weight rows
--            (or by the largest incoming-weight norms) with their weights, and refit the
--            next layer's incoming weights by least squares on activations, so that the
--            function changes least
--   lowrank  keep every neuron and replace layer i by two Linears through a linear
--            bottleneck of width r, from the truncated SVD of its weight
--   magnitude  (the baseline) keep the largest-norm neurons and slice the next layer, no refit
-- Widths larger than the current ones add neurons whose incoming and outgoing weights
-- start small and random; kept neurons keep their weights.
local rh = require "rankhost"
local Net = require "problem2.net"

local S = {}

-- Scale of the weights of added neurons: small against the layer's own weights.
S.new_neuron_scale = 1e-2
-- Ridge added to the least-squares refit, relative to the mean squared activation: keeps
-- the problem well posed when ReLUs are dead (zero columns) or neurons are collinear.
S.ridge = 1e-6

local function totable_ints(v)
  if type(v) ~= "table" then v = v:totable() end
  local out = {}
  for i, x in ipairs(v) do out[i] = math.tointeger(x) or math.floor(x + 0.5) end
  return out
end

-- Indices (ascending) of k rows of W to keep. method "qr": the first k pivots of a
-- column-pivoted QR of W^T (the rows that span the row space best, Businger-Golub);
-- "norm": the k rows of largest Euclidean norm.
function S.select_rows(W, k, method)
  local n = W:size(1)
  assert(k >= 1 and k <= n, "select_rows: k out of range")
  local order
  if method == "qr" then
    local _, _, perm = rh.linalg.qr_pivoted(W:t():contiguous())
    order = totable_ints(perm)
  elseif method == "norm" or method == "magnitude" then
    local norms = (W * W):sum(2):view(n):totable()
    order = {}
    for i = 1, n do order[i] = i end
    -- ties broken by index so that the choice is reproducible
    table.sort(order, function(a, b)
      if norms[a] ~= norms[b] then return norms[a] > norms[b] end
      return a < b
    end)
  else
    error("select_rows: unknown method '" .. tostring(method) .. "'")
  end
  local keep = {}
  for i = 1, k do keep[i] = order[i] end
  table.sort(keep)
  return keep
end

-- Rows `keep` of W (n x m) and of b (1 x n), plus `extra` new small random rows.
local function take_rows(W, b, keep, extra)
  local k, m = #keep, W:size(2)
  local Wk, bk = W:index(1, keep), b:index(2, keep)
  if extra == 0 then return Wk, bk end
  local scale = S.new_neuron_scale * math.max(Wk:norm() / math.sqrt(Wk:numel()), 1e-3)
  local W2, b2 = rh.randn(k + extra, m):mul(scale), rh.zeros(1, k + extra)
  W2:narrow(1, 1, k):copy(Wk)
  b2:narrow(2, 1, k):copy(bk)
  return W2, b2
end

-- Columns `keep` of W (m x n) plus `extra` new small random columns.
local function take_cols(W, keep, extra)
  local Wk = W:index(2, keep)
  if extra == 0 then return Wk end
  local m, k = W:size(1), #keep
  local scale = S.new_neuron_scale * math.max(Wk:norm() / math.sqrt(Wk:numel()), 1e-3)
  local W2 = rh.randn(m, k + extra):mul(scale)
  W2:narrow(2, 1, k):copy(Wk)
  return W2
end

-- Least squares with a bias column and a small ridge: W (m x k), b (1 x m) minimising
-- || H W^T + 1 b - Z ||^2 + lambda ||W||^2.
function S.refit(H, Z)
  local N, k = H:size(1), H:size(2)
  local m = Z:size(2)
  local lambda = S.ridge * math.max((H * H):sum() / (N * k), 1e-12) * N
  local A, B = rh.zeros(N + k, k + 1), rh.zeros(N + k, m)
  A:narrow(1, 1, N):narrow(2, 1, k):copy(H)
  A:narrow(1, 1, N):narrow(2, k + 1, 1):fill(1)
  A:narrow(1, N + 1, k):narrow(2, 1, k):copy(rh.eye(k):mul(math.sqrt(lambda)))
  B:narrow(1, 1, N):copy(Z)
  local X = rh.linalg.lstsq(A, B)   -- (k+1) x m
  return X:narrow(1, 1, k):t():contiguous(), X:narrow(1, k + 1, 1):contiguous()
end

-- Keeps neurons (method qr|norm|magnitude) to the new widths, layer by layer. With refit,
-- layer l+1's incoming weights are fitted so that its pre-activations on the sample X match
-- the old network's; without, they are the old weights' kept columns.
function S.keep_neurons(old, widths, method, refit, X)
  local L = #old.hidden
  local new = Net.build(Net.spec_with(old.spec, Net.plain_hidden(widths)))
  local old_acts = refit and old:activations(X) or nil
  local W, b = old:affine(1)
  local h = X
  for l = 1, L + 1 do
    local target = (l <= L) and new.hidden[l].lin or new.out
    if l == L + 1 then
      Net.set_linear(target, W, b)
      break
    end
    local n, k = W:size(1), widths[l]
    local keep = S.select_rows(W, math.min(k, n), method)
    local extra = math.max(k - n, 0)
    local Wl, bl = take_rows(W, b, keep, extra)
    Net.set_linear(target, Wl, bl)
    local Wn, bn = old:affine(l + 1)
    if refit then
      h = (rh.matmul(h, Wl:t()) + bl):relu()
      local Z = rh.matmul(old_acts[l], Wn:t()) + bn
      W, b = S.refit(h, Z)
    else
      W, b = take_cols(Wn, keep, extra), bn
    end
  end
  return new
end

-- Every neuron kept; hidden layer i becomes down (r x in) and up (neurons x r) with
-- W ~ U_r S_r V_r^T split as (U_r S_r^1/2)(S_r^1/2 V_r^T), the best rank-r approximation
-- (Eckart-Young). A rank as large as min(in, out) needs no bottleneck: a plain Linear.
function S.lowrank(old, ranks)
  local hidden = {}
  local prev = old.spec.input
  for i, layer in ipairs(old.hidden) do
    local full = math.min(prev, layer.neurons)
    local r = math.min(ranks[i], full)
    hidden[i] = { neurons = layer.neurons, rank = (r < full) and r or nil }
    prev = layer.neurons
  end
  local new = Net.build(Net.spec_with(old.spec, hidden))
  for i, layer in ipairs(new.hidden) do
    local W, b = old:affine(i)
    if layer.lin then
      Net.set_linear(layer.lin, W, b)
    else
      local r = layer.rank
      local U, s, Vt = rh.linalg.svd(W)
      local root = s:narrow(1, 1, r):sqrt()
      Net.set_linear(layer.down, Vt:narrow(1, 1, r) * root:view(r, 1), rh.zeros(1, r))
      Net.set_linear(layer.up, U:narrow(2, 1, r) * root:view(1, r), b)
    end
  end
  local W, b = old:affine(#old.hidden + 1)
  Net.set_linear(new.out, W, b)
  return new
end

-- The next network: method is fresh|qr|norm|lowrank|magnitude. X: a data sample (N x input).
function S.next_net(old, widths, method, X)
  if method == "fresh" then
    return Net.build(Net.spec_with(old.spec, Net.plain_hidden(widths)))
  elseif method == "lowrank" then
    return S.lowrank(old, widths)
  elseif method == "magnitude" then
    return S.keep_neurons(old, widths, "norm", false, X)
  elseif method == "qr" or method == "norm" then
    return S.keep_neurons(old, widths, method, true, X)
  end
  error("unknown init method '" .. tostring(method) .. "' (fresh|qr|norm|lowrank)")
end

return S
