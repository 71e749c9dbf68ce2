-- figures.lua - problem 2's figures (PNG and SVG), each a list of named series drawn by
-- rh.plot.line; each title ends with the policy and its rank measure with its parameter:
--   accuracy_vs_time.png  test accuracy against cumulative training seconds, per variant: the
--                         mean over seeds at each iteration with its 95% band; the baselines
--                         of one variant as points with 95% error bars
--   widths.png            each hidden layer's mean width by iteration, per variant
--   teacher_widths.png    the teacher tasks: the final width of every run against w*
--   spectra.png           singular values of the first hidden layer: the dense network and
--                         each variant's final one (seed 1)
local rh = require "rankhost"
local stats = require "common.stats"
local measure = require "common.measure"

local M = {}

-- "[policy energy: energy rank (tau 0.99)]": the policy that chose the widths and the rank
-- measure it reads, at the study's --tau / --tol (o: the study's options; nil: no suffix).
function M.policy_text(o)
  if not o or not o.policy then return "" end
  local p = tostring(o.policy)
  local is_measure = false
  for _, m in ipairs(rh.rank.measure_names) do if m == p then is_measure = true end end
  if is_measure then return string.format(" [policy %s: %s]", p, measure.describe(p, o)) end
  if p == "fraction" then return string.format(" [policy fraction: %g of each width kept]", o.fraction or 0.5) end
  if p == "widen" then return " [policy widen: " .. measure.describe("energy", o) .. " / width]" end
  if p == "calibrated" then return " [policy calibrated: " .. measure.describe(o.width_measure or "gap_full", o) .. "]" end
  return " [policy " .. (p:match("([^/]+)%.lua$") or p) .. "]"
end

-- Renders fig {title, xlabel, ylabel, logx, logy, points, scatter, series} to path (lines, or
-- points alone with scatter). Returns true, or false and why (e.g. no gnuplot).
function M.draw(path, fig)
  local ok, why = rh.plot.available()
  if not ok then return false, why end
  return pcall(fig.scatter and rh.plot.scatter or rh.plot.line, { path = path, svg = true, title = fig.title,
    xlabel = fig.xlabel, ylabel = fig.ylabel, logx = fig.logx or false, logy = fig.logy or false,
    points = fig.points ~= false, series = fig.series, ybounds = fig.ybounds })
end

