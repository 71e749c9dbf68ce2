-- nulls.lua - nulls and honest intervals for class and trend statistics (issue 22 item 5),
-- shared by the studies:
--   permutation    a statistic of labels against its permutation null: the labels shuffled
--                  `draws` times by an rh.generator of a fixed seed (deterministic), the
--                  p-value (1 + #{null >= observed}) / (1 + draws)
--   consistency    the share of labels (architectures) with two or more members whose
--                  members all fall into one class: the statistic problem 1's "seeds keep
--                  their class" reads; its null shuffles the architecture labels
--   class_null     consistency and eta squared of a partition against architecture labels,
--                  each with its permutation null, and the figure's distinct values
--   seed_bootstrap the class partition's stability: each architecture's seeds resampled
--                  with replacement, the partition of the architectures rebuilt, its class
--                  count and adjusted Rand index against the original partition
--   by_architecture, arch_interval, arch_spearman: seeds averaged first, then the interval
--                  (or Spearman's rho, with its permutation null) over architectures
--   distinct       the number of distinct values of a figure (a degenerate figure has few)
-- Thresholds (alpha, draws, the degenerate count) are common/verdicts.lua's.
local rh = require "rankhost"
local stats = require "common.stats"

local M = {}

-- The seed of every null's generator (a stream of its own: training's rh.seed is untouched).
M.SEED = 22

local function key(v)
  if type(v) == "table" then
    local parts = {}
    for i, x in ipairs(v) do parts[i] = string.format("%.6g", x) end
    return table.concat(parts, ";")
  end
  return string.format("%.6g", v)
end

-- The number of distinct values of xs (numbers, or lists compared element by element; nil
-- and NaN are left out).
function M.distinct(xs)
  local seen, n = {}, 0
  for _, v in pairs(xs) do
    if v ~= nil and (type(v) == "table" or stats.usable(v)) then
      local k = key(v)
      if not seen[k] then seen[k], n = true, n + 1 end
    end
  end
  return n
end

-- Shuffles list by permutation perm (1-based): out[i] = list[perm[i]].
local function shuffled(list, perm)
  local out = {}
  for i = 1, #list do out[i] = list[perm[i]] end
  return out
end

local function permutation_of(g, n)
  local p = g:permutation(n)
  return type(p) == "table" and p or p:totable()
end

-- statistic(labels) against its permutation null: labels shuffled `draws` times by a
-- generator seeded `seed` (M.SEED by default). Returns { observed, p, draws, null_mean,
-- null_q95 }; an observed value that is nil or NaN gives p = 1 (no evidence), observed nil.
function M.permutation(statistic, labels, draws, seed)
  local obs = statistic(labels)
  if not stats.usable(obs) then return { p = 1, draws = 0 } end
  local g = rh.generator(seed or M.SEED)
  local ge, null = 0, {}
  for d = 1, draws do
    local v = statistic(shuffled(labels, permutation_of(g, #labels)))
    if not stats.usable(v) then v = -math.huge end
    null[d] = v
    if v >= obs - 1e-12 then ge = ge + 1 end
  end
  local finite = stats.values(null, function(x) return x > -math.huge and x or nil end)
  return { observed = obs, p = (1 + ge) / (1 + draws), draws = draws, null_mean = stats.mean(finite),
    null_q95 = stats.quantile(finite, 0.95) }
end

-- The share of groups (labels b) with two or more members whose members all carry one class
-- (labels a); nil when no group has two members.
function M.consistency(a, b)
  local first, count, mixed = {}, {}, {}
  for i = 1, #a do
    local g = b[i]
    count[g] = (count[g] or 0) + 1
    if first[g] == nil then first[g] = a[i] elseif first[g] ~= a[i] then mixed[g] = true end
  end
  local rep, cons = 0, 0
  for g, c in pairs(count) do
    if c >= 2 then
      rep = rep + 1
      if not mixed[g] then cons = cons + 1 end
    end
  end
  if rep == 0 then return nil end
  return cons / rep
end

-- A partition (class labels) and the figure's values of n networks against their
-- architecture labels: consistency and eta squared, each with its permutation null (the
-- architecture labels shuffled), and the figure's distinct values. values may hold lists
-- (a profile), for which eta squared is not taken. opts: draws, seed.
function M.class_null(class_labels, arch_labels, values, opts)
  opts = opts or {}
  local draws = opts.draws or 1000
  local cons = M.permutation(function(b) return M.consistency(class_labels, b) end, arch_labels, draws, opts.seed)
  local numeric, vs, gs = true, {}, {}
  for i, v in ipairs(values) do
    if type(v) ~= "number" then numeric = false; break end
    vs[i], gs[i] = v, arch_labels[i]
  end
  local eta
  if numeric then
    eta = M.permutation(function(b)
      local e = stats.eta_squared(vs, b)
      return e
    end, gs, draws, opts.seed)
  end
  return { consistency = cons, eta2 = eta, distinct = M.distinct(values), n = #values }
end

-- The class partition's stability under a seed bootstrap, at the architecture level: each
-- architecture (arch_of(r)) is one item whose seeds are resampled with replacement (as many
-- as it has); partition(order, members) takes the architectures' names in order and, per
-- name, the list of its (resampled) runs, and returns a class label per architecture
-- (aligned with order). Each draw's partition of the architectures is compared with the
-- original one (every seed once). Returns { draws, architectures, classes (the original
-- count), count_lo, count_hi (2.5% and 97.5% quantiles of the class count), same_count
-- (share of draws with the original count), ari (mean adjusted Rand index against the
-- original partition of the architectures), ari_lo, ari_hi, same (share of draws with the
-- very same partition) }.
function M.seed_bootstrap(runs, arch_of, partition, opts)
  opts = opts or {}
  local draws = opts.draws or 200
  local groups, order = {}, {}
  for _, r in ipairs(runs) do
    local a = arch_of(r)
    if not groups[a] then groups[a] = {}; order[#order + 1] = a end
    local g = groups[a]
    g[#g + 1] = r
  end
  local function count_of(labels)
    local seen, n = {}, 0
    for _, l in ipairs(labels) do if not seen[l] then seen[l], n = true, n + 1 end end
    return n
  end
  local original = partition(order, groups)
  local n0 = count_of(original)
  local g = rh.generator(opts.seed or M.SEED, 2)
  local counts, aris, same_count, same = {}, {}, 0, 0
  for d = 1, draws do
    local picked = {}
    for _, a in ipairs(order) do
      local members, out = groups[a], {}
      for j = 1, #members do out[j] = members[g:int(1, #members)] end
      picked[a] = out
    end
    local labels = partition(order, picked)
    local c = count_of(labels)
    counts[d] = c
    if c == n0 then same_count = same_count + 1 end
    local ari = stats.ari(labels, original)
    aris[#aris + 1] = ari
    if ari == 1 then same = same + 1 end
  end
  local ar = stats.values(aris)
  return { draws = draws, architectures = #order, classes = n0, count_lo = stats.quantile(counts, 0.025),
    count_hi = stats.quantile(counts, 0.975), same_count = same_count / draws, same = same / draws,
    ari = stats.mean(ar), ari_lo = stats.quantile(ar, 0.025), ari_hi = stats.quantile(ar, 0.975) }
end

-- Seeds averaged first: per architecture (arch_of(r)), the mean of f(r) over its usable
-- values. Returns the list { arch, mean, n } in order of first appearance.
function M.by_architecture(runs, f, arch_of)
  local acc, order = {}, {}
  for _, r in ipairs(runs) do
    local v = f(r)
    if stats.usable(v) then
      local a = arch_of(r)
      if not acc[a] then acc[a] = { arch = a, sum = 0, n = 0 }; order[#order + 1] = acc[a] end
      acc[a].sum, acc[a].n = acc[a].sum + v, acc[a].n + 1
    end
  end
  local out = {}
  for i, e in ipairs(order) do out[i] = { arch = e.arch, mean = e.sum / e.n, n = e.n } end
  return out
end

-- The mean of f over architectures (seeds averaged first) with its 95% Student's t
-- interval over architectures: { mean, half, n (architectures), networks }.
function M.arch_interval(runs, f, arch_of)
  local means, networks = {}, 0
  for i, e in ipairs(M.by_architecture(runs, f, arch_of)) do means[i] = e.mean; networks = networks + e.n end
  local mean, half = stats.ci95(means)
  return { mean = mean, half = half, n = #means, networks = networks }
end

-- Spearman's rho of fx with fy over architectures (both averaged over an architecture's
-- seeds first), its Fisher interval over the architectures, and a permutation null of |rho|
-- (fy's architecture means shuffled): { rho, lo, hi, n, p, draws, distinct (of fx's means) }.
function M.arch_spearman(runs, fx, fy, arch_of, opts)
  opts = opts or {}
  local both = {}
  for _, r in ipairs(runs) do
    local x, y = fx(r), fy(r)
    if stats.usable(x) and stats.usable(y) then both[#both + 1] = r end
  end
  local mx = M.by_architecture(both, fx, arch_of)
  local my = M.by_architecture(both, fy, arch_of)
  local xs, ys = {}, {}
  for i = 1, #mx do xs[i], ys[i] = mx[i].mean, my[i].mean end
  local rho, lo, hi = stats.spearman_ci(xs, ys)
  local out = { rho = rho, lo = lo, hi = hi, n = #xs, distinct = M.distinct(xs) }
  if stats.usable(rho) then
    local null = M.permutation(function(y)
      local r = stats.spearman(xs, y)
      return r and math.abs(r)
    end, ys, opts.draws or 1000, opts.seed)
    out.p, out.draws = null.p, null.draws
  else
    out.p, out.draws = 1, 0
  end
  return out
end

return M
