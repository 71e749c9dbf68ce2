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

local grid_study = require "problem1.grid_study"
local memorise = require "problem1.memorise"
local doc = require "common.report"

grid_study.run {
  name = "problem1_memorise", grid = memorise, report = require "problem1.memorise_report", argv = { ... },
  announce = function(ctx)
    return string.format("problem 1, memorisation: %d networks (%s) -> %s", #ctx.plan,
      table.concat(memorise.sizes_of(ctx.o), "-"), ctx.out)
  end,
  detail = function(rec)
    return string.format("train acc %.3f, memorised %s, %s rank %s", rec.final.train_acc,
      rec.memorised and string.format("%.3f", rec.memorised) or "-", memorise.MEASURE,
      tostring(memorise.rank_of(rec, memorise.MEASURE)))
  end,
  tables = function(F, put) put("cells.csv", doc.csv(memorise.cell_rows(F))) end,
  figures = memorise.figures,
}
