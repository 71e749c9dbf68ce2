-- ladder.lua - the task-complexity ladder: convergent rank against a complexity that is
-- known by construction (teacher rank k, parity order k, label-noise fraction f), over
-- several seeds per rung: means with 95% intervals, and Spearman's rho of the complexity
-- with each network figure over every converged run of a family.
local stats = require "common.stats"

local M = {}

-- The families in report order, what their level means, and the figures compared.
M.FAMILIES = {
  { kind = "teacher", what = "teacher rank k" },
  { kind = "parity", what = "parity order k" },
  { kind = "noise", what = "label-noise fraction f" },
  { kind = "mnist", what = "MNIST (a reference rung)" },
}
M.FIGURES = { "bottleneck", "last_hidden", "first_layer", "normalized" }

-- A figure of run r under measure m; first_layer is the first Linear layer's rank.
function M.figure(r, name, m)
  if name == "first_layer" then return r.layers and r.layers[1] and r.layers[1].ranks[m] end
  return r.network and r.network[name .. ":" .. m]
end

local function usable(r) return r.status == "ok" and r.converged end

-- The runs of a family, grouped by level (levels in increasing order).
local function by_level(records, kind)
  local groups, levels = {}, {}
  for _, r in ipairs(records) do
    if r.kind == kind then
      local l = r.level or 0
      if not groups[l] then groups[l] = {}; levels[#levels + 1] = l end
      table.insert(groups[l], r)
    end
  end
  table.sort(levels)
  return levels, groups
end

-- complexity.csv: one row per rung and measure: runs, converged runs, accuracies and each
-- figure (mean and the half-width of its 95% interval over the converged runs).
function M.rows(records, measures)
  local header = { "family", "level", "measure", "runs", "converged", "train_acc", "test_acc", "test_acc_ci95",
    "wd_horizon" }
  for _, f in ipairs(M.FIGURES) do header[#header + 1] = f; header[#header + 1] = f .. "_ci95" end
  local rows = {}
  for _, fam in ipairs(M.FAMILIES) do
    local levels, groups = by_level(records, fam.kind)
    for _, l in ipairs(levels) do
      for _, m in ipairs(measures) do
        local ok, tr, te, h = {}, {}, {}, {}
        for _, r in ipairs(groups[l]) do
          if usable(r) then
            ok[#ok + 1] = r
            tr[#tr + 1], te[#te + 1], h[#h + 1] = r.final.train_acc, r.final.test_acc, r.wd_horizon
          end
        end
        local te_m, te_h = stats.ci95(te)
        local row = { fam.kind, l, m, #groups[l], #ok, stats.mean(tr), te_m, te_h, stats.mean(h) }
        for _, f in ipairs(M.FIGURES) do
          local xs = {}
          for _, r in ipairs(ok) do xs[#xs + 1] = M.figure(r, f, m) end
          local mean, half = stats.ci95(xs)
          row[#row + 1], row[#row + 1] = mean, half
        end
        rows[#rows + 1] = row
      end
    end
  end
  return header, rows
end

-- Spearman's rho of the level with a figure over the converged runs of a family: rho, its
-- approximate 95% interval, n (nil rho when fewer than 3 runs or a constant figure; a NaN
-- figure is dropped, stats.usable).
function M.spearman(records, kind, figure, m)
  local xs, ys = {}, {}
  for _, r in ipairs(records) do
    if r.kind == kind and usable(r) then
      local v = M.figure(r, figure, m)
      if stats.usable(v) then xs[#xs + 1], ys[#ys + 1] = r.level or 0, v end
    end
  end
  local rho, lo, hi = stats.spearman_ci(xs, ys)
  return { rho = rho, lo = lo, hi = hi, n = #xs }
end

-- ladder_spearman.csv: family, measure, figure, n, rho, lo, hi for every family with at
-- least two levels.
function M.spearman_rows(records, measures)
  local header = { "family", "measure", "figure", "n", "rho", "rho_lo95", "rho_hi95" }
  local rows = {}
  for _, fam in ipairs(M.FAMILIES) do
    local levels = by_level(records, fam.kind)
    if #levels >= 2 then
      for _, m in ipairs(measures) do
        for _, f in ipairs(M.FIGURES) do
          local s = M.spearman(records, fam.kind, f, m)
          rows[#rows + 1] = { fam.kind, m, f, s.n, s.rho, s.lo, s.hi }
        end
      end
    end
  end
  return header, rows
end

-- The families present (with their runs grouped by level), for the report.
function M.present(records)
  local out = {}
  for _, fam in ipairs(M.FAMILIES) do
    local levels, groups = by_level(records, fam.kind)
    if #levels > 0 then out[#out + 1] = { kind = fam.kind, what = fam.what, levels = levels, groups = groups } end
  end
  return out
end

return M
