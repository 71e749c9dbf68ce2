-- report.lua - problem 1's report.md, written from the facts of problem1/facts.lua alone
-- (the numbers in facts.json): every sentence states the numbers beside it, so a finding is
-- stated only when they support it, and the negative finding when they do not. Verdicts
-- come decided (common/verdicts.lua); this file only turns them into words. Controls sit in
-- the same tables as the sweep; intervals are 95% (Student's t for means, Fisher's z for
-- Spearman's rho).
local rh = require "rankhost"
local doc = require "common.report"
local prose = require "common.prose"
local measure = require "common.measure"
local calibrated = require "problem1.report_calibrated"

local M = {}

local num = doc.num
local ci = prose.interval
local rho_text = prose.rho

-- Words for a rho's sign verdict (facts.rho): up, down, or why there is no direction.
local function direction(s, up, down)
  local sign = s and s.sign or "undefined"
  if sign == "undefined" then return "cannot be assessed (too few converged runs or a constant figure)" end
  if sign == "positive" then return up end
  if sign == "negative" then return down end
  if sign == "no_interval" then return string.format("has rho %.2f, but too few runs for an interval", s.rho) end
  return "shows no monotone relation that these runs can tell from none (the interval contains 0)"
end

-- A paired difference (facts.against, reference 0): its text, and the words for its side.
local function paired(iv, below, above, none)
  if iv.side == "empty" then return "n/a (n = 0)", "cannot be assessed (no network)" end
  if iv.side == "one" then return ci(iv), "one network only: no interval" end
  local words = ({ below = below, above = above, contains = none })[iv.side]
  return string.format("%s (n = %d)", ci(iv), iv.n), words
end
M.paired = paired

-- Words for how classes relate to architectures (facts.findings.classes).
local CLASS_VERDICT = {
  no_join = "the classes do not join architectures here: they are architecture classes or finer",
  fixed = "so the class is fixed by the architecture, and several architectures share a class",
  scatter = "so seeds of one architecture scatter over classes, and classes join architectures",
  join = "so classes join architectures, and at least half of the architectures keep their seeds in one class",
}
local function class_words(a)
  local parts = {}
  if a.replicated > 0 then
    parts[#parts + 1] = string.format("in %d of %d architectures with replicates every seed fell into one class "
      .. "(seeds of one architecture differ by a median of %s; eta squared of the figure by architecture %s)",
      a.consistent, a.replicated, num(a.spread, 3), num(a.eta2, 3))
  end
  parts[#parts + 1] = string.format("%d of the %d classes hold two or more architectures", a.multi, a.classes)
  return table.concat(parts, "; ") .. ": " .. CLASS_VERDICT[a.verdict] .. string.format(" (adjusted Rand index of "
    .. "classes against architectures %s)", num(a.ari, 3))
end

-- ---- Findings ----

local function findings(d, f)
  local m, o, F = f.measure, f.settings, f.findings
  local lines = {}
  local c = F.convergence
  lines[#lines + 1] = string.format("- **Convergence.** %d of %d trained real-label networks with weight decay "
    .. "converged (at once: loss saturated, every layer's %s rank settled and every Linear weight's norm moved by at "
    .. "most %g of itself over the last %d epochs, after a horizon H >= %g) within %d epochs%s",
    c.converged, c.trained, c.rank_measure, c.norm_rel_tol, c.norm_patience, c.min_horizon, c.max_epochs,
    c.converged == c.trained and "."
      or "; the others are listed under *Not converged* and left out of the classes and correlations.")
  if c.norms_known and c.norms_stationary < c.norms_known then
    -- only networks trained before the norm rule was required (it was observed alone) end so
    lines[#lines] = lines[#lines] .. string.format(" Their weight norms were stationary at the stop in only %d of %d: "
      .. "the others were trained when the norm rule was observed, not required.", c.norms_stationary, c.norms_known)
  end
  local rw = F.rank_wd
  if rw then
    local dt, words = paired(rw.from_init, "they ended below their rank at initialisation",
      "they ended above their rank at initialisation",
      "no change from initialisation that these runs can tell from none (the interval contains 0)")
    lines[#lines + 1] = string.format("- **Rank under weight decay.** Converged real-label networks: median "
      .. "normalised %s rank %s, median bottleneck %s rank %s;", m, prose.spread(rw.normalized), m, num(rw.bottleneck_median))
      .. string.format(" the same networks at initialisation: median normalised %s rank %s.", m, num(rw.init_median, 3))
      .. string.format(" End minus initialisation, network by network: %s: %s.", dt, words)
  end
  local w0 = F.wd0
  if w0 then
    local d0, words0 = paired(w0.from_init, "below their rank at initialisation even without weight decay",
      "above their rank at initialisation",
      "no change from initialisation that these runs can tell from none (the interval contains 0)")
    local dw, wordsw = paired(w0.paired, "weight decay lowered the rank", "weight decay raised the rank",
      "no difference that these pairs can tell from none (the interval contains 0)")
    lines[#lines + 1] = string.format("- **Control, weight decay 0.** The same draws and seeds without weight decay: "
      .. "median normalised %s rank %s, against a median of %s for the same networks at initialisation.", m,
      prose.spread(w0.normalized), num(w0.init_median, 3))
      .. string.format(" End minus initialisation, network by network: %s: %s.", d0, words0)
      .. string.format(" Paired difference (wd > 0 minus wd 0): %s, lower in %d of %d pairs: %s.", dw, w0.lower, w0.pairs,
        wordsw)
  end
  local rd = F.random
  if rd then
    lines[#lines + 1] = string.format("- **Control, random labels.** Training accuracy %s (chance 0.1); %d of %d "
      .. "networks memorised their labels (train accuracy >= %g). Normalised rank %s, bottleneck rank %s.",
      ci(rd.train_acc), rd.memorised, rd.n, f.thresholds.MEMORISED_TRAIN_ACC, prose.spread(rd.normalized), ci(rd.bottleneck))
  end
  local a = F.classes
  lines[#lines + 1] = string.format("- **Equivalence classes** (%s %s rank, tolerance %g): %d classes over %d "
    .. "converged networks of %d architectures (%d seeds each planned); %s.", o.class_figure, m, o.class_tol,
    a.classes, a.n, a.architectures, o.seeds, class_words(a)) .. calibrated.null_words(a.null, f.thresholds)
  lines[#lines + 1] = calibrated.collapse_line(f)
  lines[#lines + 1] = calibrated.long_line(f)
  if F.twins then
    lines[#lines + 1] = string.format("- **Classes with and without weight decay** (the same draws, n = %d pairs): "
      .. "adjusted Rand index %s between the wd > 0 classes and the wd 0 classes.", F.twins.n, num(F.twins.ari, 3))
  end
  local t = F.trends
  if t then
    lines[#lines + 1] = string.format("- **Do overfitting networks have higher rank?** Spearman's rho of the "
      .. "generalisation gap with the normalised %s rank: %s; the rank %s.", m, rho_text(t.gap),
      direction(t.gap, "is higher in networks with a larger gap", "is lower in networks with a larger gap"))
    lines[#lines + 1] = string.format("- **Rank and accuracy.** rho of the bottleneck %s rank with test accuracy: "
      .. "%s; with the narrowest hidden width: %s.", m, rho_text(t.test_acc), rho_text(t.min_width))
  end
  for _, l in ipairs(F.ladder) do
    lines[#lines + 1] = string.format("- **Ladder, %s.** Spearman's rho of the %s with the convergent bottleneck "
      .. "%s rank: %s: the bottleneck rank %s. With the first layer's rank: %s: it %s.", l.kind, l.what, m,
      rho_text(l.bottleneck), direction(l.bottleneck, "rises with complexity", "falls as complexity rises"),
      rho_text(l.first_layer), direction(l.first_layer, "rises with complexity", "falls as complexity rises"))
  end
  d:p(table.concat(lines, "\n"))
end

-- ---- Setup ----

local function setup(d, f)
  local o, s = f.settings, f.setup
  local parts = {}
  for _, k in ipairs(s.kinds) do parts[#parts + 1] = string.format("%d %s (%s)", k.planned, k.kind, k.text) end
  local planned = string.format("%d networks planned: %s; %d have results.", s.planned, table.concat(parts, ", "),
    s.with_results)
  local archs = string.format("Architectures: %d to %d hidden layers, widths log-uniform in %d..%d (multiples of 8), "
    .. "at least %d parameters;", o.depth_min, o.depth_max, o.width_min, o.width_max, o.min_params)
  local ladder_w = "the ladder uses hidden widths " .. table.concat(o.ladder_hidden, "-") .. "."
  local training = string.format("Training: SGD, learning rate %g, momentum %g, batch %d, weight decay %g (wd0: 0).",
    o.lr, o.momentum, o.batch, o.weight_decay)
  d:p(table.concat({ planned, archs, ladder_w, training }, " "))
  local t = f.time
  if t.starts > 0 then
    d:p(string.format("**Time.** This study took %s of wall time in %d start%s (each start timed by rh.clock from the "
      .. "script's start to its report, or for a shard to its end; summed over starts and processes: timing*.jsonl), "
      .. "with %s local worker%s on a machine of %d cores; the networks' own training times sum to %s.",
      prose.clock(t.wall_s), t.starts, t.starts == 1 and "" or "s", table.concat(t.jobs, ", "),
      (#t.jobs == 1 and t.jobs[1] == 1) and "" or "s", t.cores, prose.clock(s.train_seconds)))
  end
  d:p("**Stop rule.** " .. f.stop_rule .. " Test accuracy and every rank are measured after the cooldown; "
    .. "`test_acc_before_cooldown` in summary.csv is the accuracy at the stop.")
  local l = {}
  for _, mm in ipairs(rh.rank.measure_names) do l[#l + 1] = string.format("- **%s**: %s", mm, rh.rank.measures[mm] or "") end
  d:p("**Rank measures.** Each is computed from the same singular values, one SVD per layer:\n\n" .. table.concat(l, "\n"))
  local fl = {} -- common/measure.lua's registry of figures
  for _, fig in ipairs(measure.FIGURES) do fl[#fl + 1] = string.format("- **%s**: %s", fig.name, fig.doc) end
  d:p("**Network figures** (comparable across depths and widths; `figure:m` in summary.csv under measure m):\n\n"
    .. table.concat(fl, "\n"))
end

-- ---- the tables ----

local function controls(d, f)
  local m = f.measure
  d:p("Every trained network of each kind (converged or not); accuracies and figures under the " .. m .. " rank.")
  local header = { "quantity" }
  for _, k in ipairs(f.controls) do header[#header + 1] = k.kind end
  local function row(label, cell)
    local out = { label }
    for _, k in ipairs(f.controls) do out[#out + 1] = cell(k) end
    return out
  end
  d:add(doc.md_table(header, {
    row("networks trained", function(k) return k.networks end),
    row("converged (both rules)", function(k) return k.converged end),
    row("stopped at the cap", function(k) return k.at_cap end),
    row("epochs, median", function(k) return k.epochs_median end),
    row("weight-decay horizon H, median", function(k) return k.horizon_median end),
    row("train accuracy", function(k) return ci(k.train_acc) end),
    row("test accuracy", function(k) return ci(k.test_acc) end),
    row("normalised " .. m .. " rank, median [IQR]", function(k) return prose.spread_cell(k.normalized) end),
    row("bottleneck " .. m .. " rank", function(k) return ci(k.bottleneck) end),
    row("last hidden representation, " .. m .. " rank", function(k) return ci(k.last_hidden) end),
    row("classifier " .. m .. " rank", function(k) return ci(k.classifier) end),
  }))
end

local WHY = {
  no_join = function() return "no class joins architectures" end,
  scatter = function(r) return string.format("seeds scatter (%d of %d architectures in one class)", r.consistent, r.replicated) end,
  follows_width = function(r) return "it follows the narrowest width (rho " .. rho_text(r.min_width) .. ")" end,
  chance = function(r) return string.format("seeds share a class no more than under shuffled architecture labels (p = %s)",
    num(r.null.consistency.p, 3)) end,
  degenerate = function(r) return string.format("degenerate (%d distinct values)", r.null.distinct) end,
  no_null = function() return "no null could be drawn" end,
  cannot_tell_width = function(r) return "cannot tell whether it follows the narrowest width (rho " .. rho_text(r.min_width) .. ")" end,
}

local function measure_choice(d, f)
  local o = f.settings
  local th = f.thresholds.FOLLOWS_WIDTH
  d:p("For each network figure and measure, the classes it makes over the converged real-label networks (tolerance "
    .. o.class_tol .. "; effective and stable ranks rounded to integers), read both ways: how many classes join "
    .. "architectures, and how many architectures keep all their seeds in one class; eta squared is the share of the "
    .. "figure's variance that lies between architectures; the adjusted Rand index (ARI) compares the partition into "
    .. "classes with the partition into architectures (1: the same), and the wd > 0 classes with the wd 0 twins' "
    .. "classes. rho is the figure's Spearman correlation with the narrowest hidden width.")
  local rows, good, undecided, others = {}, {}, {}, {}
  for _, r in ipairs(f.measure_choice) do
    local name = r.figure .. " " .. r.measure .. (r.rounded and " (rounded)" or "")
    rows[#rows + 1] = { name, r.classes, r.multi, r.replicated > 0 and (r.consistent .. " of " .. r.replicated) or "n/a",
      num(r.null.consistency.p, 3), r.null.distinct .. (r.null.degenerate and " (degenerate)" or ""), r.eta2,
      num(r.null.eta2.p, 3), r.ari, r.twins_ari, r.median, rho_text(r.min_width) }
    if r.verdict == "crosses" then
      good[#good + 1] = name
    elseif r.verdict == "undecided" then
      undecided[#undecided + 1] = name .. " (rho " .. rho_text(r.min_width) .. ")"
    else
      local why = {}
      for _, k in ipairs(r.why) do why[#why + 1] = WHY[k](r) end
      others[#others + 1] = name .. ": " .. table.concat(why, ", ")
    end
  end
  d:add(doc.md_table({ "figure and measure", "classes", "classes with >= 2 architectures",
    "architectures with all seeds in one class", "p (seeds in one class, null)", "distinct values",
    "eta^2 by architecture", "p (eta^2, null)", "ARI class vs architecture",
    "ARI wd>0 vs wd0 classes", "median value", "rho with the narrowest width" }, rows))
  d:p(string.format("A figure makes classes that cross architectures without reducing to the widths when some class "
    .. "joins architectures, at least half of the architectures keep all their seeds in one class, the share of "
    .. "architectures whose seeds share a class beats its null (architecture labels shuffled %d times, p < %g) and "
    .. "the figure has more than %d distinct values, and the 95%% "
    .. "interval of its rho with the narrowest width lies below %g (lies at or above %g: it follows the widths; "
    .. "contains %g: these runs cannot tell). %s%s%s", f.thresholds.NULL_DRAWS, f.thresholds.ALPHA,
    f.thresholds.DEGENERATE_MAX_DISTINCT, th, th, th, #good > 0 and ("Those that do here: **"
      .. table.concat(good, ", ") .. "**. ") or "None does here. ", #undecided > 0 and ("Those that meet the other two "
      .. "conditions, but whose interval contains " .. th .. ", so that whether they reduce to the widths cannot be "
      .. "told: " .. table.concat(undecided, "; ") .. ". ") or "", #others > 0 and ("The others: "
      .. table.concat(others, "; ") .. ".") or ""))
end

local function value_text(v)
  local parts = {}
  for i, x in ipairs(type(v) == "table" and v or { v }) do parts[i] = string.format("%.4g", x) end
  return table.concat(parts, "-")
end

local function class_table(d, f)
  d:p(string.format("Classes on the %s %s rank over the converged real-label networks (classes.csv also lists the "
    .. "wd0 twins' classes, group wd0).", f.settings.class_figure, f.measure))
  local rows = {}
  for _, c in ipairs(f.classes) do
    rows[#rows + 1] = { c.id, value_text(c.value), c.networks, #c.architectures, table.concat(c.architectures, " "),
      ci(c.test_acc) }
  end
  d:add(doc.md_table({ "class", "value", "networks", "architectures", "which", "test accuracy" }, rows))
  if f.wd0_classes > 0 then d:p(string.format("The wd0 twins fall into %d classes on the same figure.", f.wd0_classes)) end
end

local function twin_table(d, f)
  local m = f.measure
  local rows = {}
  for _, t in ipairs(f.twins) do
    rows[#rows + 1] = { t.id, t.architecture, t.converged and "yes" or "no", t.normalized_wd, t.normalized_wd0,
      t.bottleneck_wd, t.bottleneck_wd0, t.test_acc_wd, t.test_acc_wd0, t.horizon }
  end
  d:add(doc.md_table({ "draw", "architecture", "converged", "normalised " .. m .. " rank (wd)",
    "normalised " .. m .. " rank (wd 0)", "bottleneck " .. m .. " rank (wd)", "bottleneck " .. m .. " rank (wd 0)",
    "test acc (wd)", "test acc (wd 0)", "H" }, rows))
end

local function trend_table(d, f)
  d:p("Spearman's rho with its 95% interval; n = " .. f.trends.n .. " networks.")
  local header = { "figure" }
  for _, t in ipairs(f.trends.targets) do header[#header + 1] = "rho with " .. t end
  local rows = {}
  for _, r in ipairs(f.trends.rows) do
    local row = { r.figure .. ":" .. f.measure }
    for _, s in ipairs(r.rho) do row[#row + 1] = prose.rho_cell(s) end
    rows[#rows + 1] = row
  end
  d:add(doc.md_table(header, rows))
end

local function ladder_tables(d, f)
  local m, o, L = f.measure, f.settings, f.ladder
  d:p("One architecture (hidden " .. table.concat(o.ladder_hidden, "-") .. "), " .. o.ladder_seeds
    .. " seeds per rung; means with 95% intervals over the converged seeds. complexity.csv has every measure.")
  local rows = {}
  for _, r in ipairs(L.rungs) do
    rows[#rows + 1] = { r.kind, r.level, r.runs, r.converged, ci(r.train_acc), ci(r.test_acc), ci(r.bottleneck),
      ci(r.last_hidden), ci(r.first_layer) }
  end
  d:add(doc.md_table({ "family", "level", "runs", "converged", "train acc", "test acc", "bottleneck " .. m .. " rank",
    "last hidden " .. m .. " rank", "first-layer " .. m .. " rank" }, rows))
  if #L.spearman > 0 then
    local srows = {}
    for _, s in ipairs(L.spearman) do srows[#srows + 1] = { s.kind, s.figure, rho_text(s.rho) } end
    d:p("Spearman's rho of the complexity level with each figure (" .. m .. " rank), over the converged runs:")
    d:add(doc.md_table({ "family", "figure", "rho [95% interval] (n)" }, srows))
  end
end

local function not_converged(d, f)
  local nc = f.not_converged
  if #nc.runs == 0 then
    d:p("Every network converged.")
    return
  end
  d:p(string.format("%d networks did not converge (%d diverged); %d of them are wd0 controls (without weight decay "
    .. "the training loss can keep improving, so the loss rule need not hold); controls are reported at the cap.",
    #nc.runs, nc.diverged, nc.wd0))
  local rows = {}
  for _, r in ipairs(nc.runs) do
    rows[#rows + 1] = { r.id, r.kind, r.architecture, r.status, r.stopped, r.epochs, r.horizon, r.why }
  end
  d:add(doc.md_table({ "id", "kind", "architecture", "status", "stopped", "epochs", "H", "why" }, rows))
end

-- report.md's text from problem1/facts.lua's table f (with f.figures and f.thresholds, as
-- analysis.write_all writes them to facts.json).
function M.text(f)
  local m = f.measure
  local d = doc.document()
  d:h(1, "Problem 1: the rank networks converge to under SGD with weight decay")
  d:p(string.format("Rank measure of the headline figures and classes: **%s** (%s). Every figure below names its "
    .. "measure; summary.csv and complexity.csv hold every measure. Intervals are 95%%: Student's t for means, "
    .. "Fisher's z for Spearman's rho. Settings: `%s`. Every number and verdict below is in facts.json.", m,
    f.measure_text, f.command))
  calibrated.headline(d, f)
  d:h(2, "Findings")
  findings(d, f)
  d:h(2, "Setup")
  setup(d, f)
  d:h(2, "Controls side by side")
  controls(d, f)
  d:h(2, "A network rank comparable across architectures: which figure, which measure")
  measure_choice(d, f)
  d:h(2, "Equivalence classes")
  class_table(d, f)
  if #f.twins > 0 then
    d:h(2, "Weight decay against none, draw by draw")
    twin_table(d, f)
  end
  d:h(2, "Trends over the converged real-label networks")
  trend_table(d, f)
  calibrated.trends(d, f)
  d:h(2, "Neural collapse: the last layers against C - 1")
  calibrated.collapse(d, f)
  if f.long then
    d:h(2, "Equilibrium: the rank at H ~ " .. f.long.at .. " against H >= " .. f.long.horizon)
    calibrated.long(d, f)
  end
  if f.ladder.families > 0 then
    d:h(2, "The complexity ladder")
    ladder_tables(d, f)
  end
  d:h(2, "Not converged, diverged")
  not_converged(d, f)
  d:h(2, "Figures")
  for _, fig in ipairs(f.figures or {}) do d:image(fig.title, fig.file, fig.caption) end
  return d:text()
end

return M
