-- memorise.lua - problem 1's memorisation grid (scripts/problem1_memorise.lua): one MLP wide
-- enough to memorise, trained by problem 1's trainer (problem1/train.lua: to loss
-- saturation and rank convergence after the weight-decay horizon, under a cap) on every
-- cell of weight decay x label noise x training-set size, 3 seeds a cell, with a
-- random-label control (noise 1) in the same table. Each run records its memorised
-- fraction (rh.train.memorised: training accuracy on the flipped examples against their
-- flipped labels). This file holds the options, the plan, the tasks and the analysis
-- (tables, figures, facts.json); problem1/memorise_report.lua writes report.md from the facts.
--
-- Run ids: m<seed>-n<size>-f<noise>-wd<wd>-s<seed index>. A seed index gives the same
-- initialisation and batch order in every cell, and the same flipped labels at every weight
-- decay: cells differ in what they name alone.
local rh = require "rankhost"
local regime = require "common.regime"
local data = require "common.data"
local stats = require "common.stats"
local facts = require "common.facts"
local verdicts = require "common.verdicts"
local settings = require "problem1.settings"
local space = require "problem1.space"

local M = {}

-- The rank measure of every answer (docs/calibration.md: the best-supported one) and the
-- measure reported beside it for comparison; the layer they are read on (the first: the
-- calibration's gap recovers k there).
M.MEASURE, M.COMPARE, M.LAYER = "gap", "energy", 1

M.USAGE = "usage: rankhost scripts/problem1_memorise.lua [options]\n"
  .. "Problem 1's memorisation grid: weight decay x label noise x training-set size on one wide MLP,\n"
  .. "3 seeds a cell and a random-label control; the memorised fraction against the convergent\n"
  .. "rank (gap measure, docs/calibration.md); writes into --out."

-- problem 1's options this study shares (the same names, help and checks)
local SHARED = { "seed", "dataset", "data-dir", "train-split", "holdout", "test-size", "sat-patience", "sat-tol",
  "sat-min-delta", "probe" }
for _, e in ipairs(regime.SPEC) do SHARED[#SHARED + 1] = e.name end
local DEFAULTS = { ["max-epochs"] = 100, ["test-size"] = 2000 }

-- problem 1's shared options (SHARED) with other defaults (by option name); the other
-- problem 1 grids (problem1/width_depth.lua) take them too
function M.shared_spec(defaults, names)
  local by = {}
  for _, e in ipairs(settings.SPEC) do if e.name then by[e.name] = e end end
  local out = {}
  for _, name in ipairs(names or SHARED) do
    local e = {}
    for k, v in pairs(by[name]) do e[k] = v end
    if defaults[name] then e.default = defaults[name] end
    if name == "rank-measure" then
      -- these grids watch the measure they report (M.MEASURE, gap: convergence under the
      -- calibrated measure); problem 1's "auto" resolves through its headline table, which
      -- they do not read
      e.choices, e.default = rh.rank.measure_names, defaults[name] or M.MEASURE
      e.help = "rank convergence: the measure watched (default: " .. M.MEASURE .. ", the measure these grids report)"
    end
    out[#out + 1] = e
  end
  return out
end

M.SPEC = {
  { name = "quick", type = "preset", help = "every output in about a minute: 128 hidden units, 250 and 500 images, "
    .. "noise 0 and 0.5, 40 epochs at most",
    sets = { hidden = { 128 }, sizes = { 250, 500 }, noise_levels = { 0, 0.5 }, max_epochs = 40, test_size = 500,
      min_horizon = 2, sat_patience = 3, rank_patience = 3, cooldown = 2, probe = 128 } },
  { name = "full", type = "preset", help = "a bigger machine: 1024 hidden units, 2,000, 8,000 and 32,000 images, "
    .. "300 epochs at most, the whole test set",
    sets = { hidden = { 1024 }, sizes = { 2000, 8000, 32000 }, max_epochs = 300, test_size = 0 } },
  { name = "seeds", type = "int", default = 3, min = 1, help = "networks per cell (initialisation, order and flip seeds)" },
  { name = "hidden", type = "ints", default = { 256 }, min = 1, metavar = "W,W,...",
    help = "hidden widths of the one architecture" },
  { name = "sizes", type = "ints", default = { 500, 2000 }, min = 10, metavar = "N,N,...",
    help = "training-set sizes (the first N images of the training split)" },
  { name = "noise-levels", type = "numbers", default = { 0, 0.1, 0.25, 0.5 }, min = 0, max = 1, metavar = "F,F,...",
    help = "fractions of training labels replaced at random" },
  { name = "random-control", type = "bool", default = true,
    help = "add the random-label control (noise 1: every label replaced) to every weight decay and size" },
  { name = "weight-decays", type = "numbers", default = { 1e-4, 3e-4, 1e-3, 2e-3, 5e-3 }, min = 0, metavar = "WD,WD,...",
    help = "weight decays of the grid" },
}
for _, e in ipairs(M.shared_spec(DEFAULTS)) do M.SPEC[#M.SPEC + 1] = e end
M.SHARED = SHARED

M.RUN_KEYS = regime.run_keys { "seed", "dataset", "data_dir", "train_split", "holdout", "test_size", "sat_patience",
  "sat_tol", "sat_min_delta", "probe", "hidden" }

function M.check(o)
  for _, n in ipairs(o.sizes) do
    if o.batch > n then return string.format("--batch %d is larger than the data (--sizes %d)", o.batch, n) end
  end
  if #o.weight_decays == 0 then return "--weight-decays: give at least one" end
end

-- ---- the plan ----

local function levels(o)
  local out = { table.unpack(o.noise_levels) }
  if o.random_control then
    local has = false
    for _, f in ipairs(out) do if f == 1 then has = true end end
    if not has then out[#out + 1] = 1 end
  end
  return out
end
M.levels = levels

function M.sizes_of(o)
  local sizes = { 784 }
  for _, w in ipairs(o.hidden) do sizes[#sizes + 1] = w end
  sizes[#sizes + 1] = 10
  return sizes
end

function M.plan(o)
  local runs = {}
  local sizes = M.sizes_of(o)
  for _, n in ipairs(o.sizes) do
    for _, f in ipairs(levels(o)) do
      for _, wd in ipairs(o.weight_decays) do
        for s = 1, o.seeds do
          runs[#runs + 1] = { id = string.format("m%d-n%d-f%g-wd%g-s%d", o.seed, n, f, wd, s),
            kind = f == 1 and "random" or "memorise", level = f, train_size = n, weight_decay = wd, seed_index = s,
            sizes = sizes, run_seed = o.seed * 100003 + s * 7919 + n,
            flip_seed = o.seed * 1000003 + s * 101 + n * 7 + math.floor(f * 1000 + 0.5),
            cost = space.num_parameters(sizes) * n * o.max_epochs }
        end
      end
    end
  end
  return runs
end

-- ---- the tasks: one per size, noise and seed, shared by every weight decay ----

function M.tasks(o)
  local largest = 0
  for _, n in ipairs(o.sizes) do largest = math.max(largest, n) end
  local real
  local cache = {}
  local t = {}
  function t.get(run)
    local key = string.format("%d:%g:%d", run.train_size, run.level, run.seed_index)
    if cache[key] then return cache[key] end
    real = real or data.real(setmetatable({ train_size = largest }, { __index = o }), o.dataset)
    local clean = data.first(real.train, run.train_size)
    local train = run.level > 0 and rh.data.random_labels(clean, run.level, run.flip_seed) or clean
    local task = data.finish({ train = train, test = real.test, clean = clean,
      dataset = string.format("%s, first %d training images, %g of labels random", o.dataset, run.train_size, run.level) },
      o, 0)
    function task.after(model, rec)
      rec.memorised, rec.flipped = rh.train.memorised(model, task.train, task.clean)
      rec.train_size, rec.label_noise = run.train_size, run.level
    end
    cache[key] = task
    return task
  end
  return t
end

-- the options problem 1's trainer reads, with this run's weight decay (its minimum epochs;
-- none without a run) and no wd0 twins
function M.run_options(o, run)
  return setmetatable({ weight_decay = run and run.weight_decay, wd0_epochs = 0 }, { __index = o })
end

-- ---- analysis ----

local function rank_of(r, m) return r.layers and r.layers[M.LAYER] and r.layers[M.LAYER].ranks[m] end
M.rank_of = rank_of

local function ok_runs(records)
  local out = {}
  for _, r in ipairs(records) do if r.status == "ok" then out[#out + 1] = r end end
  return out
end

local function select(runs, pred)
  local out = {}
  for _, r in ipairs(runs) do if pred(r) then out[#out + 1] = r end end
  return out
end

local function get(list, f)
  local xs = {}
  for i, r in ipairs(list) do xs[i] = f(r) end
  return xs
end

-- The facts of the grid (every number the report states).
function M.facts(o, records)
  local runs = ok_runs(records)
  local F = { measure = M.MEASURE, compare = M.COMPARE, layer = M.LAYER, architecture = M.sizes_of(o),
    min_horizon = o.min_horizon, max_epochs = o.max_epochs, seeds = o.seeds, sizes = o.sizes,
    noise_levels = levels(o), weight_decays = o.weight_decays, runs = #records, trained = #runs, cells = {},
    onset = {}, vs_memorised = {}, vs_gap = {} }
  -- one row per cell
  for _, n in ipairs(o.sizes) do
    for _, f in ipairs(levels(o)) do
      for _, wd in ipairs(o.weight_decays) do
        local c = select(runs, function(r) return r.train_size == n and r.label_noise == f and r.hyper.weight_decay == wd end)
        local H = stats.values(get(c, function(r) return r.wd_horizon end))
        local converged = #select(c, function(r) return r.converged end)
        local cell = { size = n, noise = f, wd = wd, n = #c, converged = converged,
          epochs = facts.interval(get(c, function(r) return r.epochs end)),
          H = facts.interval(H), H_min = #H > 0 and stats.minmax(H) or nil,
          train_acc = facts.interval(get(c, function(r) return r.final.train_acc end)),
          test_acc = facts.interval(get(c, function(r) return r.final.test_acc end)),
          gap = facts.interval(get(c, function(r) return r.final.gap end)),
          memorised = facts.interval(get(c, function(r) return r.memorised end)),
          rank = facts.interval(get(c, function(r) return rank_of(r, M.MEASURE) end)),
          rank_compare = facts.interval(get(c, function(r) return rank_of(r, M.COMPARE) end)) }
        cell.H_matched = cell.H_min ~= nil and cell.H_min >= o.min_horizon
        if f == 1 then
          cell.control_memorised = verdicts.memorised(cell.train_acc.mean)
          cell.control_rule = verdicts.MEMORISED_RULE
        end
        F.cells[#F.cells + 1] = cell
      end
    end
  end
  -- where memorisation sets in: per size and noise level, along weight decay
  for _, n in ipairs(o.sizes) do
    for _, f in ipairs(levels(o)) do
      if f > 0 then
        local cs = select(F.cells, function(c) return c.size == n and c.noise == f end)
        local list = {}
        for _, c in ipairs(cs) do list[#list + 1] = { wd = c.wd, fraction = c.memorised } end
        local v, at = verdicts.memorisation_onset(list)
        F.onset[#F.onset + 1] = { size = n, noise = f, verdict = v, wd = at, rule = verdicts.ONSET_RULE }
      end
    end
  end
  -- at fixed weight decay (and the one architecture): the rank against the memorised fraction
  -- over every run with flipped labels (all sizes and noise levels > 0)
  local answers, answers_gap = {}, {}
  for _, wd in ipairs(o.weight_decays) do
    local c = select(runs, function(r) return r.hyper.weight_decay == wd and stats.usable(r.memorised) end)
    local xs, ys = stats.paired_values(c, function(r) return r.memorised end, function(r) return rank_of(r, M.MEASURE) end)
    local s = facts.rho(xs, ys)
    local xe, ye = stats.paired_values(c, function(r) return r.memorised end, function(r) return rank_of(r, M.COMPARE) end)
    s.compare = facts.rho(xe, ye)
    s.wd, s.answer, s.answer_rule = wd, verdicts.rises(s), verdicts.RISES_RULE
    F.vs_memorised[#F.vs_memorised + 1] = s
    answers[#answers + 1] = s.answer
    -- zero noise: the rank against the generalisation gap as the training set shrinks
    local z = select(runs, function(r) return r.hyper.weight_decay == wd and r.label_noise == 0 end)
    local gx, gy = stats.paired_values(z, function(r) return r.final.gap end, function(r) return rank_of(r, M.MEASURE) end)
    local g = facts.rho(gx, gy)
    local ex, ey = stats.paired_values(z, function(r) return r.final.gap end, function(r) return rank_of(r, M.COMPARE) end)
    g.compare = facts.rho(ex, ey)
    g.wd, g.answer, g.answer_rule = wd, verdicts.rises(g), verdicts.RISES_RULE
    F.vs_gap[#F.vs_gap + 1] = g
    answers_gap[#answers_gap + 1] = g.answer
  end
  F.answer_memorised = { answer = verdicts.all_agree(answers), rule = verdicts.ALL_AGREE_RULE }
  F.answer_gap = { answer = verdicts.all_agree(answers_gap), rule = verdicts.ALL_AGREE_RULE }
  -- the weight decays whose horizon was matched in every cell, and those where it was not
  F.H_unmatched = {}
  for _, wd in ipairs(o.weight_decays) do
    for _, c in ipairs(F.cells) do
      if c.wd == wd and c.n > 0 and not c.H_matched then F.H_unmatched[#F.H_unmatched + 1] = wd break end
    end
  end
  return F
end

-- ---- tables and figures ----

local function fmt(x, d) return x == nil and "" or string.format("%." .. (d or 4) .. "g", x) end

function M.summary(records)
  local header = { "id", "kind", "train_size", "label_noise", "weight_decay", "status", "converged", "stopped", "epochs",
    "wd_horizon", "train_acc", "test_acc", "gap", "memorised", "flipped", "rank:" .. M.MEASURE, "rank:" .. M.COMPARE,
    "ranks:" .. M.MEASURE, "ranks:" .. M.COMPARE, "wall_s" }
  local rows = {}
  for _, r in ipairs(records) do
    local f = r.final or {}
    local function layers(m)
      local p = {}
      for i, l in ipairs(r.layers or {}) do p[i] = fmt(l.ranks[m]) end
      return table.concat(p, ";")
    end
    rows[#rows + 1] = { r.id, r.kind, r.train_size, r.label_noise, r.hyper and r.hyper.weight_decay, r.status, r.converged,
      r.stopped, r.epochs, r.wd_horizon, f.train_acc, f.test_acc, f.gap, r.memorised, r.flipped, rank_of(r, M.MEASURE),
      rank_of(r, M.COMPARE), layers(M.MEASURE), layers(M.COMPARE), r.wall_time }
  end
  return header, rows
end

function M.cell_rows(F)
  local header = { "train_size", "label_noise", "weight_decay", "n", "converged", "H_mean", "H_min", "H_matched",
    "train_acc", "test_acc", "gap", "memorised", "memorised_half", "rank:" .. M.MEASURE, "rank_half:" .. M.MEASURE,
    "rank:" .. M.COMPARE, "rank_half:" .. M.COMPARE }
  local rows = {}
  for _, c in ipairs(F.cells) do
    rows[#rows + 1] = { c.size, c.noise, c.wd, c.n, c.converged, c.H.mean, c.H_min, c.H_matched, c.train_acc.mean,
      c.test_acc.mean, c.gap.mean, c.memorised.mean, c.memorised.half, c.rank.mean, c.rank.half, c.rank_compare.mean,
      c.rank_compare.half }
  end
  return header, rows
end

function M.figures(out, o, records, F)
  local figs = {}
  local runs = ok_runs(records)
  -- the memorised fraction against weight decay, one line per size and noise level
  local series = {}
  for _, n in ipairs(o.sizes) do
    for _, f in ipairs(levels(o)) do
      if f > 0 then
        local x, y, e = {}, {}, {}
        for _, c in ipairs(F.cells) do
          if c.size == n and c.noise == f and c.memorised.mean and c.wd > 0 then
            x[#x + 1], y[#y + 1], e[#e + 1] = c.wd, c.memorised.mean, c.memorised.half or 0
          end
        end
        if #x > 0 then series[#series + 1] = { name = string.format("%d images, noise %g", n, f), x = x, y = y, err = e } end
      end
    end
  end
  if #series > 0 then
    rh.plot.line { path = out .. "/memorised_vs_wd.png", title = "Memorised fraction against weight decay",
      xlabel = "weight decay", ylabel = "train accuracy on flipped examples (flipped labels)", logx = true,
      series = series, points = true }
    figs[#figs + 1] = { file = "memorised_vs_wd.png", title = "Memorised fraction against weight decay",
      caption = "Mean over seeds with 95% intervals; memorisation has set in at or above "
        .. verdicts.MEMORISATION_ONSET .. " (MEMORISATION_ONSET)." }
  end
  -- the rank against the memorised fraction, one series per weight decay
  series = {}
  for _, wd in ipairs(o.weight_decays) do
    local x, y = {}, {}
    for _, r in ipairs(runs) do
      if r.hyper.weight_decay == wd and stats.usable(r.memorised) and rank_of(r, M.MEASURE) then
        x[#x + 1], y[#y + 1] = r.memorised, rank_of(r, M.MEASURE)
      end
    end
    if #x > 0 then series[#series + 1] = { name = string.format("wd %g", wd), x = x, y = y } end
  end
  if #series > 0 then
    local title = "First-layer " .. M.MEASURE .. " rank against the memorised fraction"
    rh.plot.scatter { path = out .. "/rank_vs_memorised.png", title = title, xlabel = "memorised fraction",
      ylabel = M.MEASURE .. " rank of layer 1 (docs/calibration.md)", series = series }
    figs[#figs + 1] = { file = "rank_vs_memorised.png", title = title,
      caption = "One point per network with flipped labels (every size and noise level > 0); rank measure "
        .. M.MEASURE .. " (docs/calibration.md)." }
  end
  return figs
end

return M
