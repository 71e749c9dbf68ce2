-- problem1_width_depth.lua - Problem 1's width x depth factorial: is the convergent rank a
-- property of the task rather than the width? MLPs of every hidden width x depth, 3 seeds
-- each, trained by problem 1's rules (problem1/train.lua); each layer family's gap rank
-- (docs/calibration.md; energy beside it) against log width, its plateau (stats.plateau) and
-- whether the plateau value depends on depth.
--
--   rankhost scripts/problem1_width_depth.lua [--quick|--full] [--out DIR] [--jobs N] [...]
--
-- Writes runs.jsonl, history/, summary.csv (one row per network), facts.json, report.md and PNG figures into --out (default results/problem1_width_depth;
-- docs/problem1.md says how to read them). A restart with the same --out continues.
local script_dir = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = script_dir .. "/?.lua;" .. package.path

local grid_study = require "problem1.grid_study"
local wd = require "problem1.width_depth"

grid_study.run {
  name = "problem1_width_depth", grid = wd, report = require "problem1.width_depth_report", argv = { ... },
  announce = function(ctx)
    return string.format("problem 1, width x depth: %d networks (widths %s, depths %s) -> %s", #ctx.plan,
      table.concat(ctx.o.widths, ","), table.concat(ctx.o.depths, ","), ctx.out)
  end,
  detail = function(rec)
    return string.format("test acc %.3f, first-layer %s rank %s", rec.final.test_acc, wd.MEASURE,
      tostring(wd.family_rank(rec, wd.FAMILIES[1], wd.MEASURE)))
  end,
}
