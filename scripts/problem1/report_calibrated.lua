-- report_calibrated.lua - the parts of problem 1's report.md that issue 22 added, written from
-- the facts alone (problem1/facts.lua): the calibration table the headline measure was chosen
-- from, neural collapse per network (rank above C - 1, NC1), the nulls of the class statistic
-- and the trends over architectures.
local doc = require "common.report"
local prose = require "common.prose"

local M = {}

local num = doc.num

local function cal_cell(r)
  if not r then return "n/a" end
  local b = r.slope and string.format("b %s [%s, %s]", num(r.slope, 3), num(r.slope_lo, 3), num(r.slope_hi, 3))
    or "no fit"
  local verdict = r.recovers == true and "**yes**" or r.recovers == false and "no" or "cannot tell"
  return string.format("%s, worst r/k %s: %s", b, num(r.worst_ratio, 3), verdict)
end

local HOW = {
  calibration = "chosen by the rule from the calibration table",
  fallback = "the fallback: no measure of the calibration table recovers k on any row",
  option = "given by --measure (the rule's own choice is named below)",
}

-- The opening: where the table came from, the first-layer table, and the measure named.
function M.headline(d, f)
  local h = f.headline
  if not h then
    d:p("**Headline measure: " .. f.measure .. "** (no calibration table was read).")
    return
  end
  local src = h.default and string.format("no --calibration was given, so the default calibration study's table, "
    .. "`%s` (written by `rankhost scripts/calibrate.lua`, docs/calibration.md)", h.file)
    or string.format("the calibration study `%s`", h.file)
  d:p(string.format("**Headline measure: %s**, %s (rule `%s`: %s). The table: %s.", f.measure, HOW[h.how] or h.how,
    "headline_measure", f.rules and f.rules.headline_measure or "", src))
  local tasks, seen, by = {}, {}, {}
  for _, r in ipairs(h.table) do
    if not seen[r.task] then seen[r.task] = true; tasks[#tasks + 1] = r.task end
    by[r.measure .. "/" .. r.task] = r
  end
  local header = { "measure", "rows recovering k" }
  for _, t in ipairs(tasks) do header[#header + 1] = "first layer, " .. t end
  local rows = {}
  for _, e in ipairs(h.ranking) do
    local row = { e.measure == f.measure and ("**" .. e.measure .. "**") or e.measure, string.format("%d (%s)", e.recovers,
      #e.where > 0 and table.concat(e.where, ", ") or "none") }
    for _, t in ipairs(tasks) do row[#row + 1] = cal_cell(by[e.measure .. "/" .. t]) end
    rows[#rows + 1] = row
  end
  d:add(doc.md_table(header, rows))
  if h.how == "option" then
    d:p(string.format("The rule's own choice on this table: %s.", h.chosen_by_rule or "none (no measure recovers k)"))
  end
end

local VERDICT = { collapsed = "collapsed", rank_only = "at C - 1, NC1 above the threshold",
  nc1_only = "NC1 below the threshold, rank not at C - 1", none = "no", unknown = "n/a" }

-- The finding's line: where neural collapse happens, by kind (nil without rows).
function M.collapse_line(f)
  local c = f.collapse
  if not c or #c.kinds == 0 then return nil end
  local parts = {}
  for _, k in ipairs(c.kinds) do
    parts[#parts + 1] = string.format("%s %d of %d (last hidden at C - 1 in %d; NC1 median %s)", k.kind, k.collapsed,
      k.networks, k.at_c_minus_1, k.nc1.n > 0 and num(k.nc1.median, 3) or "n/a")
  end
  return string.format("- **Neural collapse** (last hidden %s rank within %g of C - 1 and NC1 <= %g): %s.",
    f.measure, c.slack, c.nc1_threshold, table.concat(parts, "; "))
end

-- Neural collapse: per kind, then per network.
function M.collapse(d, f)
  local c, m = f.collapse, f.measure
  if not c or #c.rows == 0 then return end
  d:p(string.format("Per network: the %s rank above C - 1 (C classes) of the last hidden representation on the probe "
    .. "batch and of the classifier layer, and NC1 = Tr(Σ_W Σ_B⁺)/C of the last hidden representation on the probe "
    .. "batch (about 0: every example at its class mean; large: classes spread wide against the distance between "
    .. "their means). Neural collapse is named (rule `%s`) where the last hidden rank is within %g of C - 1 and "
    .. "NC1 <= %g.", m, c.rule, c.slack, c.nc1_threshold))
  local rows = {}
  for _, k in ipairs(c.kinds) do
    rows[#rows + 1] = { k.kind, k.networks, k.collapsed, k.at_c_minus_1, prose.spread_cell(k.nc1),
      prose.spread_cell(k.last_hidden_above), prose.spread_cell(k.classifier_above) }
  end
  d:add(doc.md_table({ "kind", "networks", "collapsed", "last hidden at C - 1 (± slack)", "NC1, median [IQR]",
    "last hidden rank - (C - 1), median [IQR]", "classifier rank - (C - 1), median [IQR]" }, rows))
  local per = {}
  for _, r in ipairs(c.rows) do
    per[#per + 1] = { r.id, r.kind, r.architecture, r.classes, num(r.last_hidden, 4), num(r.last_hidden_above, 4),
      num(r.classifier, 4), num(r.classifier_above, 4), num(r.nc1, 3), VERDICT[r.verdict] or r.verdict }
  end
  d:add(doc.md_table({ "network", "kind", "architecture", "C", "last hidden " .. m, "above C - 1", "classifier " .. m,
    "above C - 1", "NC1", "neural collapse" }, per))
end

-- The headline class figure's null in words (facts.findings.classes.null).
function M.null_words(n, th)
  if not n then return "" end
  local words = ({ beats = "it beats its null", chance = "it does not beat its null: shuffled architecture labels "
    .. "keep seeds together as often", degenerate = "the figure is degenerate (" .. n.distinct .. " distinct values, "
    .. "at most " .. th.DEGENERATE_MAX_DISTINCT .. " are flagged), so it makes no classes across architectures whatever its p", no_null = "no null" })[n.verdict]
  return string.format(" Against its null (architecture labels shuffled %d times): seeds sharing a class %s vs %s "
    .. "under the null, p = %s; eta squared %s, p = %s; %d distinct values: %s. Seed bootstrap of the architectures' "
    .. "partition (each architecture's seeds resampled, %d draws): %s classes [%s, %s], the original count in %s of "
    .. "draws, ARI with the original partition %s [%s, %s].",
    n.consistency.draws or 0, num(n.consistency.observed, 3), num(n.consistency.null_mean, 3), num(n.consistency.p, 3),
    num(n.eta2.observed, 3), num(n.eta2.p, 3), n.distinct, words, n.bootstrap.draws, n.bootstrap.classes,
    num(n.bootstrap.count_lo, 3), num(n.bootstrap.count_hi, 3), num(n.bootstrap.same_count, 3), num(n.bootstrap.ari, 3),
    num(n.bootstrap.ari_lo, 3), num(n.bootstrap.ari_hi, 3))
end

-- The equilibrium check (--long): per measure and figure, the rank at H ~ at against the end.
function M.long(d, f)
  local L = f.long
  if not L then return end
  d:p(string.format("%d networks (the sweep's first draws, seed 1) trained on to H >= %g (reached H %s; epochs "
    .. "below); each figure's rank at the rank check nearest H = %g (H %s) against the end (after the "
    .. "cooldown), means with 95%% intervals over the networks, and the paired difference. A measure is "
    .. "*stationary* (rule `%s`) when every network's figure moved by at most max(%g, %g x rank), the stop rule's "
    .. "slack; else it *drifts*.", #L.runs, L.horizon, prose.interval(L.late_h), L.at,
    prose.interval(L.early_h), L.rows[1] and L.rows[1].rule or "equilibrium", L.slack, L.rel_slack))
  local rows = {}
  for _, r in ipairs(L.rows) do
    rows[#rows + 1] = { r.measure == f.measure and ("**" .. r.measure .. "**") or r.measure, r.figure,
      r.scale_invariant and "yes" or "no", prose.interval(r.early), prose.interval(r.late), prose.interval(r.diff),
      r.within .. " of " .. r.n, r.verdict }
  end
  d:add(doc.md_table({ "measure", "figure", "scale-invariant", "rank at H ~ " .. L.at, "rank at the end",
    "end minus early", "networks within the slack", "verdict" }, rows))
  local per = {}
  for _, x in ipairs(L.runs) do per[#per + 1] = { x.id, x.architecture, num(x.early_h, 3), num(x.late_h, 3), x.epochs,
    x.stopped, x.norms_stationary == nil and "n/a" or x.norms_stationary and "yes" or "no" } end
  d:add(doc.md_table({ "network", "architecture", "H early", "H end", "epochs", "stopped",
    "weight norms stationary at the stop" }, per))
end

-- The finding's line of the equilibrium check under the headline measure.
function M.long_line(f)
  local L = f.long
  if not L then return nil end
  local parts, drift = {}, {}
  for _, r in ipairs(L.rows) do
    if r.measure == f.measure then
      parts[#parts + 1] = string.format("%s %s -> %s (%s, %d of %d within the slack)", r.figure,
        prose.interval(r.early), prose.interval(r.late), r.verdict, r.within, r.n)
    end
    if r.verdict == "drifts" and r.figure == "bottleneck" then drift[#drift + 1] = r.measure end
  end
  return string.format("- **Equilibrium (--long).** Under %s, rank at H ~ %g against H %s: %s. Measures whose "
    .. "bottleneck rank drifts: %s.", f.measure, L.at, prose.interval(L.late_h), table.concat(parts, "; "),
    #drift > 0 and table.concat(drift, ", ") or "none")
end

-- The trends over architectures (seeds averaged first) with permutation p-values.
function M.trends(d, f)
  local t = f.trends.by_architecture
  if not t or #t == 0 then return end
  d:p(string.format("The same trends over architectures: each architecture's seeds averaged first, then Spearman's "
    .. "rho over the architectures with its 95%% interval (Fisher's z, n = architectures) and a permutation p "
    .. "(|rho| against %d shuffles of the target's architecture means); a figure with at most %d distinct values is "
    .. "flagged degenerate.", f.thresholds.NULL_DRAWS, f.thresholds.DEGENERATE_MAX_DISTINCT))
  local header = { "figure", "distinct values" }
  for _, x in ipairs(f.trends.targets) do header[#header + 1] = "rho with " .. x .. ", p" end
  local rows = {}
  for _, r in ipairs(t) do
    local row = { r.figure .. ":" .. f.measure, r.distinct .. (r.degenerate and " (degenerate)" or "") }
    for _, s in ipairs(r.rho) do row[#row + 1] = prose.rho_cell(s) .. ", p " .. num(s.p, 3) end
    rows[#rows + 1] = row
  end
  d:add(doc.md_table(header, rows))
end

return M
