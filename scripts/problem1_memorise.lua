-- problem1_memorise.lua - Problem 1's memorisation grid: do networks that memorise end at a
-- higher convergent rank? One MLP wide enough to memorise, weight decay x label noise x
-- training-set size, 3 seeds a cell, a random-label control in the same table, each network
-- trained by problem 1's rules (problem1/train.lua); the memorised fraction
-- (rh.train.memorised) against the gap rank (docs/calibration.md), energy beside it.
--
--   rankhost scripts/problem1_memorise.lua [--quick|--full] [--out DIR] [--jobs N] [...]
--
-- Writes runs.jsonl, history/, summary.csv (one row per network), cells.csv (one row per
-- cell), facts.json, report.md and PNG figures into --out (default results/problem1_memorise;
-- docs/problem1.md says how to read them). A restart with the same --out continues.
local script_dir = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = script_dir .. "/?.lua;" .. package.path

local options = require "common.options"
local study = require "common.study"
local doc = require "common.report"
local facts_io = require "common.facts"
local memorise = require "problem1.memorise"
local trainer = require "problem1.train"
local report = require "problem1.memorise_report"

local tasks
study.run {
  name = "problem1_memorise", usage = memorise.USAGE, options = memorise.SPEC, keys = memorise.RUN_KEYS, argv = { ... },
  dirs = { "history" }, unit = "networks", fields = { "status" }, check = memorise.check,
  config = function(o) return { rule = trainer.rule_text(memorise.run_options(o)) } end,
  plan = memorise.plan,
  announce = function(ctx)
    print(string.format("problem 1, memorisation: %d networks (%s) -> %s", #ctx.plan,
      table.concat(memorise.sizes_of(ctx.o), "-"), ctx.out))
    print("settings: " .. options.describe(ctx.spec, ctx.o))
  end,
  prepare = function(ctx, share)
    tasks = memorise.tasks(ctx.o)
    for _, e in ipairs(share) do tasks.get(e.run) end
  end,
  train = function(run, ctx)
    local tag = ctx.place.label ~= "" and "[" .. ctx.place.label .. "] " or ""
    return trainer.train(run, tasks.get(run), memorise.run_options(ctx.o, run),
      ctx.out .. "/history/" .. run.id .. ".jsonl", function(line) print("  " .. tag .. line) end)
  end,
  summary = function(rec)
    if rec.status ~= "ok" then return string.format("%s (epoch %d), %.1f s", rec.status, rec.epochs, rec.wall_time) end
    return string.format("%s after %d epochs (H %.2f), train acc %.3f, memorised %s, %s rank %s, %.1f s",
      rec.converged and "converged" or rec.stopped, rec.epochs, rec.wd_horizon or 0, rec.final.train_acc,
      rec.memorised and string.format("%.3f", rec.memorised) or "-", memorise.MEASURE,
      tostring(memorise.rank_of(rec, memorise.MEASURE)), rec.wall_time)
  end,
  report = function(ctx, records)
    local analysis = require "problem1.analysis"
    local out, written = ctx.out, {}
    local function put(name, text)
      doc.write(out .. "/" .. name, text)
      written[#written + 1] = name
    end
    put("summary.csv", doc.csv(memorise.summary(records)))
    local F = memorise.facts(ctx.o, records)
    put("cells.csv", doc.csv(memorise.cell_rows(F)))
    F.figures = memorise.figures(out, ctx.o, records, F)
    for _, f in ipairs(F.figures) do written[#written + 1] = f.file end
    local t = analysis.timing(out)
    F.time = { wall_s = t.wall_s, starts = t.starts, cores = t.cores }
    F.options = facts_io.options(ctx.o)
    written[#written + 1] = facts_io.write(out, F)
    put("report.md", report.text(F))
    return written
  end,
}