-- Mean and 95% half-width of f(row) over the runs' rows of iteration k, k = 0, 1, ...: lists
-- {k, mean, half, n} while at least one run has the iteration.
local function by_iteration(runs_rows, f)
  local out = {}
  for k = 0, math.huge do
    local xs = {}
    for _, rows in ipairs(runs_rows) do
      local row = rows[k + 1]
      if row and f(row) then xs[#xs + 1] = f(row) end
    end
    if #xs == 0 then break end
    local m, h = stats.ci95(xs)
    out[#out + 1] = { k = k, mean = m, half = h or 0, n = #xs }
  end
  return out
end

-- rows_by_variant: list of {label, runs_rows = {rows per run}}; points: list of {name, x = {mean,
-- half}, y = {mean, half}} drawn as single points with error bars.
function M.accuracy_vs_time(rows_by_variant, points, o)
  local series = {}
  for _, v in ipairs(rows_by_variant) do
    local t = by_iteration(v.runs_rows, function(r) return r.cum_seconds end)
    local a = by_iteration(v.runs_rows, function(r) return r.test_acc end)
    local s = { name = v.label .. " (mean, 95% band)", x = {}, y = {}, band = {} }
    for i = 1, math.min(#t, #a) do s.x[i], s.y[i], s.band[i] = t[i].mean, a[i].mean, a[i].half end
    series[#series + 1] = s
  end
  for _, p in ipairs(points or {}) do
    series[#series + 1] = { name = p.name, x = { p.x }, y = { p.y }, err = { p.err or 0 } }
  end
  return { title = "Test accuracy against cumulative training time" .. M.policy_text(o),
    xlabel = "training seconds (cumulative, mean)", ylabel = "test accuracy", series = series, ybounds = { 0, 1 } }
end

-- A Pareto front's figure: test accuracy / dense against one cost / dense (key, name), every
-- point with its 95% intervals on both axes, one series per method (and variant); the front's
-- points joined by a line.
function M.pareto(points, key, name)
  local series, order = {}, {}
  for _, p in ipairs(points) do
    local label = p.method .. (p.variant ~= "" and (", " .. p.variant) or "")
    local s = series[label]
    if not s then
      s = { name = label, x = {}, y = {}, xerr = {}, err = {} }
      series[label] = s
      order[#order + 1] = s
    end
    local n = #s.x + 1
    s.x[n], s.y[n], s.xerr[n], s.err[n] = p[key].mean, p.acc_frac.mean, p[key].half or 0, p.acc_frac.half or 0
  end
  local front = {}
  for _, p in ipairs(points) do if p.front[key] then front[#front + 1] = p end end
  table.sort(front, function(a, b) return a[key].mean < b[key].mean end)
  local line = { name = "the front", x = {}, y = {} }
  for i, p in ipairs(front) do line.x[i], line.y[i] = p[key].mean, p.acc_frac.mean end
  order[#order + 1] = line
  return { title = "Test accuracy against " .. name .. " (ratios to the dense network)", xlabel = name .. " / dense",
    ylabel = "test accuracy / dense", logx = true, scatter = true, series = order }
end

function M.widths(rows_by_variant, nlayers, o)
  local series = {}
  for _, v in ipairs(rows_by_variant) do
    for l = 1, nlayers do
      local w = by_iteration(v.runs_rows, function(r) return r.widths[l] end)
      local s = { name = string.format("%s, layer %d", v.label, l), x = {}, y = {} }
      for i, p in ipairs(w) do s.x[i], s.y[i] = p.k, p.mean end
      series[#series + 1] = s
    end
  end
  return { title = "Hidden widths by iteration (mean over seeds)" .. M.policy_text(o), xlabel = "iteration",
    ylabel = "width", logy = true, series = series }
end

-- points: list of {wstar, width, arm} (one per run): the landings, one series per arm (kind
-- and arm; the series set a little apart along x), with the line width = w* and the target
-- band's edges.
function M.teacher(points, wstars, o, target)
  local series, by_arm = {}, {}
  local diag = { name = "width = w*", x = {}, y = {}, line = true }
  local lo = { name = string.format("%g x w*", target.lo), x = {}, y = {}, line = true }
  local hi = { name = string.format("%g x w*", target.hi), x = {}, y = {}, line = true }
  for i, w in ipairs(wstars) do
    diag.x[i], diag.y[i], lo.x[i], lo.y[i], hi.x[i], hi.y[i] = w, w, w, target.lo * w, w, target.hi * w
  end
  -- the arms' points first (distinct colours), each arm set a little apart along x
  local arms = 0
  for _, p in ipairs(points) do
    local s = by_arm[p.arm]
    if not s then
      arms = arms + 1
      s = { name = "landing, " .. p.arm, x = {}, y = {}, shift = ({ 0.94, 0.98, 1.02, 1.06 })[arms] or 1 }
      by_arm[p.arm] = s
      series[#series + 1] = s
    end
    s.x[#s.x + 1], s.y[#s.y + 1] = p.wstar * s.shift, p.width
  end
  for _, s in ipairs(series) do s.shift = nil end
  series[#series + 1], series[#series + 2], series[#series + 3] = diag, lo, hi
  return { title = "Teacher MLPs: landing width against w*" .. M.policy_text(o), xlabel = "teacher hidden width w*",
    ylabel = "landing width (first hidden layer)", logx = true, logy = true, scatter = true, series = series }
end

-- spectra: list of {name, svals (list)}.
function M.spectra(spectra, o)
  local series = {}
  for i, sp in ipairs(spectra) do
    local s = { name = sp.name, x = {}, y = {} }
    for j, v in ipairs(sp.svals) do s.x[j], s.y[j] = j, v end
    series[i] = s
  end
  return { title = "Singular values of the first hidden layer (seed 1)" .. M.policy_text(o), xlabel = "index",
    ylabel = "singular value",
    logy = true, points = false, series = series }
end

-- Draws each {file, fig, caption} into out; returns the list {file, title, caption} of those
-- drawn, and says on stderr which were not.
function M.draw_all(out, figs)
  local done = {}
  for _, f in ipairs(figs) do
    local ok, err = M.draw(out .. "/" .. f.file, f.fig)
    if ok then
      done[#done + 1] = { file = f.file, title = f.fig.title, caption = f.caption }
    else
      io.stderr:write("problem2: figure ", f.file, " not drawn: ", tostring(err), "\n")
    end
  end
  return done
end

return M
