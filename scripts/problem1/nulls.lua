-- nulls.lua - problem 1's nulls and architecture-level intervals (issue 22 item 5), on the
-- library's functions (common/nulls.lua) and thresholds (common/verdicts.lua):
--   class_facts  a figure's classes under a measure: the seeds' consistency (the share of
--                replicated architectures whose seeds share a class) and eta squared, each
--                against its permutation null (architecture labels shuffled NULL_DRAWS
--                times), the figure's distinct values (degenerate at DEGENERATE_MAX_DISTINCT
--                or fewer), the verdict beats_null, a seed bootstrap of the partition
--                (BOOTSTRAP_DRAWS), and the figure's mean over architectures (seeds first)
--   trend_facts  Spearman's rho of each figure with each target over architectures (seeds
--                averaged first) with its interval over architectures, its permutation p and
--                the figure's distinct values
local stats = require "common.stats"
local nulls = require "common.nulls"
local verdicts = require "common.verdicts"
local classes = require "problem1.classes"
local ladder = require "problem1.ladder"

local M = {}

local arch = classes.architecture

-- The value classes are taken on (rounded as classes.classes rounds it).
local function class_value(r, figure, m)
  local v = classes.value(r, figure, m)
  if v == nil or not classes.ROUNDED[m] then return v end
  if type(v) == "table" then
    local t = {}
    for i, x in ipairs(v) do t[i] = math.floor(x + 0.5) end
    return t
  end
  return math.floor(v + 0.5)
end

-- An architecture as one item for classes.classes: the median over its runs of the figure
-- (element by element for a profile), rounded as classes round it.
function M.representative(a, runs, figure, m)
  local vals = {}
  for i, r in ipairs(runs) do vals[i] = class_value(r, figure, m) end
  local item = { id = a }
  if figure == "profile" then
    local layers = {}
    for j = 1, #vals[1] do
      local col = {}
      for i = 1, #vals do col[i] = vals[i][j] end
      layers[j] = { ranks = { [m] = stats.median(col) } }
    end
    item.layers = layers
  else
    item.network = { [figure .. ":" .. m] = stats.median(vals) }
  end
  return item
end

-- cls: classes.classes(runs, figure, m, tol).
function M.class_facts(runs, cls, figure, m, tol)
  local of = classes.label_of(cls)
  local with, a, b, vals = {}, {}, {}, {}
  for _, r in ipairs(runs) do
    if of[r.id] then
      with[#with + 1] = r
      a[#a + 1], b[#b + 1], vals[#vals + 1] = of[r.id], arch(r), class_value(r, figure, m)
    end
  end
  local null = nulls.class_null(a, b, vals, { draws = verdicts.NULL_DRAWS })
  local boot = nulls.seed_bootstrap(with, arch, function(order, members)
    -- each architecture is one item: the median of its (resampled) seeds' values, classes
    -- taken on those by the same leader rule
    local items = {}
    for i, a in ipairs(order) do items[i] = M.representative(a, members[a], figure, m) end
    local l = classes.label_of(classes.classes(items, figure, m, tol))
    local out = {}
    for i, it in ipairs(items) do out[i] = l[it.id] end
    return out
  end, { draws = verdicts.BOOTSTRAP_DRAWS })
  local c, e = null.consistency, null.eta2 or {}
  local f = { n = null.n, distinct = null.distinct, degenerate = verdicts.degenerate(null.distinct),
    consistency = { observed = c.observed, p = c.p, null_mean = c.null_mean, draws = c.draws },
    eta2 = { observed = e.observed, p = e.p, null_mean = e.null_mean, draws = e.draws },
    bootstrap = boot, alpha = verdicts.ALPHA }
  f.verdict, f.rule = verdicts.beats_null { p = c.p, distinct = null.distinct }, verdicts.NULL_RULE
  if figure ~= "profile" then
    f.by_architecture = nulls.arch_interval(with, function(r) return classes.value(r, figure, m) end, arch)
  end
  return f
end

-- targets: analysis.TARGETS; figures: analysis.TREND_FIGURES.
function M.trend_facts(runs, m, figures, targets)
  local out = {}
  for _, fig in ipairs(figures) do
    local fx = function(r) return ladder.figure(r, fig, m) end
    local distinct = nulls.distinct(stats.values(runs, fx))
    local row = { figure = fig, distinct = distinct, degenerate = verdicts.degenerate(distinct), rho = {} }
    for _, t in ipairs(targets) do
      local s = nulls.arch_spearman(runs, fx, t.get, arch, { draws = verdicts.NULL_DRAWS })
      s.verdict = verdicts.beats_null { p = s.p, distinct = distinct }
      row.rho[#row.rho + 1] = s
    end
    out[#out + 1] = row
  end
  return out
end

return M
