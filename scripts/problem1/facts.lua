-- facts.lua - problem 1's report as facts: every number a sentence or table of report.md
-- states (means with 95% intervals, medians with quartiles, Spearman's rho with its
-- interval, counts, n) and every verdict beside the rule that decided it
-- (common/verdicts.lua). report.lua writes the prose from these alone; analysis.write_all
-- writes them to facts.json.
local rh = require "rankhost"
local stats = require "common.stats"
local facts = require "common.facts"
local verdicts = require "common.verdicts"
local measure = require "common.measure"
local analysis = require "problem1.analysis"
local classes = require "problem1.classes"
local ladder = require "problem1.ladder"
local trainer = require "problem1.train"
local p1nulls = require "problem1.nulls"
local p1collapse = require "problem1.collapse"
local p1long = require "problem1.long"

local M = {}

local values = stats.values

-- ---- the findings ----

local function convergence(o, real, real_all)
  -- of the converged ones, those whose weight norms stood still too at the stop (a record
  -- from before the rule was observed has no verdict: not counted either way)
  local still, known = 0, 0
  for _, r in ipairs(real) do
    if r.norms_stationary ~= nil then
      known = known + 1
      if r.norms_stationary then still = still + 1 end
    end
  end
  return { converged = #real, trained = #real_all, rank_measure = o.rank_measure, min_horizon = o.min_horizon,
    max_epochs = o.max_epochs, norms_stationary = still, norms_known = known, norm_patience = verdicts.NORM_PATIENCE,
    norm_rel_tol = verdicts.NORM_REL_TOL }
end

-- The end against initialisation, network by network: every run's own network before its
-- first step (record.init), under the same measure.
local function from_init(runs, m)
  return facts.against(values(runs, function(r)
    local a, b = r.network["normalized:" .. m], measure.at_init(r, "normalized", m)
    return a and b and a - b or nil
  end))
end

local function init_median(runs, m)
  return stats.median(values(runs, function(r) return measure.at_init(r, "normalized", m) end))
end

local function nf(runs, f, m) return values(runs, function(r) return r.network[f .. ":" .. m] end) end

local function rank_wd(real, m)
  local nr = nf(real, "normalized", m)
  if #nr == 0 then return nil end
  return { normalized = facts.spread(nr), bottleneck_median = stats.median(nf(real, "bottleneck", m)),
    init_median = init_median(real, m), from_init = from_init(real, m) }
end

