-- verdict.lua - the calibration study's analysis (issue 22 item 2): over a ladder of tasks
-- of known rank k, the fit log r = a + b log k for one measure on one layer family, the
-- worst r/k, their intervals over seeds, and the two verdicts: a measure *recovers k* on a
-- family when b is in [0.9, 1.1] and every rung's r/k in [0.8, 1.25]; it *follows C* when
-- the last layers sit at C - 1 +- 1 and do not move with k. Pure functions of numbers.
local stats = require "common.stats"

local M = {}

-- The thresholds of the verdicts, in one place.
M.SLOPE_LO, M.SLOPE_HI = 0.9, 1.1
M.RATIO_LO, M.RATIO_HI = 0.8, 1.25
M.C_SLACK = 1 -- "C - 1 +- 1", and "does not move with k": a range over k of at most this

-- Least squares of log r on log k: a, b (nil, why when it cannot be fitted: fewer than two
-- distinct k, or a rank <= 0, whose log is undefined).
function M.loglog_fit(ks, rs)
  if #ks ~= #rs then error("loglog_fit: " .. #ks .. " k's for " .. #rs .. " ranks", 2) end
  local xs, ys = {}, {}
  for i = 1, #ks do
    if not (rs[i] > 0) then return nil, string.format("a rank of %s at k = %s", tostring(rs[i]), tostring(ks[i])) end
    xs[i], ys[i] = math.log(ks[i]), math.log(rs[i])
  end
  local mx, my = stats.mean(xs), stats.mean(ys)
  local sxx, sxy = 0, 0
  for i = 1, #xs do sxx = sxx + (xs[i] - mx) ^ 2; sxy = sxy + (xs[i] - mx) * (ys[i] - my) end
  if #xs < 2 or sxx == 0 then return nil, "fewer than two distinct k" end
  local b = sxy / sxx
  return my - b * mx, b
end

-- The worst r/k of a ladder: the ratio farthest from 1 on a log scale.
function M.worst_ratio(ks, rs)
  local worst
  for i = 1, #ks do
    local q = rs[i] / ks[i]
    if not worst or math.abs(math.log(q)) > math.abs(math.log(worst)) then worst = q end
  end
  return worst
end

local function interval(xs)
  local m, h = stats.ci95(xs)
  if m == nil then return nil, nil, nil end
  if h == nil then return m, nil, nil end
  return m, m - h, m + h
end

-- One ladder: points = {{k =, seed =, r =}, ...} for one task, family and measure. Per seed
-- the fit and the worst ratio; their mean with a 95% interval over seeds (t, n - 1 df); the
-- per-rung mean ratio over seeds; the verdict on the mean slope over seeds and every rung's
-- mean r/k. Returns a table of facts, including `recovers` (true/false/nil when it cannot be
-- fitted) and `why`.
function M.ladder(points)
  local by_seed, by_k, klist = {}, {}, {}
  for _, p in ipairs(points) do
    by_seed[p.seed] = by_seed[p.seed] or { ks = {}, rs = {} }
    local s = by_seed[p.seed]
    s.ks[#s.ks + 1], s.rs[#s.rs + 1] = p.k, p.r
    if not by_k[p.k] then by_k[p.k] = {}; klist[#klist + 1] = p.k end
    by_k[p.k][#by_k[p.k] + 1] = p.r
  end
  table.sort(klist)
  local slopes, intercepts, worsts, seeds, failed = {}, {}, {}, {}, nil
  for seed, s in pairs(by_seed) do seeds[#seeds + 1] = seed end
  table.sort(seeds)
  for _, seed in ipairs(seeds) do
    local s = by_seed[seed]
    local a, b = M.loglog_fit(s.ks, s.rs)
    if a == nil then failed = failed or ("seed " .. seed .. ": " .. b) else
      slopes[#slopes + 1], intercepts[#intercepts + 1] = b, a
    end
    worsts[#worsts + 1] = M.worst_ratio(s.ks, s.rs)
  end
  local f = { n = #seeds, n_fit = #slopes, ks = klist, rung_ratio = {}, unfit = failed }
  f.slope, f.slope_lo, f.slope_hi = interval(slopes)
  f.intercept, f.intercept_lo, f.intercept_hi = interval(intercepts)
  f.worst_ratio, f.worst_ratio_lo, f.worst_ratio_hi = interval(worsts)
  local means = {}
  for i, k in ipairs(klist) do
    means[i] = stats.mean(by_k[k])
    f.rung_ratio[i] = means[i] / k
  end
  -- the verdict reads the slope reported (the mean of the seeds' slopes; none when a seed
  -- could not be fitted) and each rung's mean ratio
  f.recovers, f.why = M.recovers(not failed and f.slope or nil, f.rung_ratio, failed)
  return f
end

-- The rule: b in [SLOPE_LO, SLOPE_HI] and every rung's r/k in [RATIO_LO, RATIO_HI]. A rung
-- outside decides "no" even without a slope (a rank of 0 has no log); no slope and every
-- rung inside is "cannot tell" (nil).
function M.recovers(slope, rung_ratios, unfit)
  for i, q in ipairs(rung_ratios) do
    if q < M.RATIO_LO or q > M.RATIO_HI then
      return false, string.format("rung %d's r/k %.3g outside [%g, %g]", i, q, M.RATIO_LO, M.RATIO_HI)
    end
  end
  if slope == nil then return nil, "not fitted: " .. tostring(unfit or "no slope") end
  if slope < M.SLOPE_LO or slope > M.SLOPE_HI then
    return false, string.format("slope %.3g outside [%g, %g]", slope, M.SLOPE_LO, M.SLOPE_HI)
  end
  return true, string.format("slope %.3g in [%g, %g] and every r/k in [%g, %g]", slope, M.SLOPE_LO, M.SLOPE_HI,
    M.RATIO_LO, M.RATIO_HI)
end

-- Follows C: points = {{C =, k =, r =}, ...} (r a seed mean) for the last layers: every r
-- within C_SLACK of C - 1, and at each C the range of r over k at most C_SLACK.
function M.follows_C(points)
  if #points == 0 then return nil, "no points" end
  local by_c = {}
  for _, p in ipairs(points) do
    if math.abs(p.r - (p.C - 1)) > M.C_SLACK then
      return false, string.format("r %.3g at C = %d is not C - 1 +- %g", p.r, p.C, M.C_SLACK)
    end
    by_c[p.C] = by_c[p.C] or {}
    table.insert(by_c[p.C], p.r)
  end
  for C, rs in pairs(by_c) do
    local lo, hi = stats.minmax(rs)
    if hi - lo > M.C_SLACK then
      return false, string.format("at C = %d r moves with k by %.3g (> %g)", C, hi - lo, M.C_SLACK)
    end
  end
  return true, string.format("every r within %g of C - 1 and still in k", M.C_SLACK)
end

-- calibration.csv's columns, one row per task, family and measure.
M.COLUMNS = { "task", "family", "measure", "n", "n_fit", "slope", "slope_lo", "slope_hi", "intercept", "intercept_lo",
  "intercept_hi", "worst_ratio", "worst_ratio_lo", "worst_ratio_hi", "recovers", "why" }

function M.row(task, family, measure, f)
  local r = { task = task, family = family, measure = measure }
  for _, c in ipairs(M.COLUMNS) do if r[c] == nil then r[c] = f[c] end end
  if r.recovers == nil then r.recovers = "cannot tell" end
  return r
end

return M
