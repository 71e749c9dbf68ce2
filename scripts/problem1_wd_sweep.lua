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

local grid_study = require "problem1.grid_study"
local wd = require "problem1.wd_sweep"

grid_study.run {
  name = "problem1_wd_sweep", grid = wd, report = require "problem1.wd_sweep_report", argv = { ... },
  rule_run = function(o) return { weight_decay = o.weight_decays[1] } end,
  announce = function(ctx)
    return string.format("problem 1, weight-decay sweep: %d networks (%s, weight decays %s) -> %s", #ctx.plan,
      table.concat(wd.sizes_of(ctx.o), "-"), table.concat(ctx.o.weight_decays, ","), ctx.out)
  end,
  detail = function(rec)
    return string.format("validation acc %.3f, first-layer %s rank %s", rec.final.val_acc or 0, wd.MEASURE,
      tostring(wd.family_rank(rec, wd.FAMILIES[1], wd.MEASURE)))
  end,
}
