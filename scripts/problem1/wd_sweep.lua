-- wd_sweep.lua - problem 1's weight-decay sweep (scripts/problem1_wd_sweep.lua): one MLP on
-- the real task at every weight decay of a list (over more than a decade), 3 seeds each,
-- trained by problem 1's trainer; weight decay is chosen on a validation split carved from
-- the training split (never the test set: the test accuracy is reported for the chosen
-- decay only, beside the others'); the rank of each layer family against weight decay, and
-- whether it plateaus over the decays where validation accuracy holds (within ACC_HOLDS of
-- the best). The report writer is problem1/wd_sweep_report.lua.
--
-- Run ids: ws<seed>-wd<wd>-s<seed index>. The seed index gives the same initialisation and
-- batch order at every weight decay.
local rh = require "rankhost"
local regime = require "common.regime"
local data = require "common.data"
local stats = require "common.stats"
local facts = require "common.facts"
local verdicts = require "common.verdicts"
local memorise = require "problem1.memorise"
local width_depth = require "problem1.width_depth"
local measure = require "common.measure"

local M = {}

M.MEASURE, M.COMPARE, M.FAMILIES = memorise.MEASURE, memorise.COMPARE, width_depth.FAMILIES
M.family_rank, M.sizes_of, M.check = width_depth.family_rank, memorise.sizes_of, width_depth.check

M.USAGE = "usage: rankhost scripts/problem1_wd_sweep.lua [options]\n"
  .. "Problem 1's weight-decay sweep: one MLP at every weight decay, 3 seeds each, the decay chosen on a\n"
  .. "validation split; the rank against weight decay and whether it plateaus where accuracy holds\n"
  .. "(gap measure, docs/calibration.md); writes into --out."

M.SPEC = {
  { name = "quick", type = "preset", help = "every output in about a minute: 64 hidden units, 500 images, "
    .. "3 weight decays, 30 epochs at most",
    sets = { hidden = { 64 }, train_size = 500, val_size = 250, test_size = 500, weight_decays = { 1e-3, 3e-3, 1e-2 },
      max_epochs = 30, min_horizon = 1, sat_patience = 3, rank_patience = 3, cooldown = 2, probe = 128 } },
  { name = "full", type = "preset", help = "a bigger machine: 50,000 training and 10,000 validation images, 300 epochs",
    sets = { train_size = 50000, val_size = 10000, test_size = 0, max_epochs = 300 } },
  { name = "seeds", type = "int", default = 3, min = 1, help = "networks per weight decay" },
  { name = "hidden", type = "ints", default = { 128, 128 }, min = 1, metavar = "W,W,...", help = "hidden widths" },
  { name = "train-size", type = "int", default = 4000, min = 10, help = "training images (the first N of the split)" },
  { name = "val-size", type = "int", default = 1000, min = 10,
    help = "validation images: the N after the training images, the same split (weight decay is chosen on them)" },
  { name = "weight-decays", type = "numbers", default = { 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2 }, min = 0,
    metavar = "WD,WD,...", help = "weight decays of the sweep" },
}
for _, e in ipairs(memorise.shared_spec({ ["max-epochs"] = 100 })) do M.SPEC[#M.SPEC + 1] = e end

M.RUN_KEYS = regime.run_keys { "seed", "dataset", "data_dir", "train_split", "holdout", "train_size", "val_size",
  "test_size", "hidden", "sat_patience", "sat_tol", "sat_min_delta", "probe" }

-- the cells of the plan (problem1/grid_study.lua expands them into --seeds networks each):
-- one per weight decay; a decay of 0 costs twice (it trains longer)
function M.cells(o)
  local cells, sizes = {}, M.sizes_of(o)
  for _, wd in ipairs(o.weight_decays) do
    cells[#cells + 1] = { id = string.format("ws%d-wd%g", o.seed, wd), weight_decay = wd, sizes = sizes,
      work = o.train_size * (wd > 0 and 1 or 2) }
  end
  return cells
end

-- the task: training on the first --train-size images, "test" (what the trainer measures
-- and fit never sees) the validation images after them; the test set is measured after
-- training (task.after) and used for nothing but the report
function M.tasks(o)
  local task
  return { get = function()
    if task then return task end
    local real = data.real(setmetatable({ train_size = o.train_size + o.val_size }, { __index = o }), o.dataset)
    if real.train:size() < o.train_size + o.val_size then
      error(string.format("problem1_wd_sweep: --train-size %d + --val-size %d is more than the %d training images",
        o.train_size, o.val_size, real.train:size()), 0)
    end
    local test = real.test
    task = data.finish({ train = real.train:subset(1, o.train_size),
      test = real.train:subset(o.train_size + 1, o.train_size + o.val_size),
      dataset = string.format("%s (%d train / %d validation / %d test)", o.dataset, o.train_size, o.val_size,
        test:size()) }, o, 0)
    function task.after(model, rec)
      rec.final.val_acc, rec.final.val_loss = rec.final.test_acc, rec.final.test_loss
      rec.final.test_loss, rec.final.test_acc = measure.evaluate(model, test)
      rec.final.gap = rec.final.train_acc - rec.final.test_acc
    end
    return task
  end }
end

function M.run_options(o, run)
  return setmetatable({ weight_decay = run and run.weight_decay, wd0_epochs = 0 }, { __index = o })
end

function M.facts(o, records)
  local runs = {}
  for _, r in ipairs(records) do if r.status == "ok" then runs[#runs + 1] = r end end
  local depth = #o.hidden
  local F = { measure = M.MEASURE, compare = M.COMPARE, architecture = M.sizes_of(o), weight_decays = o.weight_decays,
    seeds = o.seeds, train_size = o.train_size, val_size = o.val_size, min_horizon = o.min_horizon,
    max_epochs = o.max_epochs, runs = #records, trained = #runs, cells = {}, families = {} }
  for _, wd in ipairs(o.weight_decays) do
    local c = {}
    for _, r in ipairs(runs) do if r.hyper.weight_decay == wd then c[#c + 1] = r end end
    local H = stats.values(c, function(r) return r.wd_horizon end)
    local cell = { wd = wd, n = #c, H = facts.interval(H), H_min = (stats.minmax(H)),
      converged = #stats.values(c, function(r) return r.converged and 1 or nil end),
      train_acc = facts.interval(stats.values(c, function(r) return r.final.train_acc end)),
      val_acc = facts.interval(stats.values(c, function(r) return r.final.val_acc end)),
      test_acc = facts.interval(stats.values(c, function(r) return r.final.test_acc end)), ranks = {} }
    cell.H_matched = cell.H_min ~= nil and cell.H_min >= o.min_horizon
    for _, f in ipairs(M.FAMILIES) do
      if #f.layers(depth) > 0 then width_depth.family_intervals(cell.ranks, c, f) end
    end
    F.cells[#F.cells + 1] = cell
  end
  -- the weight decay chosen on validation, and the decays where accuracy holds
  local best
  for _, c in ipairs(F.cells) do
    if stats.usable(c.val_acc.mean) and (not best or c.val_acc.mean > best.val_acc.mean) then best = c end
  end
  F.chosen = best and { wd = best.wd, val_acc = best.val_acc, test_acc = best.test_acc, rule = "highest mean validation accuracy" }
  F.holds, F.holds_matched = {}, {}
  for _, c in ipairs(F.cells) do
    c.accuracy_holds = best ~= nil and verdicts.accuracy_holds(c.val_acc.mean, best.val_acc.mean)
    if c.accuracy_holds then F.holds[#F.holds + 1] = c.wd end
    if c.accuracy_holds and c.H_matched then F.holds_matched[#F.holds_matched + 1] = c.wd end
  end
  F.holds_rule = verdicts.ACC_HOLDS_RULE
  for _, f in ipairs(M.FAMILIES) do
    if #f.layers(depth) > 0 then
      -- the plateau is judged at matched horizon (H >= --min-horizon in every run of the
      -- decay); with the unmatched decays too beside it
      local ivs, all, xs, ys = {}, {}, {}, {}
      for _, c in ipairs(F.cells) do
        if c.accuracy_holds then
          all[#all + 1] = c.ranks[f.key]
          if c.H_matched then ivs[#ivs + 1] = c.ranks[f.key] end
        end
      end
      for _, r in ipairs(runs) do
        local y = width_depth.family_rank(r, f, M.MEASURE)
        if y and r.hyper.weight_decay > 0 then xs[#xs + 1], ys[#ys + 1] = math.log(r.hyper.weight_decay), y end
      end
      local dep, dep_all = verdicts.depends(ivs), verdicts.depends(all)
      F.families[#F.families + 1] = { key = f.key, text = f.text, vs_wd = facts.rho(xs, ys), depends = dep,
        depends_unmatched_too = dep_all, plateaus_unmatched_too = verdicts.plateaus(dep_all, #all),
        depends_rule = verdicts.DEPENDS_RULE, plateaus = verdicts.plateaus(dep, #ivs), plateaus_rule = verdicts.PLATEAUS_RULE,
        holds_n = #ivs }
    end
  end
  F.answer = { answer = F.families[1] and F.families[1].plateaus or "cannot tell", family = "first",
    rule = verdicts.PLATEAUS_RULE }
  F.H_unmatched = {}
  for _, c in ipairs(F.cells) do if c.n > 0 and not c.H_matched then F.H_unmatched[#F.H_unmatched + 1] = c.wd end end
  return F
end

function M.summary(records)
  local header = width_depth.family_header { "id", "weight_decay", "status", "converged", "epochs", "wd_horizon",
    "train_acc", "val_acc", "test_acc" }
  local rows = {}
  for _, r in ipairs(records) do
    local fin = r.final or {}
    rows[#rows + 1] = width_depth.family_row({ r.id, r.hyper and r.hyper.weight_decay, r.status, r.converged, r.epochs,
      r.wd_horizon, fin.train_acc, fin.val_acc, fin.test_acc }, r)
  end
  return header, rows
end

function M.figures(out, o, F)
  local series = {}
  for _, f in ipairs(F.families) do
    local x, y, e = {}, {}, {}
    for _, c in ipairs(F.cells) do
      local iv = c.ranks[f.key]
      if iv and iv.mean and c.wd > 0 then x[#x + 1], y[#y + 1], e[#e + 1] = c.wd, iv.mean, iv.half or 0 end
    end
    if #x > 0 then series[#series + 1] = { name = f.text, x = x, y = y, err = e } end
  end
  if #series == 0 then return {} end
  local title = "Convergent " .. M.MEASURE .. " rank against weight decay"
  rh.plot.line { path = out .. "/rank_vs_wd.png", title = title, xlabel = "weight decay", logx = true, points = true,
    ylabel = M.MEASURE .. " rank (docs/calibration.md)", series = series }
  return { { file = "rank_vs_wd.png", title = title, caption = "Mean over " .. o.seeds .. " seeds with 95% intervals, "
    .. "one line per layer family; rank measure " .. M.MEASURE .. " (docs/calibration.md)." } }
end

return M
