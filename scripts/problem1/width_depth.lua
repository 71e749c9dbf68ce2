-- width_depth.lua - problem 1's width x depth factorial (scripts/problem1_width_depth.lua):
-- MLPs of every hidden width x depth (all hidden layers of one width), 3 seeds each, on the
-- real task, trained by problem 1's trainer (problem1/train.lua); the convergent rank of each
-- layer family (first layer, hidden-to-hidden layers, classifier) against log width, the
-- width above which its slope is indistinguishable from 0 (stats.plateau), and whether the
-- plateau value depends on depth (verdicts.depends). Options, plan, task, facts, tables and
-- the figure; problem1/width_depth_report.lua writes report.md from the facts.
--
-- Run ids: wd<seed>-w<width>-d<depth>-s<seed index>.
local rh = require "rankhost"
local regime = require "common.regime"
local data = require "common.data"
local stats = require "common.stats"
local facts = require "common.facts"
local verdicts = require "common.verdicts"
local memorise = require "problem1.memorise"

local M = {}

M.MEASURE, M.COMPARE = memorise.MEASURE, memorise.COMPARE
-- the layer families: which layers of a network of depth d each takes (the mean of their ranks)
M.FAMILIES = {
  { key = "first", text = "first layer (784 -> w)", layers = function(d) return { 1 } end },
  { key = "hidden", text = "hidden-to-hidden layers (w -> w, mean)", layers = function(d)
      local l = {}
      for i = 2, d do l[#l + 1] = i end
      return l end },
  { key = "classifier", text = "classifier (w -> 10)", layers = function(d) return { d + 1 } end },
}

M.USAGE = "usage: rankhost scripts/problem1_width_depth.lua [options]\n"
  .. "Problem 1's width x depth factorial: MLPs of every hidden width and depth, 3 seeds each; the\n"
  .. "convergent rank of each layer family against log width, its plateau and whether the plateau\n"
  .. "depends on depth (gap measure, docs/calibration.md); writes into --out."

M.SPEC = {
  { name = "quick", type = "preset", help = "every output in about a minute: widths 16, 32, 64, depths 1 and 2, "
    .. "500 images, 30 epochs at most",
    sets = { widths = { 16, 32, 64 }, depths = { 1, 2 }, train_size = 500, test_size = 500, max_epochs = 30,
      min_horizon = 1, sat_patience = 3, rank_patience = 3, cooldown = 2, probe = 128 } },
  { name = "full", type = "preset", help = "a bigger machine: widths 32 to 1024, depths 1 to 4, all 60,000 images",
    sets = { widths = { 32, 64, 128, 256, 512, 1024 }, depths = { 1, 2, 3, 4 }, train_size = 0, test_size = 0,
      max_epochs = 300 } },
  { name = "seeds", type = "int", default = 3, min = 1, help = "networks per width and depth" },
  { name = "widths", type = "ints", default = { 32, 64, 128, 256 }, min = 1, metavar = "W,W,...",
    help = "hidden widths (every hidden layer of a network has the same width)" },
  { name = "depths", type = "ints", default = { 1, 2 }, min = 1, metavar = "D,D,...", help = "numbers of hidden layers" },
  { name = "train-size", type = "int", default = 4000, min = 0, help = "first N training images (0 = all)" },
  { name = "weight-decay", type = "number", default = 5e-3, min = 0, help = "weight decay (problem 1's default)" },
}
for _, e in ipairs(memorise.shared_spec({ ["max-epochs"] = 100 })) do M.SPEC[#M.SPEC + 1] = e end

M.RUN_KEYS = regime.run_keys { "seed", "dataset", "data_dir", "train_split", "holdout", "train_size", "test_size",
  "weight_decay", "sat_patience", "sat_tol", "sat_min_delta", "probe" }

function M.check(o)
  if o.train_size > 0 and o.batch > o.train_size then
    return string.format("--batch %d is larger than the data (--train-size %d)", o.batch, o.train_size)
  end
end

-- the cells of the plan (problem1/grid_study.lua expands them into --seeds networks each):
-- every depth x width, all hidden layers of one width
function M.cells(o)
  local cells = {}
  for _, d in ipairs(o.depths) do
    for _, w in ipairs(o.widths) do
      local sizes = { 784 }
      for i = 1, d do sizes[i + 1] = w end
      sizes[#sizes + 1] = 10
      cells[#cells + 1] = { id = string.format("wd%d-w%d-d%d", o.seed, w, d), width = w, depth = d, sizes = sizes,
        weight_decay = o.weight_decay, seed = w * 13 + d, work = o.train_size > 0 and o.train_size or 60000 }
    end
  end
  return cells
end

function M.tasks(o)
  local task
  return { get = function()
    task = task or data.finish(data.real(o, o.dataset), o, 0)
    return task
  end }
end

function M.run_options(o) return setmetatable({ wd0_epochs = 0 }, { __index = o }) end

-- the rank of family f of record r under measure m: the mean over its layers
function M.family_rank(r, f, m)
  local ls = f.layers(r.depth)
  if #ls == 0 or not r.layers then return nil end
  local s = 0
  for _, i in ipairs(ls) do
    local v = r.layers[i] and r.layers[i].ranks[m]
    if not stats.usable(v) then return nil end
    s = s + v
  end
  return s / #ls
end

-- what the grids that report layer families share (problem1/wd_sweep.lua too): the
-- families' columns of summary.csv (measure, then compare, then wall_s), a record's cells
-- under them, and a cell's intervals of family f over the records c.
function M.family_header(header)
  for _, f in ipairs(M.FAMILIES) do header[#header + 1] = f.key .. ":" .. M.MEASURE end
  for _, f in ipairs(M.FAMILIES) do header[#header + 1] = f.key .. ":" .. M.COMPARE end
  header[#header + 1] = "wall_s"
  return header
end

function M.family_row(row, r)
  -- a rank that cannot be had (nil: no hidden-to-hidden layer at depth 1) is an empty cell,
  -- so every later cell stays under its heading (docs/results.md: an empty cell for a
  -- missing value)
  local function cell(v) if v == nil then return "" end return v end
  for _, f in ipairs(M.FAMILIES) do row[#row + 1] = cell(M.family_rank(r, f, M.MEASURE)) end
  for _, f in ipairs(M.FAMILIES) do row[#row + 1] = cell(M.family_rank(r, f, M.COMPARE)) end
  row[#row + 1] = r.wall_time
  return row
end

function M.family_intervals(ranks, c, f)
  ranks[f.key] = facts.interval(stats.values(c, function(r) return M.family_rank(r, f, M.MEASURE) end))
  ranks[f.key .. ":" .. M.COMPARE] = facts.interval(stats.values(c, function(r) return M.family_rank(r, f, M.COMPARE) end))
end

function M.facts(o, records)
  local runs = {}
  for _, r in ipairs(records) do if r.status == "ok" then runs[#runs + 1] = r end end
  local F = { measure = M.MEASURE, compare = M.COMPARE, widths = o.widths, depths = o.depths, seeds = o.seeds,
    weight_decay = o.weight_decay, train_size = o.train_size, min_horizon = o.min_horizon, max_epochs = o.max_epochs,
    runs = #records, trained = #runs, converged = 0, families = {}, cells = {} }
  for _, r in ipairs(runs) do if r.converged then F.converged = F.converged + 1 end end
  for _, f in ipairs(M.FAMILIES) do
    local fam = { key = f.key, text = f.text, by_depth = {} }
    local values, widths_found, nd = {}, {}, 0
    for _, d in ipairs(o.depths) do
      if #f.layers(d) > 0 then
        nd = nd + 1
        local ws, ys, ye = {}, {}, {}
        for _, r in ipairs(runs) do
          if r.depth == d then
            local y = M.family_rank(r, f, M.MEASURE)
            if y then ws[#ws + 1], ys[#ys + 1], ye[#ye + 1] = r.architecture[2], y, M.family_rank(r, f, M.COMPARE) end
          end
        end
        local p = stats.plateau(ws, ys)
        local pe = stats.plateau(ws, ye)
        local lb, lh = stats.slope_ci((function()
          local l = {}
          for i, w in ipairs(ws) do l[i] = math.log(w, 2) end
          return l end)(), ys)
        fam.by_depth[#fam.by_depth + 1] = { depth = d, n = #ys, plateau_width = p.width, plateau_slope = p.slope,
          plateau_half = p.half, value = p.value, slope_all = lb, slope_all_half = lh, fits = p.fits,
          compare_plateau_width = pe.width, compare_value = pe.value }
        values[#values + 1] = p.value or false
        widths_found[#widths_found + 1] = p.width or false
      end
    end
    local vs = {}
    for _, v in ipairs(values) do if v then vs[#vs + 1] = v end end
    local pw = {}
    for i, w in ipairs(widths_found) do pw[i] = w or nil end
    fam.depends = verdicts.depends(#vs == #values and vs or { vs[1] })
    fam.depends_rule = verdicts.DEPENDS_RULE
    fam.task_property = verdicts.task_property(pw, fam.depends, nd)
    fam.task_property_rule = verdicts.TASK_PROPERTY_RULE
    fam.depths_fit = nd
    if nd > 0 then F.families[#F.families + 1] = fam end
  end
  -- one row per width and depth
  for _, d in ipairs(o.depths) do
    for _, w in ipairs(o.widths) do
      local c = {}
      for _, r in ipairs(runs) do if r.depth == d and r.architecture[2] == w then c[#c + 1] = r end end
      local cell = { width = w, depth = d, n = #c, H = facts.interval(stats.values(c, function(r) return r.wd_horizon end)),
        test_acc = facts.interval(stats.values(c, function(r) return r.final.test_acc end)),
        train_acc = facts.interval(stats.values(c, function(r) return r.final.train_acc end)), ranks = {} }
      for _, f in ipairs(M.FAMILIES) do M.family_intervals(cell.ranks, c, f) end
      F.cells[#F.cells + 1] = cell
    end
  end
  -- the users' question, from the calibrated layer (the first: docs/calibration.md)
  F.answer = { answer = F.families[1] and F.families[1].task_property or "cannot tell", family = "first",
    rule = verdicts.TASK_PROPERTY_RULE }
  return F
end

function M.summary(records)
  local header = M.family_header { "id", "width", "depth", "status", "converged", "epochs", "wd_horizon", "train_acc",
    "test_acc" }
  local rows = {}
  for _, r in ipairs(records) do
    local fin = r.final or {}
    rows[#rows + 1] = M.family_row({ r.id, r.architecture[2], r.depth, r.status, r.converged, r.epochs, r.wd_horizon,
      fin.train_acc, fin.test_acc }, r)
  end
  return header, rows
end

function M.figures(out, o, F)
  local figs = {}
  for _, f in ipairs(M.FAMILIES) do
    local series = {}
    for _, d in ipairs(o.depths) do
      local x, y, e = {}, {}, {}
      for _, c in ipairs(F.cells) do
        local iv = c.ranks[f.key]
        if c.depth == d and iv and iv.mean then x[#x + 1], y[#y + 1], e[#e + 1] = c.width, iv.mean, iv.half or 0 end
      end
      if #x > 0 then series[#series + 1] = { name = "depth " .. d, x = x, y = y, err = e } end
    end
    if #series > 0 then
      local file = "width_" .. f.key .. ".png"
      local title = "Convergent " .. M.MEASURE .. " rank of the " .. f.text .. " against width"
      rh.plot.line { path = out .. "/" .. file, title = title, xlabel = "hidden width", logx = true, points = true,
        ylabel = M.MEASURE .. " rank (docs/calibration.md)", series = series }
      figs[#figs + 1] = { file = file, title = title,
        caption = "Mean over " .. o.seeds .. " seeds with 95% intervals, one line per depth; rank measure " .. M.MEASURE
          .. " (docs/calibration.md)." }
    end
  end
  return figs
end

return M
