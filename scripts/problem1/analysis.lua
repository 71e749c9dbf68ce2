-- analysis.lua - problem 1's analysis of finished runs: summary.csv (one row per network),
-- the twin comparison (weight decay against none), the trends of the convergent rank with
-- accuracy, gap and size, and write_all, which writes every table, figure, facts.json
-- (problem1/facts.lua: the report's numbers and verdicts) and the report written from them.
local rh = require "rankhost"
local stats = require "common.stats"
local doc = require "common.report"
local classes = require "problem1.classes"
local ladder = require "problem1.ladder"
local trainer = require "problem1.train"
local measure = require "common.measure"

local M = {}

M.KINDS = { "real", "wd0", "random", "teacher", "parity", "noise", "mnist", "long" }
M.KIND_TEXT = { real = "real labels, wd > 0", wd0 = "real labels, wd = 0 (twins)", random = "random labels",
  teacher = "teacher ladder", parity = "parity ladder", noise = "label-noise ladder", mnist = "MNIST rung",
  long = "real labels, wd > 0, trained on to --long-horizon (the equilibrium check)" }

-- The rank measures present in the records (sorted names).
function M.measures(records)
  local set = {}
  for _, r in ipairs(records) do
    for _, layer in ipairs(r.layers or {}) do
      for k, v in pairs(layer.ranks or {}) do if type(v) == "number" then set[k] = true end end
    end
  end
  local list = {}
  for k in pairs(set) do list[#list + 1] = k end
  table.sort(list)
  return list
end

-- Runs of a kind, trained (status ok), optionally only the converged ones.
function M.of_kind(records, kind, converged_only)
  local out = {}
  for _, r in ipairs(records) do
    if r.kind == kind and r.status == "ok" and (r.converged or not converged_only) then out[#out + 1] = r end
  end
  return out
end

-- the usable values (nil and NaN dropped: common/stats.lua's one rule)
local values = stats.values
M.values = values

-- ---- summary.csv ----

function M.summary(records, measures)
  local header = { "id", "kind", "level", "dataset", "teacher_rank", "architecture", "depth", "parameters", "status",
    "converged", "rule", "stopped", "epochs", "wd_horizon", "weight_decay", "train_loss", "train_acc", "test_loss",
    "test_acc", "test_acc_before_cooldown", "gap", "wall_s" }
  for _, m in ipairs(measures) do header[#header + 1] = "ranks:" .. m end
  for _, m in ipairs(measures) do
    for _, f in ipairs(trainer.FIGURES) do header[#header + 1] = f .. ":" .. m end
  end
  -- the same network at initialisation (record.init, recorded at training)
  for _, m in ipairs(measures) do
    header[#header + 1] = "init_ranks:" .. m
    header[#header + 1] = "init_normalized:" .. m
    header[#header + 1] = "init_bottleneck:" .. m
  end
  local rows = {}
  for _, r in ipairs(records) do
    local f = r.final or {}
    -- lists in a cell: elements joined by ";" (docs/results.md)
    local row = { r.id, r.kind, r.level, r.dataset, r.teacher_rank, table.concat(r.architecture, ";"),
      #r.architecture - 2, r.num_parameters, r.status, r.converged, r.rule, r.stopped, r.epochs, r.wd_horizon,
      r.hyper and r.hyper.weight_decay, f.train_loss, f.train_acc, f.test_loss, f.test_acc, r.test_acc_before_cooldown,
      f.gap, r.wall_time }
    for _, m in ipairs(measures) do
      local parts = {}
      for i, l in ipairs(r.layers or {}) do parts[i] = string.format("%.4g", l.ranks[m]) end
      row[#row + 1] = table.concat(parts, ";")
    end
    for _, m in ipairs(measures) do
      for _, fig in ipairs(trainer.FIGURES) do row[#row + 1] = r.network and r.network[fig .. ":" .. m] end
    end
    local init = measure.init_of(r)
    for _, m in ipairs(measures) do
      local parts = {}
      for i, l in ipairs(init and init.layers or {}) do parts[i] = string.format("%.4g", l.ranks[m]) end
      row[#row + 1] = table.concat(parts, ";")
      row[#row + 1] = init and init.network["normalized:" .. m]
      row[#row + 1] = init and init.network["bottleneck:" .. m]
    end
    rows[#rows + 1] = row
  end
  return header, rows
end

-- ---- twins: the same draw with and without weight decay ----

-- For each wd0 run whose twin trained: the paired difference (twin minus wd0) of figure f
-- under m. Returns the list of { real, wd0 } pairs and the differences.
function M.twin_pairs(records, f, m)
  local by_id = {}
  for _, r in ipairs(records) do by_id[r.id] = r end
  local pairs_, diffs = {}, {}
  for _, w in ipairs(M.of_kind(records, "wd0")) do
    local r = w.twin and by_id[w.twin]
    if r and r.status == "ok" then
      pairs_[#pairs_ + 1] = { r, w }
      local a, b = ladder.figure(r, f, m), ladder.figure(w, f, m)
      if a and b then diffs[#diffs + 1] = a - b end
    end
  end
  return pairs_, diffs
end

-- ---- trends over the converged wd>0 real-label networks ----

M.TREND_FIGURES = { "normalized", "bottleneck", "last_hidden", "classifier" }
M.TARGETS = {
  { key = "test_acc", text = "test accuracy", get = function(r) return r.final.test_acc end },
  { key = "gap", text = "generalisation gap (train - test accuracy)", get = function(r) return r.final.gap end },
  { key = "parameters", text = "parameter count", get = function(r) return r.num_parameters end },
  { key = "min_width", text = "narrowest hidden width", get = function(r)
      local w = math.huge
      for i = 2, #r.architecture - 1 do w = math.min(w, r.architecture[i]) end
      return w end },
}

-- Spearman's rho (with its 95% interval) of each figure under m with each target, over runs
-- (the pairs where both are usable numbers): detail[figure][target] = {rho, lo, hi, n}.
function M.trends(runs, m)
  local detail = {}
  for _, f in ipairs(M.TREND_FIGURES) do
    detail[f] = {}
    for _, t in ipairs(M.TARGETS) do
      local xs, ys = stats.paired_values(runs, function(r) return ladder.figure(r, f, m) end, t.get)
      local rho, lo, hi = stats.spearman_ci(xs, ys)
      detail[f][t.key] = { rho = rho, lo = lo, hi = hi, n = #xs }
    end
  end
  return detail
end

-- ---- time ----

-- The study's measured time: every start's wall time (timing*.jsonl, one line per start of
-- each process: from the script's start to its report or, for a shard, its end), and the
-- numbers of runs trained at once (a start that trained none, a merge, adds none).
function M.timing(out)
  local t = { wall_s = 0, starts = 0, jobs = {}, cores = nil }
  for _, name in ipairs(rh.io.exists(out) and rh.io.listdir(out) or {}) do
    if name:match("^timing.*%.jsonl$") then
      local ok, rows = pcall(rh.log.read_jsonl, out .. "/" .. name)
      for _, r in ipairs(ok and rows or {}) do
        t.wall_s, t.starts = t.wall_s + (r.wall_s or 0), t.starts + 1
        if r.jobs ~= 0 then t.jobs[r.jobs or 1] = true end
        t.cores = r.cores or t.cores
      end
    end
  end
  return t
end

-- ---- writing everything ----

local function contains(list, x)
  for _, v in ipairs(list) do if v == x then return true end end
  return false
end

-- Writes summary.csv, classes.csv, complexity.csv, ladder_spearman.csv, the figures,
-- facts.json (problem1/facts.lua) and report.md (problem1/report.lua, from those facts) into out. Returns the list of files written.
function M.write_all(out, o, plan, records)
  local figures = require "problem1.figures"
  local report = require "problem1.report"
  local facts = require "problem1.facts"
  local facts_io = require "common.facts"
  local measures = M.measures(records)
  if #measures == 0 then measures = rh.rank.measure_names end
  local written = {}
  local function put(name, text)
    doc.write(out .. "/" .. name, text)
    written[#written + 1] = name
  end
  put("summary.csv", doc.csv(M.summary(records, measures)))
  -- classes over the converged wd>0 real-label networks, and over the wd0 twins
  local real = M.of_kind(records, "real", true)
  local cls = classes.classes(real, o.class_figure, o.measure, o.class_tol)
  local header, rows = classes.rows(cls, "real")
  local wd0 = M.of_kind(records, "wd0")
  local cls0 = classes.classes(wd0, o.class_figure, o.measure, o.class_tol)
  local _, rows0 = classes.rows(cls0, "wd0")
  for _, r in ipairs(rows0) do rows[#rows + 1] = r end
  put("classes.csv", doc.csv(header, rows))
  put("complexity.csv", doc.csv(ladder.rows(records, measures)))
  put("ladder_spearman.csv", doc.csv(ladder.spearman_rows(records, measures)))
  -- what the figures and the report share, computed once: the runs of each group, the
  -- classes, the twin pairs under the headline measure, the trends under every measure
  local ctx = { real = real, wd0 = wd0, cls = cls, cls0 = cls0, arch = classes.against_architecture(real, cls),
    twins = classes.against_twins(real, wd0, o.class_figure, o.measure, o.class_tol), trends = {}, out = out }
  ctx.pairs, ctx.diffs = M.twin_pairs(records, "normalized", o.measure)
  local trend_measures = { table.unpack(measures) }
  if not contains(measures, o.measure) then trend_measures[#trend_measures + 1] = o.measure end
  for _, mm in ipairs(trend_measures) do ctx.trends[mm] = { detail = M.trends(real, mm) } end
  local figs = figures.all(out, o, records, ctx)
  for _, f in ipairs(figs) do written[#written + 1] = f.file end
  if o._before_report then o._before_report() end
  -- the report's facts (facts.json), then its prose from those facts alone
  local f = facts.build(o, plan, records, measures, ctx, M.timing(out))
  f.figures = {}
  for _, fig in ipairs(figs) do f.figures[#f.figures + 1] = { title = fig.title, file = fig.file, caption = fig.caption } end
  written[#written + 1] = facts_io.write(out, f)
  put("report.md", report.text(f))
  return written
end

return M