local function wd0_control(wd0, diffs, m)
  local n0 = nf(wd0, "normalized", m)
  if #n0 == 0 then return nil end
  local lower = 0
  for _, x in ipairs(diffs) do if x < 0 then lower = lower + 1 end end
  return { normalized = facts.spread(n0), init_median = init_median(wd0, m), from_init = from_init(wd0, m),
    paired = facts.against(diffs), lower = lower, pairs = #diffs }
end

local function random_control(random, m)
  if #random == 0 then return nil end
  local memorised = #values(random, function(r) return verdicts.memorised(r.final.train_acc) and 1 or nil end)
  return { n = #random, train_acc = facts.interval(values(random, function(r) return r.final.train_acc end)),
    memorised = memorised, memorised_rule = verdicts.MEMORISED_RULE, normalized = facts.spread(nf(random, "normalized", m)),
    bottleneck = facts.interval(nf(random, "bottleneck", m)) }
end

-- classes.against_architecture's table with its verdict.
local function arch_facts(a)
  return { classes = a.classes, n = a.n, architectures = a.architectures, multi = a.multi, replicated = a.replicated,
    consistent = a.consistent, spread = a.spread, eta2 = a.eta2, ari = a.ari,
    verdict = verdicts.classes_vs_architecture(a), rule = verdicts.CLASSES_RULE }
end

local function ladder_findings(records, m)
  local out = {}
  for _, fam in ipairs(ladder.present(records)) do
    if #fam.levels >= 2 then
      out[#out + 1] = { kind = fam.kind, what = fam.what, bottleneck = M.rho(ladder.spearman(records, fam.kind, "bottleneck", m)),
        first_layer = M.rho(ladder.spearman(records, fam.kind, "first_layer", m)) }
    end
  end
  return out
end

-- A rho table {rho, lo, hi, n} with its sign verdict.
function M.rho(s)
  local f = { rho = s.rho, lo = s.lo, hi = s.hi, n = s.n }
  f.sign, f.rule = verdicts.rho_sign(f), verdicts.RHO_SIGN_RULE
  return f
end

-- ---- the tables ----

-- The controls: every kind present, each with its counts, accuracies (mean, 95% interval)
-- and whole-network figures under m.
local function controls(records, m)
  local out = {}
  for _, k in ipairs(analysis.KINDS) do
    local runs = analysis.of_kind(records, k)
    if #runs > 0 then
      local function iv(f) return facts.interval(values(runs, f)) end
      out[#out + 1] = { kind = k, networks = #runs,
        converged = #values(runs, function(r) return r.converged and 1 or nil end),
        at_cap = #values(runs, function(r) return r.stopped == "max_epochs" and 1 or nil end),
        epochs_median = stats.median(values(runs, function(r) return r.epochs end)),
        horizon_median = stats.median(values(runs, function(r) return r.wd_horizon end)),
        train_acc = iv(function(r) return r.final.train_acc end), test_acc = iv(function(r) return r.final.test_acc end),
        normalized = facts.spread(nf(runs, "normalized", m)), bottleneck = iv(function(r) return r.network["bottleneck:" .. m] end),
        last_hidden = iv(function(r) return r.network["last_hidden:" .. m] end),
        classifier = iv(function(r) return r.network["classifier:" .. m] end) }
    end
  end
  return out
end

-- Each network figure under each measure: its classes read both ways, its rho with the
-- narrowest width, and whether it crosses architectures without reducing to the widths.
local function measure_choice(o, measures, ctx)
  local rows = {}
  for _, figure in ipairs { "bottleneck", "last_hidden" } do
    for _, mm in ipairs(measures) do
      -- the headline figure and measure's classes were made once, in analysis.write_all
      local headline = figure == o.class_figure and mm == o.measure
      local cls = headline and ctx.cls or classes.classes(ctx.real, figure, mm, o.class_tol)
      local a = headline and ctx.arch or classes.against_architecture(ctx.real, cls)
      local tw = headline and ctx.twins or classes.against_twins(ctx.real, ctx.wd0, figure, mm, o.class_tol)
      local tr = ctx.trends[mm].detail
      local w = M.rho(tr[figure] and tr[figure].min_width or {})
      local follows = verdicts.follows_width(w)
      -- the seeds' consistency against shuffled architecture labels (problem1/nulls.lua)
      local null = p1nulls.class_facts(ctx.real, cls, figure, mm, o.class_tol)
      local verdict, why = verdicts.crosses_architectures(a, follows, null.verdict)
      rows[#rows + 1] = { figure = figure, measure = mm, rounded = classes.ROUNDED[mm] == true, classes = a.classes,
        multi = a.multi, replicated = a.replicated, consistent = a.consistent, eta2 = a.eta2, ari = a.ari,
        twins_ari = tw.ari, median = stats.median(values(ctx.real, function(r) return r.network[figure .. ":" .. mm] end)),
        min_width = w, follows_width = follows, follows_rule = verdicts.FOLLOWS_WIDTH_RULE, verdict = verdict,
        why = why, rule = verdicts.CROSSES_RULE, null = null }
    end
  end
  return rows
end

local function class_rows(cls)
  local out = {}
  for _, c in ipairs(cls) do
    out[#out + 1] = { id = c.id, value = c.value, networks = #c.members, architectures = classes.architectures(c),
      test_acc = facts.interval(values(c.members, function(r) return r.final.test_acc end)) }
  end
  return out
end

local function twin_rows(pairs_, m)
  local out = {}
  for _, p in ipairs(pairs_) do
    local r, w = p[1], p[2]
    out[#out + 1] = { id = r.id, architecture = table.concat(r.architecture, "-"), converged = r.converged == true,
      normalized_wd = r.network["normalized:" .. m], normalized_wd0 = w.network["normalized:" .. m],
      bottleneck_wd = r.network["bottleneck:" .. m], bottleneck_wd0 = w.network["bottleneck:" .. m],
      test_acc_wd = r.final.test_acc, test_acc_wd0 = w.final.test_acc, horizon = r.wd_horizon }
  end
  return out
end

-- The trends under m: rho of each figure with each target, in the tables' order.
local function trend_rows(detail)
  local out = {}
  for _, f in ipairs(analysis.TREND_FIGURES) do
    local row = { figure = f, rho = {} }
    for _, t in ipairs(analysis.TARGETS) do row.rho[#row.rho + 1] = M.rho(detail[f][t.key]) end
    out[#out + 1] = row
  end
  return out
end

local function ladder_tables(records, m)
  local rungs, rhos = {}, {}
  local fams = ladder.present(records)
  for _, fam in ipairs(fams) do
    for _, l in ipairs(fam.levels) do
      local ok = {}
      for _, r in ipairs(fam.groups[l]) do if r.status == "ok" and r.converged then ok[#ok + 1] = r end end
      local function f(name) return facts.interval(values(ok, function(r) return ladder.figure(r, name, m) end)) end
      rungs[#rungs + 1] = { kind = fam.kind, level = l, runs = #fam.groups[l], converged = #ok,
        train_acc = facts.interval(values(ok, function(r) return r.final.train_acc end)),
        test_acc = facts.interval(values(ok, function(r) return r.final.test_acc end)),
        bottleneck = f("bottleneck"), last_hidden = f("last_hidden"), first_layer = f("first_layer") }
    end
    if #fam.levels >= 2 then
      for _, fig in ipairs(ladder.FIGURES) do
        rhos[#rhos + 1] = { kind = fam.kind, figure = fig, rho = M.rho(ladder.spearman(records, fam.kind, fig, m)) }
      end
    end
  end
  return { families = #fams, rungs = rungs, spearman = rhos }
end

local function not_converged(records)
  local rows, wd0, diverged = {}, 0, 0
  for _, r in ipairs(records) do
    if not r.converged then
      rows[#rows + 1] = { id = r.id, kind = r.kind, architecture = table.concat(r.architecture, "-"), status = r.status,
        stopped = r.stopped, epochs = r.epochs, horizon = r.wd_horizon, why = r.diverged or "" }
      if r.kind == "wd0" then wd0 = wd0 + 1 end
      if r.status ~= "ok" then diverged = diverged + 1 end
    end
  end
  return { runs = rows, wd0 = wd0, diverged = diverged }
end

local function setup(plan, records)
  local count = {}
  for _, r in ipairs(plan) do count[r.kind] = (count[r.kind] or 0) + 1 end
  local kinds = {}
  for _, k in ipairs(analysis.KINDS) do
    if count[k] then kinds[#kinds + 1] = { kind = k, planned = count[k], text = analysis.KIND_TEXT[k] } end
  end
  local total = 0
  for _, r in ipairs(records) do total = total + (r.wall_time or 0) end
  return { planned = #plan, kinds = kinds, with_results = #records, train_seconds = total }
end

local function time_facts(timing)
  local jobs = {}
  for j in pairs(timing.jobs) do jobs[#jobs + 1] = j end
  table.sort(jobs)
  return { wall_s = timing.wall_s, starts = timing.starts, jobs = jobs, cores = timing.cores or 0 }
end

-- Every fact of the report. ctx: what analysis.write_all computed once for the figures and
-- the report (the converged real-label runs, the wd0 runs, the classes, twin pairs, trends).
function M.build(o, plan, records, measures, ctx, timing)
  local m = o.measure
  local real, wd0 = ctx.real, ctx.wd0
  local trend = ctx.trends[m].detail
  local f = { study = "problem1", measure = m, measure_text = rh.rank.measures[m] or "", command = o._command or "",
    settings = facts.options(o), measures = measures }
  f.findings = {
    convergence = convergence(o, real, analysis.of_kind(records, "real")),
    rank_wd = rank_wd(real, m),
    wd0 = wd0_control(wd0, ctx.diffs, m),
    random = random_control(analysis.of_kind(records, "random"), m),
    classes = arch_facts(ctx.arch),
    twins = ctx.twins.n > 0 and { n = ctx.twins.n, ari = ctx.twins.ari } or nil,
    trends = trend.normalized and { gap = M.rho(trend.normalized.gap), test_acc = M.rho(trend.bottleneck.test_acc),
      min_width = M.rho(trend.bottleneck.min_width) } or nil,
    ladder = ladder_findings(records, m),
  }
  f.setup = setup(plan, records)
  f.time = time_facts(timing)
  f.stop_rule = trainer.rule_text(o)
  f.controls = controls(records, m)
  f.measure_choice = measure_choice(o, measures, ctx)
  -- the headline figure's null (the row of measure_choice for o.class_figure under m)
  for _, row in ipairs(f.measure_choice) do
    if row.figure == o.class_figure and row.measure == m then f.findings.classes.null = row.null end
  end
  if o.class_figure == "profile" then
    f.findings.classes.null = p1nulls.class_facts(real, ctx.cls, "profile", m, o.class_tol)
  end
  f.headline = o._headline
  f.collapse = p1collapse.build(records, m, analysis.KINDS)
  -- the equilibrium check (--long): ranks at H ~ --long-at (the run's history) against the end
  f.long = p1long.build(records, o, measures, function(id)
    if not ctx.out then return nil end
    local ok, rows = pcall(rh.log.read_jsonl, ctx.out .. "/history/" .. id .. ".jsonl")
    return ok and rows or nil
  end)
  f.classes = class_rows(ctx.cls)
  f.wd0_classes = ctx.cls0 and #ctx.cls0 or 0
  f.twins = twin_rows(ctx.pairs, m)
  local targets = {}
  for i, t in ipairs(analysis.TARGETS) do targets[i] = t.key end
  f.trends = { n = #real, targets = targets, rows = trend_rows(trend),
    by_architecture = p1nulls.trend_facts(real, m, analysis.TREND_FIGURES, analysis.TARGETS) }
  f.ladder = ladder_tables(records, m)
  f.not_converged = not_converged(records)
  return f
end

return M
