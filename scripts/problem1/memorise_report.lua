-- memorise_report.lua - report.md of problem 1's memorisation grid, written from its facts
-- (problem1/memorise.lua's M.facts, facts.json) alone: every sentence beside its number,
-- interval and n; the random-label control in the same table as the grid.
local doc = require "common.report"
local prose = require "common.prose"

local M = {}

local ANSWER = { yes = "**yes**", no = "**no**", mixed = "**mixed**", ["cannot tell"] = "**cannot tell**" }
local ONSET = { none = "never (no weight decay of the grid)", all = "at every weight decay of the grid (up to %g)",
  below = "at weight decay %g and below" }

local function iv(x, d) return prose.interval(x, d) end

function M.text(F)
  local L = {}
  local function say(s) L[#L + 1] = s end
  local arch = table.concat(F.architecture, "-")
  say("# Problem 1: memorisation, weight decay and the convergent rank")
  say("")
  say(string.format("One MLP (%s) trained by problem 1's rules (loss saturation and rank convergence after a "
    .. "weight-decay horizon of %g, at most %d epochs, then the cooldown) on every cell of weight decay (%s) x "
    .. "label noise (%s) x training-set size (%s), %d seeds a cell: %d of %d networks trained. The rank measure "
    .. "is **%s** on layer %d, the best-supported measure of the calibration (docs/calibration.md: it recovers k "
    .. "on the linear and multi-index teachers' first layer); %s is shown beside it for comparison. The "
    .. "memorised fraction is the training accuracy on the flipped examples against their flipped labels "
    .. "(rh.train.memorised). Label noise 1 is the random-label control.",
    arch, F.min_horizon, F.max_epochs, table.concat(F.weight_decays, ", "), table.concat(F.noise_levels, ", "),
    table.concat(F.sizes, ", "), F.seeds, F.trained, F.runs, F.measure, F.layer, F.compare))
  say("")
  say("## Answers")
  say("")
  local parts = {}
  for _, s in ipairs(F.vs_memorised) do
    parts[#parts + 1] = string.format("wd %g: %s, rho %s (%s: %s)", s.wd, s.answer, prose.rho(s), F.compare,
      prose.rho(s.compare))
  end
  say(string.format("- **Do networks that memorise have a higher rank?** %s at fixed weight decay and architecture "
    .. "(Spearman's rho of the %s rank with the memorised fraction over every network with flipped labels, per "
    .. "weight decay; rule %s over rule %s): %s.", ANSWER[F.answer_memorised.answer], F.measure, F.answer_memorised.rule,
    F.vs_memorised[1] and F.vs_memorised[1].answer_rule or "rises", table.concat(parts, "; ")))
  parts = {}
  for _, s in ipairs(F.vs_gap) do
    parts[#parts + 1] = string.format("wd %g: %s, rho %s (%s: %s)", s.wd, s.answer, prose.rho(s), F.compare,
      prose.rho(s.compare))
  end
  say(string.format("- **At zero noise, does the rank rise with the generalisation gap as the training set "
    .. "shrinks?** %s (rho of the %s rank with train - test accuracy over the sizes %s, per weight decay): %s.",
    ANSWER[F.answer_gap.answer], F.measure, table.concat(F.sizes, ", "), table.concat(parts, "; ")))
  parts = {}
  for _, x in ipairs(F.onset) do
    parts[#parts + 1] = string.format("%d images, noise %g: %s", x.size, x.noise,
      string.format(ONSET[x.verdict] or x.verdict, x.wd))
  end
  say(string.format("- **Where memorisation sets in** (mean memorised fraction >= %g, rule %s): %s.",
    F.thresholds.MEMORISATION_ONSET, F.onset[1] and F.onset[1].rule or "", table.concat(parts, "; ")))
  local ctl = {}
  for _, c in ipairs(F.cells) do
    if c.noise == 1 and c.n > 0 then
      ctl[#ctl + 1] = string.format("%d images, wd %g: train acc %s (%s)", c.size, c.wd, iv(c.train_acc),
        c.control_memorised and "memorised" or "not memorised")
    end
  end
  if #ctl > 0 then
    say(string.format("- **The random-label control** (memorised: train accuracy >= %g, rule %s): %s.",
      F.thresholds.MEMORISED_TRAIN_ACC, F.cells[#F.cells].control_rule or "memorised", table.concat(ctl, "; ")))
  end
  if #F.H_unmatched > 0 then
    local w = {}
    for i, x in ipairs(F.H_unmatched) do w[i] = string.format("%g", x) end
    say(string.format("- **Horizon:** at weight decay %s some cell's horizon H stayed below %g within the %d-epoch "
      .. "cap: there the networks are compared at the cap, not at a matched H (the H of every cell is in the table).",
      table.concat(w, ", "), F.min_horizon, F.max_epochs))
  else
    say(string.format("- **Horizon:** every cell reached H >= %g.", F.min_horizon))
  end
  say("")
  say(string.format("## The grid (mean ± 95%% interval over seeds; rank of layer %d, %s and %s)", F.layer, F.measure,
    F.compare))
  say("")
  local rows = {}
  for _, c in ipairs(F.cells) do
    rows[#rows + 1] = { c.size, c.noise == 1 and "1 (random labels)" or doc.num(c.noise), doc.num(c.wd), c.n,
      c.converged .. "/" .. c.n, doc.num(c.H.mean, 3), c.H_matched and "yes" or "no", iv(c.train_acc), iv(c.test_acc),
      iv(c.gap, 2), iv(c.memorised, 2), iv(c.rank), iv(c.rank_compare) }
  end
  say(doc.md_table({ "images", "noise", "wd", "n", "converged", "H", "H matched", "train acc", "test acc", "gap",
    "memorised", F.measure .. " rank", F.compare .. " rank" }, rows))
  say("")
  for _, fig in ipairs(F.figures or {}) do
    say(string.format("![%s](%s)", fig.title, fig.file))
    say("")
    say("*" .. fig.caption .. "*")
    say("")
  end
  if F.time then
    say(string.format("## Time\n\n%d networks in %s of wall time over %d start(s).", F.trained, prose.clock(F.time.wall_s),
      F.time.starts))
    say("")
  end
  return table.concat(L, "\n")
end

return M
