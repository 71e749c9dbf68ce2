-- report.lua - problem 1's report.md: every sentence is written from the number printed
-- beside it, so a finding is stated only when the numbers support it, and the negative
-- finding is stated when they do not. Controls sit in the same tables as the sweep;
-- intervals are 95% (Student's t for means, Fisher's z for Spearman's rho).
local rh = require "rankhost"
local stats = require "common.stats"
local doc = require "common.report"
local analysis = require "problem1.analysis"
local classes = require "problem1.classes"
local ladder = require "problem1.ladder"
local trainer = require "problem1.train"
local measure = require "common.measure"

local M = {}

local num = doc.num

local function ci_text(xs, digits)
  return stats.fmt_ci(xs, digits or 3)
end

local function iqr_text(xs)
  if #xs == 0 then return "n/a" end
  return string.format("%.3g (IQR %.3g-%.3g, n = %d)", stats.median(xs), stats.quantile(xs, 0.25),
    stats.quantile(xs, 0.75), #xs)
end

local function rho_text(s)
  if not s or s.rho == nil then return "undefined (n = " .. (s and s.n or 0) .. ")" end
  if s.lo then return string.format("%.2f [%.2f, %.2f] (n = %d)", s.rho, s.lo, s.hi, s.n) end
  if math.abs(s.rho) >= 1 and s.n >= 5 then return string.format("%.2f (n = %d, perfectly monotone)", s.rho, s.n) end
  return string.format("%.2f (n = %d, too few for an interval)", s.rho, s.n)
end

-- Words for a Spearman interval: the direction when the interval excludes 0.
local function direction(s, up, down)
  if not s or s.rho == nil then return "cannot be assessed (too few converged runs or a constant figure)" end
  if (s.lo and s.lo > 0) or (s.rho >= 1 and s.n >= 5) then return up end
  if (s.hi and s.hi < 0) or (s.rho <= -1 and s.n >= 5) then return down end
  if not s.lo then return string.format("has rho %.2f, but too few runs for an interval", s.rho) end
  return "shows no monotone relation that these runs can tell from none (the interval contains 0)"
end

-- Whether a figure follows the narrowest hidden width, from its Spearman rho with it (s):
-- "yes" when rho's 95% interval lies at or above 0.9 (or rho is 1 over 5 or more runs), "no"
-- when it lies below 0.9 (or rho is undefined: a constant figure), "cannot tell" when the
-- interval contains 0.9 or there are too few runs for an interval.
function M.follows_width(s)
  if not s or s.rho == nil then return "no" end
  if s.lo then
    if s.hi < 0.9 then return "no" end
    if s.lo >= 0.9 then return "yes" end
    return "cannot tell"
  end
  if s.n >= 5 and s.rho >= 1 then return "yes" end
  if s.n >= 5 and s.rho <= -1 then return "no" end
  return "cannot tell"
end

-- A mean (paired) difference with its 95% interval and n, and the words for where the
-- interval lies: below 0, above 0, or containing 0.
function M.paired(xs, below, above, none)
  local mean, half = stats.ci95(xs)
  if not mean then return "n/a (n = 0)", "cannot be assessed (no network)" end
  if not half then return ci_text(xs), "one network only: no interval" end
  local text = string.format("%s (n = %d)", ci_text(xs), #xs)
  if mean + half < 0 then return text, below end
  if mean - half > 0 then return text, above end
  return text, none
end

-- Words for how classes relate to architectures (classes.against_architecture).
local function class_words(a)
  local parts = {}
  if a.replicated > 0 then
    parts[#parts + 1] = string.format("in %d of %d architectures with replicates every seed fell into one class "
      .. "(seeds of one architecture differ by a median of %s; eta squared of the figure by architecture %s)",
      a.consistent, a.replicated, num(a.spread, 3), num(a.eta2, 3))
  end
  parts[#parts + 1] = string.format("%d of the %d classes hold two or more architectures", a.multi, a.classes)
  local verdict
  if a.multi == 0 then
    verdict = "the classes do not join architectures here: they are architecture classes or finer"
  elseif a.replicated > 0 and a.consistent == a.replicated then
    verdict = "so the class is fixed by the architecture, and several architectures share a class"
  elseif a.replicated > 0 and a.consistent < a.replicated / 2 then
    verdict = "so seeds of one architecture scatter over classes, and classes join architectures"
  else
    verdict = "so classes join architectures, and at least half of the architectures keep their seeds in one class"
  end
  return table.concat(parts, "; ") .. ": " .. verdict .. string.format(" (adjusted Rand index of classes against "
    .. "architectures %s)", num(a.ari, 3))
end

local function measure_line(m)
  return string.format("- **%s**: %s", m, rh.rank.measures[m] or "")
end

local function clock_text(s)
  if s >= 60 then return string.format("%d min %02d s", s // 60, math.floor(s % 60 + 0.5)) end
  return string.format("%.1f s", s)
end

-- ctx: what analysis.write_all computed once for the figures and this report (the
-- converged real-label runs, the wd0 runs, the classes, twin pairs and trends).
function M.text(o, plan, records, measures, ctx, figs, timing)
  local m = o.measure
  local d = doc.document()
  local real_all = analysis.of_kind(records, "real")
  local real, wd0, cls, cls0 = ctx.real, ctx.wd0, ctx.cls, ctx.cls0
  local random = analysis.of_kind(records, "random")
  local function nf(runs, f) return analysis.values(runs, function(r) return r.network[f .. ":" .. m] end) end

  d:h(1, "Problem 1: the rank networks converge to under SGD with weight decay")
  d:p(string.format("Rank measure of the headline figures and classes: **%s** (%s). Every figure below names its "
    .. "measure; summary.csv and complexity.csv hold every measure. Intervals are 95%%: Student's t for means, "
    .. "Fisher's z for Spearman's rho. Settings: `%s`.", m, rh.rank.measures[m] or "", o._command or ""))

  -- ---- the findings, each from its numbers ----
  d:h(2, "Findings")
  local lines = {}
  lines[#lines + 1] = string.format("- **Convergence.** %d of %d trained real-label networks with weight decay "
    .. "converged (loss saturated and every layer's %s rank settled, after a horizon H >= %g) within %d epochs%s",
    #real, #real_all, o.rank_measure, o.min_horizon, o.max_epochs, #real == #real_all and "."
      or "; the others are listed under *Not converged* and left out of the classes and correlations.")
  -- the end against initialisation, network by network: every run's own network before its
  -- first step (record.init), under the same measure
  local function from_init(runs)
    return analysis.values(runs, function(r)
      local a, b = r.network["normalized:" .. m], measure.at_init(r, "normalized", m)
      return a and b and a - b or nil
    end)
  end
  local function init_median(runs)
    return stats.median(analysis.values(runs, function(r) return measure.at_init(r, "normalized", m) end))
  end
  local nr = nf(real, "normalized")
  if #nr > 0 then
    local dt, words = M.paired(from_init(real), "they ended below their rank at initialisation",
      "they ended above their rank at initialisation",
      "no change from initialisation that these runs can tell from none (the interval contains 0)")
    lines[#lines + 1] = string.format("- **Rank under weight decay.** Converged real-label networks: median "
      .. "normalised %s rank %s, median bottleneck %s rank %s; the same networks at initialisation: median "
      .. "normalised %s rank %s. End minus initialisation, network by network: %s: %s.", m, iqr_text(nr), m,
      num(stats.median(nf(real, "bottleneck"))), m, num(init_median(real), 3), dt, words)
  end
  local n0 = nf(wd0, "normalized")
  if #n0 > 0 then
    local lower = 0
    for _, x in ipairs(ctx.diffs) do if x < 0 then lower = lower + 1 end end
    local d0, words0 = M.paired(from_init(wd0), "below their rank at initialisation even without weight decay",
      "above their rank at initialisation",
      "no change from initialisation that these runs can tell from none (the interval contains 0)")
    local dw, wordsw = M.paired(ctx.diffs, "weight decay lowered the rank", "weight decay raised the rank",
      "no difference that these pairs can tell from none (the interval contains 0)")
    lines[#lines + 1] = string.format("- **Control, weight decay 0.** The same draws and seeds without weight decay: "
      .. "median normalised %s rank %s, against a median of %s for the same networks at initialisation. End minus "
      .. "initialisation, network by network: %s: %s. Paired difference (wd > 0 minus wd 0): %s, lower in %d of %d "
      .. "pairs: %s.", m, iqr_text(n0), num(init_median(wd0), 3), d0, words0, dw, lower, #ctx.diffs, wordsw)
  end
  if #random > 0 then
    local tr = analysis.values(random, function(r) return r.final.train_acc end)
    local memorised = #analysis.values(random, function(r) return r.final.train_acc >= 0.9 and 1 or nil end)
    lines[#lines + 1] = string.format("- **Control, random labels.** Training accuracy %s (chance 0.1); %d of %d "
      .. "networks memorised their labels (train accuracy >= 0.9). Normalised rank %s, bottleneck rank %s.",
      ci_text(tr), memorised, #random, iqr_text(nf(random, "normalized")), ci_text(nf(random, "bottleneck")))
  end
  local arch = ctx.arch
  lines[#lines + 1] = string.format("- **Equivalence classes** (%s %s rank, tolerance %g): %d classes over %d "
    .. "converged networks of %d architectures (%d seeds each planned); %s.", o.class_figure, m, o.class_tol,
    arch.classes, arch.n, arch.architectures, o.seeds, class_words(arch))
  local twins = ctx.twins
  if twins.n > 0 then
    lines[#lines + 1] = string.format("- **Classes with and without weight decay** (the same draws, n = %d pairs): "
      .. "adjusted Rand index %s between the wd > 0 classes and the wd 0 classes.", twins.n, num(twins.ari, 3))
  end
  local trend = ctx.trends[m].detail
  if trend.normalized then
    lines[#lines + 1] = string.format("- **Do overfitting networks have higher rank?** Spearman's rho of the "
      .. "generalisation gap with the normalised %s rank: %s; the rank %s.", m, rho_text(trend.normalized.gap),
      direction(trend.normalized.gap, "is higher in networks with a larger gap", "is lower in networks with a larger gap"))
    lines[#lines + 1] = string.format("- **Rank and accuracy.** rho of the bottleneck %s rank with test accuracy: "
      .. "%s; with the narrowest hidden width: %s.", m, rho_text(trend.bottleneck.test_acc),
      rho_text(trend.bottleneck.min_width))
  end
  for _, fam in ipairs(ladder.present(records)) do
    if #fam.levels >= 2 then
      local s = ladder.spearman(records, fam.kind, "bottleneck", m)
      local s2 = ladder.spearman(records, fam.kind, "first_layer", m)
      lines[#lines + 1] = string.format("- **Ladder, %s.** Spearman's rho of the %s with the convergent bottleneck "
        .. "%s rank: %s: the bottleneck rank %s. With the first layer's rank: %s: it %s.", fam.kind, fam.what, m,
        rho_text(s), direction(s, "rises with complexity", "falls as complexity rises"), rho_text(s2),
        direction(s2, "rises with complexity", "falls as complexity rises"))
    end
  end
  d:p(table.concat(lines, "\n"))

  -- ---- setup ----
  d:h(2, "Setup")
  local kinds = {}
  for _, r in ipairs(plan) do kinds[r.kind] = (kinds[r.kind] or 0) + 1 end
  local parts = {}
  for _, k in ipairs(analysis.KINDS) do
    if kinds[k] then parts[#parts + 1] = string.format("%d %s (%s)", kinds[k], k, analysis.KIND_TEXT[k]) end
  end
  local total_time = 0
  for _, r in ipairs(records) do total_time = total_time + (r.wall_time or 0) end
  d:p(string.format("%d networks planned: %s; %d have results. Architectures: %d to %d hidden layers, widths "
    .. "log-uniform in %d..%d (multiples of 8), at least %d parameters; the ladder uses hidden widths %s. "
    .. "Training: SGD, learning rate %g, momentum %g, batch %d, weight decay %g (wd0: 0).",
    #plan, table.concat(parts, ", "), #records, o.depth_min, o.depth_max, o.width_min, o.width_max, o.min_params,
    table.concat(o.ladder_hidden, "-"), o.lr, o.momentum, o.batch, o.weight_decay))
  if timing and timing.starts > 0 then
    local jobs = {}
    for j in pairs(timing.jobs) do jobs[#jobs + 1] = j end
    table.sort(jobs)
    d:p(string.format("**Time.** This study took %s of wall time in %d start%s (each start timed by rh.clock from the "
      .. "script's start to its report, or for a shard to its end; summed over starts and processes: timing*.jsonl), "
      .. "with %s local worker%s on a machine of %d cores; the networks' own training times sum to %s.",
      clock_text(timing.wall_s), timing.starts, timing.starts == 1 and "" or "s", table.concat(jobs, ", "),
      (#jobs == 1 and jobs[1] == 1) and "" or "s", timing.cores or 0, clock_text(total_time)))
  end
  d:p("**Stop rule.** " .. trainer.rule_text(o) .. " Test accuracy and every rank are measured after the cooldown; "
    .. "`test_acc_before_cooldown` in summary.csv is the accuracy at the stop.")
  d:p("**Rank measures.** Each is computed from the same singular values, one SVD per layer:\n\n"
    .. table.concat((function()
      local l = {}
      for _, mm in ipairs(rh.rank.measure_names) do l[#l + 1] = measure_line(mm) end
      return l
    end)(), "\n"))
  d:p("**Network figures** (comparable across depths and widths): *bottleneck* = the lowest rank of a hidden layer "
    .. "(the classifier layer is left out: its rank is bounded by the number of classes, and Galanti et al. leave it "
    .. "out too); *last hidden* = the rank of the last hidden representation (post-ReLU activations) on a fixed "
    .. "probe batch; *normalised* = the sum of layer ranks over the sum of min(rows, cols); *classifier* = the last "
    .. "layer's rank, reported apart.")

  -- ---- controls ----
  d:h(2, "Controls side by side")
  d:p("Every trained network of each kind (converged or not); accuracies and figures under the " .. m .. " rank.")
  d:add(doc.md_table(analysis.controls(records, m)))

  -- ---- which measure ----
  d:h(2, "A network rank comparable across architectures: which figure, which measure")
  d:p("For each network figure and measure, the classes it makes over the converged real-label networks (tolerance "
    .. o.class_tol .. "; effective and stable ranks rounded to integers), read both ways: how many classes join "
    .. "architectures, and how many architectures keep all their seeds in one class; eta squared is the share of the "
    .. "figure's variance that lies between architectures; the adjusted Rand index (ARI) compares the partition into "
    .. "classes with the partition into architectures (1: the same), and the wd > 0 classes with the wd 0 twins' "
    .. "classes. rho is the figure's Spearman correlation with the narrowest hidden width.")
  local mrows, verdicts, good, undecided = {}, {}, {}, {}
  for _, figure in ipairs { "bottleneck", "last_hidden" } do
    for _, mm in ipairs(measures) do
      -- the headline figure and measure's classes were made once, in analysis.write_all
      local headline = figure == o.class_figure and mm == m
      local a = headline and ctx.arch or classes.against_architecture(real, classes.classes(real, figure, mm, o.class_tol))
      local tw = headline and ctx.twins or classes.against_twins(real, wd0, figure, mm, o.class_tol)
      local tr = ctx.trends[mm].detail
      local w = tr[figure] and tr[figure].min_width
      local name = figure .. " " .. mm .. (classes.ROUNDED[mm] and " (rounded)" or "")
      mrows[#mrows + 1] = { name, a.classes, a.multi, a.replicated > 0 and (a.consistent .. " of " .. a.replicated) or "n/a",
        a.eta2, a.ari, tw.ari, stats.median(analysis.values(real, function(r) return r.network[figure .. ":" .. mm] end)),
        rho_text(w) }
      -- crosses architectures without reducing to the widths: some class joins architectures,
      -- at least half of the architectures keep their seeds in one class, and the 95%
      -- interval of rho with the narrowest width lies below 0.9 (one that contains 0.9
      -- cannot be told either way)
      local why = {}
      if a.multi == 0 then why[#why + 1] = "no class joins architectures" end
      if a.replicated > 0 and a.consistent * 2 < a.replicated then
        why[#why + 1] = string.format("seeds scatter (%d of %d architectures in one class)", a.consistent, a.replicated)
      end
      local follows = M.follows_width(w)
      if follows == "yes" then
        why[#why + 1] = "it follows the narrowest width (rho " .. rho_text(w) .. ")"
      elseif follows == "cannot tell" and #why > 0 then
        why[#why + 1] = "cannot tell whether it follows the narrowest width (rho " .. rho_text(w) .. ")"
      end
      if #why == 0 and follows == "cannot tell" then
        undecided[#undecided + 1] = name .. " (rho " .. rho_text(w) .. ")"
      elseif #why == 0 then
        good[#good + 1] = name
      else
        verdicts[#verdicts + 1] = name .. ": " .. table.concat(why, ", ")
      end
    end
  end
  d:add(doc.md_table({ "figure and measure", "classes", "classes with >= 2 architectures",
    "architectures with all seeds in one class", "eta^2 by architecture", "ARI class vs architecture",
    "ARI wd>0 vs wd0 classes", "median value", "rho with the narrowest width" }, mrows))
  d:p(string.format("A figure makes classes that cross architectures without reducing to the widths when some class "
    .. "joins architectures, at least half of the architectures keep all their seeds in one class, and the 95%% "
    .. "interval of its rho with the narrowest width lies below 0.9 (lies at or above 0.9: it follows the widths; "
    .. "contains 0.9: these runs cannot tell). %s%s%s", #good > 0 and ("Those that do here: **" .. table.concat(good, ", ")
      .. "**. ") or "None does here. ", #undecided > 0 and ("Those that meet the other two conditions, but whose "
      .. "interval contains 0.9, so that whether they reduce to the widths cannot be told: " .. table.concat(undecided, "; ")
      .. ". ") or "", #verdicts > 0 and ("The others: " .. table.concat(verdicts, "; ") .. ".") or ""))

  -- ---- classes ----
  d:h(2, "Equivalence classes")
  d:p(string.format("Classes on the %s %s rank over the converged real-label networks (classes.csv also lists the "
    .. "wd0 twins' classes, group wd0).", o.class_figure, m))
  local crow = {}
  for _, c in ipairs(cls) do
    local acc = {}
    for _, r in ipairs(c.members) do acc[#acc + 1] = r.final.test_acc end
    crow[#crow + 1] = { c.id, classes.text(c.value), #c.members, #classes.architectures(c),
      table.concat(classes.architectures(c), " "), ci_text(acc) }
  end
  d:add(doc.md_table({ "class", "value", "networks", "architectures", "which", "test accuracy" }, crow))
  if cls0 and #cls0 > 0 then
    d:p(string.format("The wd0 twins fall into %d classes on the same figure.", #cls0))
  end

  -- ---- twins ----
  local pairs_ = ctx.pairs
  if #pairs_ > 0 then
    d:h(2, "Weight decay against none, draw by draw")
    local trow = {}
    for _, p in ipairs(pairs_) do
      local r, w = p[1], p[2]
      trow[#trow + 1] = { r.id, table.concat(r.architecture, "-"), r.converged and "yes" or "no",
        r.network["normalized:" .. m], w.network["normalized:" .. m], r.network["bottleneck:" .. m],
        w.network["bottleneck:" .. m], r.final.test_acc, w.final.test_acc, r.wd_horizon }
    end
    d:add(doc.md_table({ "draw", "architecture", "converged", "normalised " .. m .. " rank (wd)",
      "normalised " .. m .. " rank (wd 0)", "bottleneck " .. m .. " rank (wd)", "bottleneck " .. m .. " rank (wd 0)",
      "test acc (wd)", "test acc (wd 0)", "H" }, trow))
  end

  -- ---- trends ----
  d:h(2, "Trends over the converged real-label networks")
  d:p("Spearman's rho with its 95% interval; n = " .. #real .. " networks.")
  d:add(doc.md_table(ctx.trends[m].header, ctx.trends[m].rows))

  -- ---- ladder ----
  local fams = ladder.present(records)
  if #fams > 0 then
    d:h(2, "The complexity ladder")
    d:p("One architecture (hidden " .. table.concat(o.ladder_hidden, "-") .. "), " .. o.ladder_seeds
      .. " seeds per rung; means with 95% intervals over the converged seeds. complexity.csv has every measure.")
    local lrows = {}
    for _, fam in ipairs(fams) do
      for _, l in ipairs(fam.levels) do
        local ok = {}
        for _, r in ipairs(fam.groups[l]) do if r.status == "ok" and r.converged then ok[#ok + 1] = r end end
        local function f(name) return analysis.values(ok, function(r) return ladder.figure(r, name, m) end) end
        lrows[#lrows + 1] = { fam.kind, l, #fam.groups[l], #ok,
          ci_text(analysis.values(ok, function(r) return r.final.train_acc end)),
          ci_text(analysis.values(ok, function(r) return r.final.test_acc end)),
          ci_text(f("bottleneck")), ci_text(f("last_hidden")), ci_text(f("first_layer")) }
      end
    end
    d:add(doc.md_table({ "family", "level", "runs", "converged", "train acc", "test acc", "bottleneck " .. m .. " rank",
      "last hidden " .. m .. " rank", "first-layer " .. m .. " rank" }, lrows))
    local srows = {}
    for _, fam in ipairs(fams) do
      if #fam.levels >= 2 then
        for _, f in ipairs(ladder.FIGURES) do
          srows[#srows + 1] = { fam.kind, f, rho_text(ladder.spearman(records, fam.kind, f, m)) }
        end
      end
    end
    if #srows > 0 then
      d:p("Spearman's rho of the complexity level with each figure (" .. m .. " rank), over the converged runs:")
      d:add(doc.md_table({ "family", "figure", "rho [95% interval] (n)" }, srows))
    end
  end

  -- ---- runs that did not converge ----
  d:h(2, "Not converged, diverged")
  local nrows = {}
  for _, r in ipairs(records) do
    if not r.converged then
      nrows[#nrows + 1] = { r.id, r.kind, table.concat(r.architecture, "-"), r.status, r.stopped, r.epochs,
        r.wd_horizon, r.diverged or "" }
    end
  end
  if #nrows == 0 then
    d:p("Every network converged.")
  else
    local nwd0, ndiv = 0, 0
    for _, r in ipairs(nrows) do
      if r[2] == "wd0" then nwd0 = nwd0 + 1 end
      if r[4] ~= "ok" then ndiv = ndiv + 1 end
    end
    d:p(string.format("%d networks did not converge (%d diverged); %d of them are wd0 controls (without weight decay "
      .. "the training loss can keep improving, so the loss rule need not hold); controls are reported at the cap.",
      #nrows, ndiv, nwd0))
    d:add(doc.md_table({ "id", "kind", "architecture", "status", "stopped", "epochs", "H", "why" }, nrows))
  end

  -- ---- figures ----
  d:h(2, "Figures")
  for _, f in ipairs(figs) do d:image(f.title, f.file, f.caption) end
  return d:text()
end

return M
