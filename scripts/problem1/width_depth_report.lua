-- width_depth_report.lua - report.md of problem 1's width x depth factorial, written from its
-- facts (problem1/width_depth.lua's M.facts, facts.json) alone.
local doc = require "common.report"
local prose = require "common.prose"

local M = {}

local ANSWER = { yes = "**yes**", no = "**no**", ["cannot tell"] = "**cannot tell**" }
M.ANSWER = ANSWER

-- the end of the report (problem1/wd_sweep_report.lua's too): the figures with their
-- captions, then the time
function M.figures_and_time(say, F)
  for _, fig in ipairs(F.figures or {}) do
    say(string.format("![%s](%s)\n\n*%s*\n", fig.title, fig.file, fig.caption))
  end
  if F.time then
    say(string.format("## Time\n\n%d networks in %s of wall time over %d start(s).", F.trained,
      prose.clock(F.time.wall_s), F.time.starts))
  end
end

function M.text(F)
  local L = {}
  local function say(s) L[#L + 1] = s end
  say("# Problem 1: is the convergent rank a property of the task or of the width?")
  say("")
  say(string.format("MLPs on the real task (%s training images) with every hidden layer of width %s and %s hidden "
    .. "layers, %d seeds each, weight decay %g, trained by problem 1's rules (loss saturation and rank convergence "
    .. "after a weight-decay horizon of %g, at most %d epochs, then the cooldown): %d of %d networks trained, %d "
    .. "converged. Rank measure **%s** (docs/calibration.md: the best-supported measure; it recovers k on the "
    .. "linear and multi-index teachers' first layer), %s beside it. A family's plateau is the narrowest width "
    .. "from which the slope of its rank on log2(width) has a 95%% interval containing 0 (stats.plateau).",
    F.train_size > 0 and tostring(F.train_size) or "all", table.concat(F.widths, ", "), table.concat(F.depths, ", "),
    F.seeds, F.weight_decay, F.min_horizon, F.max_epochs, F.trained, F.runs, F.converged, F.measure, F.compare))
  say("")
  say("## Answer")
  say("")
  local first = F.families[1]
  if first then
    local parts = {}
    for _, b in ipairs(first.by_depth) do
      parts[#parts + 1] = string.format("depth %d: %s", b.depth, b.plateau_width
        and string.format("plateau from width %d at %s (slope %.2f ± %.2f per doubling, n = %d)", b.plateau_width,
          prose.interval(b.value), b.plateau_slope, b.plateau_half or 0, b.value.n)
        or string.format("no plateau (slope over all widths %s per doubling, n = %d)",
          b.slope_all and string.format("%.2f ± %.2f", b.slope_all, b.slope_all_half or 0) or "n/a", b.n))
    end
    say(string.format("- **Is the convergent rank a property of the task rather than the width?** %s for the "
      .. "first layer (%s rank; rule %s; the plateau value against depth: %s, rule %s): %s.", ANSWER[F.answer.answer],
      F.measure, F.answer.rule, first.depends, first.depends_rule, table.concat(parts, "; ")))
  end
  say("")
  say(string.format("## Plateaus by layer family (%s rank; %s plateau width beside it)", F.measure, F.compare))
  say("")
  local rows = {}
  for _, fam in ipairs(F.families) do
    for _, b in ipairs(fam.by_depth) do
      rows[#rows + 1] = { fam.text, b.depth, b.n, b.slope_all and string.format("%.2f ± %.2f", b.slope_all,
        b.slope_all_half or 0) or "n/a", b.plateau_width or "none", prose.interval(b.value),
        b.compare_plateau_width or "none", fam.depends, fam.task_property }
    end
  end
  say(doc.md_table({ "family", "depth", "n", "slope per doubling (all widths)", "plateau width", "plateau value",
    F.compare .. " plateau width", "value depends on depth", "task property" }, rows))
  say("")
  say(string.format("## Every width and depth (mean ± 95%% interval over seeds)"))
  say("")
  rows = {}
  for _, c in ipairs(F.cells) do
    rows[#rows + 1] = { c.width, c.depth, c.n, prose.interval(c.H, 3), prose.interval(c.test_acc),
      prose.interval(c.ranks.first), prose.interval(c.ranks.hidden), prose.interval(c.ranks.classifier),
      prose.interval(c.ranks["first:" .. F.compare]) }
  end
  say(doc.md_table({ "width", "depth", "n", "H", "test acc", F.measure .. " first", F.measure .. " hidden",
    F.measure .. " classifier", F.compare .. " first" }, rows))
  say("")
  M.figures_and_time(say, F)
  return table.concat(L, "\n")
end

return M
