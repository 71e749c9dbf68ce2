-- wd_sweep_report.lua - report.md of problem 1's weight-decay sweep, written from its facts
-- (problem1/wd_sweep.lua's M.facts, facts.json) alone.
local doc = require "common.report"
local prose = require "common.prose"
local width_depth_report = require "problem1.width_depth_report"

local M = {}

local ANSWER = width_depth_report.ANSWER

function M.text(F)
  local L = {}
  local function say(s) L[#L + 1] = s end
  say("# Problem 1: the convergent rank against weight decay")
  say("")
  say(string.format("One MLP (%s) on the real task (%d training images, %d validation images from the same split, "
    .. "the test set measured after training only) at weight decay %s, %d seeds each, trained by problem 1's rules "
    .. "(loss saturation and rank convergence after a weight-decay horizon of %g, at most %d epochs, then the "
    .. "cooldown): %d of %d networks trained. Rank measure **%s** (docs/calibration.md: the best-supported "
    .. "measure), %s beside it.", table.concat(F.architecture, "-"), F.train_size, F.val_size,
    table.concat(F.weight_decays, ", "), F.seeds, F.min_horizon, F.max_epochs, F.trained, F.runs, F.measure, F.compare))
  say("")
  say("## Answer")
  say("")
  if F.chosen then
    say(string.format("- **Weight decay chosen on validation** (%s): %g, validation accuracy %s, its test accuracy %s "
      .. "(n = %d).", F.chosen.rule, F.chosen.wd, prose.interval(F.chosen.val_acc), prose.interval(F.chosen.test_acc),
      F.chosen.val_acc.n))
  end
  local function list(ws)
    local out = {}
    for i, w in ipairs(ws) do out[i] = string.format("%g", w) end
    return #out > 0 and table.concat(out, ", ") or "none"
  end
  local first = F.families[1]
  if first then
    local parts = {}
    for _, c in ipairs(F.cells) do
      if c.accuracy_holds then
        parts[#parts + 1] = string.format("wd %g: %s%s", c.wd, prose.interval(c.ranks.first),
          c.H_matched and "" or " (H not matched)")
      end
    end
    say(string.format("- **Does the rank plateau where accuracy holds?** %s for the first layer (rule %s over the "
      .. "weight decays whose validation accuracy holds, rule %s, at matched horizon: %s; with the unmatched ones too "
      .. "(%s) the rule says %s): %s. Over every weight decay, Spearman's rho of the rank with log weight decay is %s.",
      ANSWER[F.answer.answer], F.answer.rule, F.holds_rule, list(F.holds_matched), list(F.holds),
      first.plateaus_unmatched_too, table.concat(parts, "; "), prose.rho(first.vs_wd)))
  end
  if #F.H_unmatched > 0 then
    local w = {}
    for i, x in ipairs(F.H_unmatched) do w[i] = string.format("%g", x) end
    say(string.format("- **Horizon:** at weight decay %s the horizon stayed below %g within the %d-epoch cap: those "
      .. "networks are compared at the cap, not at a matched H.", table.concat(w, ", "), F.min_horizon, F.max_epochs))
  else
    say(string.format("- **Horizon:** every network reached H >= %g (matched horizon).", F.min_horizon))
  end
  say("")
  say("## Every weight decay (mean ± 95% interval over seeds)")
  say("")
  local rows = {}
  for _, c in ipairs(F.cells) do
    rows[#rows + 1] = { doc.num(c.wd), c.n, prose.interval(c.H, 3), c.H_matched and "yes" or "no",
      prose.interval(c.train_acc), prose.interval(c.val_acc), c.accuracy_holds and "yes" or "no",
      prose.interval(c.ranks.first), prose.interval(c.ranks.hidden), prose.interval(c.ranks.classifier),
      prose.interval(c.ranks["first:" .. F.compare]) }
  end
  say(doc.md_table({ "wd", "n", "H", "H matched", "train acc", "validation acc", "accuracy holds",
    F.measure .. " first", F.measure .. " hidden", F.measure .. " classifier", F.compare .. " first" }, rows))
  say("")
  say("| family | rho with log wd | depends on wd (accuracy holds, H matched) | plateaus | plateaus, unmatched H too |")
  say("|---|---|---|---|---|")
  for _, f in ipairs(F.families) do
    say(string.format("| %s | %s | %s | %s | %s |", f.text, prose.rho(f.vs_wd), f.depends, f.plateaus,
      f.plateaus_unmatched_too))
  end
  say("")
  width_depth_report.figures_and_time(say, F)
  return table.concat(L, "\n")
end

return M
