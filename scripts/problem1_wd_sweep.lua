-- problem1_wd_sweep.lua - Problem 1's weight-decay sweep: the convergent rank of one MLP
-- against weight decay over more than a decade, 3 seeds each, weight decay chosen on a
-- validation split (never the test set), trained by problem 1's rules (problem1/train.lua);
-- whether the gap rank (docs/calibration.md; energy beside it) plateaus over the decays
-- where validation accuracy holds.
--
--   rankhost scripts/problem1_wd_sweep.lua [--quick|--full] [--out DIR] [--jobs N] [...]
--
-- Writes runs.jsonl, history/, summary.csv (one row per network), facts.json, report.md and
-- rank_vs_wd.png into --out (default results/problem1_wd_sweep). A restart continues.
local script_dir = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = script_dir .. "/?.lua;" .. package.path

local options = require "common.options"
local study = require "common.study"
local doc = require "common.report"
local facts_io = require "common.facts"
local wd = require "problem1.wd_sweep"
local trainer = require "problem1.train"
local report = require "problem1.wd_sweep_report"

local tasks
study.run {
  name = "problem1_wd_sweep", usage = wd.USAGE, options = wd.SPEC, keys = wd.RUN_KEYS, argv = { ... },
  dirs = { "history" }, unit = "networks", fields = { "status" }, check = wd.check,
  config = function(o) return { rule = trainer.rule_text(wd.run_options(o, { weight_decay = o.weight_decays[1] })) } end,
  plan = wd.plan,
  announce = function(ctx)
    print(string.format("problem 1, weight-decay sweep: %d networks (%s, weight decays %s) -> %s", #ctx.plan,
      table.concat(wd.sizes_of(ctx.o), "-"), table.concat(ctx.o.weight_decays, ","), ctx.out))
    print("settings: " .. options.describe(ctx.spec, ctx.o))
  end,
  prepare = function(ctx, share)
    tasks = wd.tasks(ctx.o)
    for _, e in ipairs(share) do tasks.get(e.run) end
  end,
  train = function(run, ctx)
    local tag = ctx.place.label ~= "" and "[" .. ctx.place.label .. "] " or ""
    return trainer.train(run, tasks.get(run), wd.run_options(ctx.o, run),
      ctx.out .. "/history/" .. run.id .. ".jsonl", function(line) print("  " .. tag .. line) end)
  end,
  summary = function(rec)
    if rec.status ~= "ok" then return string.format("%s (epoch %d), %.1f s", rec.status, rec.epochs, rec.wall_time) end
    return string.format("%s after %d epochs (H %.2f), validation acc %.3f, first-layer %s rank %s, %.1f s",
      rec.converged and "converged" or rec.stopped, rec.epochs, rec.wd_horizon or 0, rec.final.val_acc or 0, wd.MEASURE,
      tostring(wd.family_rank(rec, wd.FAMILIES[1], wd.MEASURE)), rec.wall_time)
  end,
  report = function(ctx, records)
    local analysis = require "problem1.analysis"
    local out, written = ctx.out, {}
    local function put(name, text)
      doc.write(out .. "/" .. name, text)
      written[#written + 1] = name
    end
    put("summary.csv", doc.csv(wd.summary(records)))
    local F = wd.facts(ctx.o, records)
    F.figures = wd.figures(out, ctx.o, F)
    for _, f in ipairs(F.figures) do written[#written + 1] = f.file end
    local t = analysis.timing(out)
    F.time = { wall_s = t.wall_s, starts = t.starts, cores = t.cores }
    F.options = facts_io.options(ctx.o)
    written[#written + 1] = facts_io.write(out, F)
    put("report.md", report.text(F))
    return written
  end,
}
