-- report.lua - problem 2's outputs, from runs.jsonl and iterations/: the CSV files
-- (problem2/tables.lua), the figures, facts.json (problem2/facts.lua: every number and
-- verdict) and report.md, whose prose below is written from those facts alone. Means come
-- with 95% intervals (Student's t over seeds), and ratios to the dense network are taken seed
-- by seed against the dense network of the same seed.
local rh = require "rankhost"
local doc = require "common.report"
local prose = require "common.prose"
local facts_io = require "common.facts"
local verdicts = require "common.verdicts"
local plan_of = require "problem2.plan"
local figures = require "problem2.figures"
local tables = require "problem2.tables"
local p2facts = require "problem2.facts"

local M = {}

local num = doc.num
local ci = prose.interval
local function joined(w, sep) return table.concat(w, sep or "-") end
local stops_text = tables.stops_text

-- ", width measure gap_full" for a policy whose rank measure is known, else ""; the policy's
-- file name.
local function measure_words(f) return f.width_measure and (", width measure " .. f.width_measure) or "" end
local function policy_name(f) return f.policy:match("([^/]+)$") or f.policy end

-- The bar of issue 16 (common/verdicts.lua holds it).
M.BAR = verdicts.BAR

-- What a mean of one seed has instead of an interval.
local NO_INTERVAL = "one seed, no interval"

-- Words for a paired interval of differences (facts.against).
local function diff_words(d, more, less)
  if d.side == "empty" then return "cannot be compared (no seed in common)" end
  if d.side == "one" then return string.format("differs by %+.4f (%s)", d.mean, NO_INTERVAL) end
  if d.side == "above" then return string.format("is %s by %.4f ± %.4f", more, d.mean, d.half) end
  if d.side == "below" then return string.format("is %s by %.4f ± %.4f", less, -d.mean, d.half) end
  return string.format("differs by %+.4f ± %.4f, which these seeds cannot tell from no difference", d.mean, d.half)
end

local INHERIT_WORDS = { above = "inheriting wins", below = "fresh initialisation wins",
  contains = "these seeds cannot tell them apart", one = "one seed: no interval", empty = "no pairs" }
M.INHERIT_WORDS = INHERIT_WORDS

-- "loop (fresh), constant, iteration 2" / "magnitude, gamma 0.5" / "dense".
local function point_name(p)
  return p.method .. ((p.variant or "") ~= "" and (", " .. p.variant) or "")
    .. ((p.iteration and p.iteration > 0) and ((p.method:match("^lottery") and ", round " or ", iteration ")
      .. p.iteration) or "")
end

-- The bar and the fronts in one paragraph (facts f.pareto).
local function pareto_words(f)
  local pb = f.pareto and f.pareto.bar
  if not pb then return nil end
  local parts = {}
  if pb.best then
    parts[#parts + 1] = string.format("%d of the %d networks on the fronts' plane meet the bar on the means (counting "
      .. "standalone methods only: same_time, magnitude and scratch train at widths a loop run found); the most "
      .. "accurate of them is **%s** (accuracy / dense %.4f, parameters / dense %.3f, time / dense %.2f)", #pb.meeting,
      f.pareto.points, point_name(pb.best), pb.best.acc_frac, pb.best.param_frac, pb.best.time_mult)
    parts[#parts + 1] = string.format("the fastest is **%s** (time / dense %.2f, FLOPs / dense %.2f, accuracy / dense "
      .. "%.4f, parameters / dense %.3f) and the smallest **%s** (parameters / dense %.3f, accuracy / dense %.4f, time / "
      .. "dense %.2f)", point_name(pb.cheapest), pb.cheapest.time_mult, pb.cheapest.flop_mult, pb.cheapest.acc_frac,
      pb.cheapest.param_frac, point_name(pb.smallest), pb.smallest.param_frac, pb.smallest.acc_frac,
      pb.smallest.time_mult)
  else
    parts[#parts + 1] = string.format("none of the %d networks on the fronts' plane meets the bar on the means",
      f.pareto.points)
  end
  local on, off = {}, {}
  for _, c in ipairs(f.pareto.fronts) do
    local list = pb.loop_on_front[c.cost] and on or off
    list[#list + 1] = c.name
  end
  if #off == 0 then
    parts[#parts + 1] = "a loop network is on every front (parameters, FLOPs, seconds)"
  elseif #on == 0 then
    parts[#parts + 1] = "**no loop network is on any front: not the loop** (every loop network is matched or beaten "
      .. "in accuracy at no more cost by another method)"
  else
    parts[#parts + 1] = string.format("a loop network is on the front of %s, **not the loop** on that of %s",
      table.concat(on, " and "), table.concat(off, " and "))
  end
  return table.concat(parts, "; ") .. "."
end

local function find(list, key, value)
  for _, x in ipairs(list) do if x[key] == value then return x end end
end

-- ---- Headline ----

local function crit_text(c)
  if c.whole == nil then return string.format("%s (%.3g: %s)", c.met and "met" or "not met", c.mean, NO_INTERVAL) end
  return string.format("%s (interval %.3g to %.3g%s)", c.met and "met" or "not met", c.lo, c.hi,
    c.met == c.whole and "" or (c.met and ", which crosses the bar" or ", which reaches it"))
end

local function headline(d, f)
  local h = f.headline
  if not h then
    d:p("No loop run of the image task has finished yet: there is no headline.")
    return
  end
  local best = find(f.variants, "variant", h.variant)
  local s = best.loop
  -- which method wins where comes first, from the fronts; then the loop's own best variant
  local pw = pareto_words(f)
  if pw then d:p("**On the Pareto fronts** (every method's networks, below): " .. pw) end
  d:p(string.format("**The loop's best configuration: the %s variant** (%s weight decay; chosen on the validation set, never the "
    .. "test set: the variant whose means meet the most of the three criteria with validation accuracy / dense "
    .. "(%d here), then by validation accuracy / dense, %s).", best.label, best.wd_change, s.meets_val.count,
    ci(s.val_frac, 4))
    .. string.format(" Over %d seeds its final network reaches test accuracy %s, **%s of the dense network's** (dense: "
      .. "%s),", s.n, ci(s.acc, 4), ci(s.acc_frac, 4), ci(h.dense_acc, 4))
    .. string.format(" with **%s of its parameters** (%s),", ci(s.param_frac, 3), table.concat(s.widths, ", "))
    .. string.format(" in **%s times its training time** (%s times its FLOPs, which other load on the machine does not "
      .. "change).", ci(s.time_mult, 3), ci(s.flop_mult, 3)))
  local bar = f.thresholds.BAR
  d:p(string.format("**The bar (at least %g%% of dense accuracy with at most %g%% of its parameters in at most %gx its "
    .. "training time) is %s** on the means: accuracy %s; parameters %s; time %s.", 100 * bar.acc,
    100 * bar.params, bar.time, h.bar.met and "met" or "not met", crit_text(h.bar.acc), crit_text(h.bar.params),
    crit_text(h.bar.time)))
  local fps = {}
  for _, c in ipairs(f.constant_fixed_points or {}) do
    fps[#fps + 1] = string.format("%s %d of %d (%d within --margin of the dense network's validation accuracy)",
      c.name, c.fixed_points, c.runs, c.within_dense_margin or 0)
  end
  if #fps > 0 then
    d:p(string.format("**Fixed points under constant weight decay** (policy `%s`%s; the teachers "
      .. "under their %s variant): %s.", policy_name(f), measure_words(f),
      f.teacher_variant or "teacher", table.concat(fps, "; ")))
  end
  local tl = {}
  for _, t in ipairs(f.teacher or {}) do
    if t.runs > 0 then
      local fpw = {}
      for i, w in ipairs(t.fixed_widths) do fpw[i] = string.format("%d (%.2f w*)", w, w / t.wstar) end
      tl[#tl + 1] = string.format("%s w* = %d %s: landing / w* %s, %d of %d runs in target; %s", t.teacher_kind,
        t.wstar, t.arm,
        ci(t.landing_ratio, 3), t.in_target, t.runs, #fpw == 0 and "no fixed point" or string.format(
          "fixed point%s at %s, %d in target", #fpw == 1 and "" or "s", table.concat(fpw, ", "), t.fixed_in_target))
    end
  end
  if #tl > 0 then
    d:p(string.format("**Where the loop's widths land against the teacher's w*** (policy `%s`%s; target [%g, %g] x "
      .. "w*; the table under \"Ground truth\"): %s.", policy_name(f), measure_words(f),
      f.target.lo, f.target.hi, table.concat(tl, "; ")))
  end
  local function said(b)
    return string.format("**%s**: test accuracy %s (%s of dense, %s of its parameters, %s times its time, %s times its "
      .. "FLOPs); against the loop's final network (paired by seed) its accuracy %s", b.kind, ci(b.acc, 4),
      ci(b.acc_frac, 4), ci(b.param_frac, 3), ci(b.time_mult, 3), ci(b.flop_mult, 3),
      diff_words(b.vs_loop, "higher", "lower"))
  end
  local win = h.most_accurate_baseline and find(best.baselines, "kind", h.most_accurate_baseline)
  local win_bar = h.most_accurate_meeting_bar and find(best.baselines, "kind", h.most_accurate_meeting_bar)
  if win then d:p("The most accurate baseline at these widths is " .. said(win) .. ".") end
  if win_bar and win_bar ~= win then
    d:p("Of the baselines whose means meet the bar, the most accurate is " .. said(win_bar) .. ".")
  elseif not win_bar and win then
    d:p("No baseline's means meet the bar.")
  end
  local inh = best.inherited
  if inh then
    local at = inh.first_vs_fresh
    d:p(string.format("**Inherited weights** (each iteration from the previous network cut to the new widths by %s, "
      .. "not a fresh initialisation), same variant: **at the same widths** (each twin's iteration 1, cut from the "
      .. "same dense network; equal widths in %d of %d seeds) its test accuracy %s%s, lower in %d of those %d pairs. "
      .. "Against the fresh loop's "
      .. "final network (paired by seed, n = %d) its final network's test accuracy %s%s; it keeps %s of the dense "
      .. "network's parameters (fresh: %s)%s.", inh.init, inh.first_same_widths, at.n or 0,
      diff_words(at, "higher", "lower"), (at.side == "above" or at.side == "below") and (": **"
        .. INHERIT_WORDS[at.side] .. "** there") or "", inh.first_lower or 0, at.n or 0, inh.vs_fresh.n or 0, diff_words(inh.vs_fresh, "higher", "lower"),
      (inh.final_same_size and (inh.vs_fresh.side == "above" or inh.vs_fresh.side == "below")) and (": **"
        .. INHERIT_WORDS[inh.vs_fresh.side] .. "**") or "", ci(inh.loop.param_frac, 3), ci(s.param_frac, 3),
      inh.final_same_size and "" or ", so that difference mixes in the networks' sizes and says nothing of "
        .. "inheriting alone"))
  end
end

-- ---- Setup ----

local function jobs_text(jobs)
  local parts = {}
  for i, j in ipairs(jobs) do
    parts[i] = j > 1 and string.format("in local worker processes, %d at a time, one BLAS thread each", j)
      or "one run at a time in the main process (--jobs 1)"
  end
  return #parts > 0 and table.concat(parts, " or ") or "(no run recorded how)"
end

local function setup(d, f)
  local o, dn = f.settings, f.dense
  d:p(string.format("**Data.** %s; the dense network has hidden widths %s (%s parameters). Teacher tasks: %s. "
    .. "**Seeds:** %d per configuration.", f.image_task, joined(o.hidden), num(dn.parameters),
    o.teacher_widths and #o.teacher_widths > 0 and string.format("teacher MLPs of hidden width w* = %s (input dim %d, "
      .. "%d training samples), of the kinds %s (regress: y = V relu(W x), 10 outputs, MSE, its accuracies R^2; "
      .. "classify: 10 classes), student hidden widths %s, variant %s", joined(o.teacher_widths, ", "),
      o.teacher_dim, o.teacher_n, joined(o.teacher_kind, ", "), joined(o.teacher_hidden), f.teacher_variant)
      or "none", o.seeds))
  d:p("**Every training** (dense, each iteration, each baseline): " .. f.rules_text .. ". Test accuracy is read "
    .. "after the cooldown; every rank comes from the singular values of fit's last rank check (one SVD per layer).")
  if dn.n > 0 then
    d:p(string.format("**The dense networks** (image task) trained %s epochs to a horizon H of %s; their ranks "
      .. "converged in %d of %d; training time %s s (the unit of every time multiple below).", ci(dn.epochs, 3),
      ci(dn.horizon, 3), dn.converged, dn.n, ci(dn.seconds, 3)))
  end
  local vs = {}
  for _, v in ipairs(f.variants) do
    vs[#vs + 1] = string.format("%s (weight decay %s at iteration 1: %s)", v.label, num(v.wd1), v.wd_change)
  end
  d:p(string.format("**The loop.** Policy `%s`%s; variants: %s. After each iteration the policy reads the converged "
    .. "ranks; the run stops at a **fixed point** when every layer's next width is within max(%g, %g x width) of its "
    .. "width, at the **margin** when validation accuracy falls more than %g below the dense network's (the "
    .. "network before it is then the final one), or at the **cap** of %d iterations (teacher tasks: %d).", f.policy,
    measure_words(f), table.concat(vs, "; "), o.fp_slack, o.fp_rel_slack, o.margin, o.max_iters, o.teacher_max_iters))
  d:p(string.format("**Times** are training seconds (fit's steps and the cooldown; evaluation, rank checks and "
    .. "surgery excluded), measured %s. A loop run's time includes its dense network's and every iteration it trained, "
    .. "a rejected last one included. Other load on the machine makes them noisy: compare the dense networks' spread "
    .. "above; the FLOP ratios (6 x parameters x samples seen) are what load does not change.", jobs_text(dn.jobs)))
end

-- ---- the tables ----

local function bar_cell(meets, count_too)
  if meets.count == 3 then return "yes" end
  return count_too and string.format("no (%d of 3)", meets.count) or "no"
end

local function variants_table(d, f)
  local rows = {}
  for _, s in ipairs(f.variants) do
    local l = s.loop
    rows[#rows + 1] = { s.label, s.runs, stops_text(s.stops), ci(s.iterations, 2), table.concat(l.widths, ", "),
      ci(l.param_frac, 3), ci(l.acc, 4), ci(l.acc_frac, 4), ci(l.time_mult, 3), ci(l.flop_mult, 3),
      ci(s.last_horizon, 3), bar_cell(l.meets, true) }
  end
  d:add(doc.md_table({ "variant", "runs", "stops", "iterations", "final widths (per seed)", "parameters / dense",
    "test acc", "acc / dense", "time / dense", "FLOPs / dense", "H of the last iteration", "meets the bar" }, rows))
  local lines = {}
  for _, r in ipairs(f.stops) do
    lines[#lines + 1] = string.format("- `%s`: %s; %d iterations trained in %.1f s of training, %.2f times the dense "
      .. "network's %.1f s.", r.id, r.stop_text, r.iterations, r.seconds, r.time_mult, r.dense_seconds)
  end
  d:p(table.concat(lines, "\n"))
end

local function baselines_section(d, f)
  for _, s in ipairs(f.variants) do
    if #s.baselines > 0 then
      d:h(3, "At the final widths of the " .. s.label .. " variant")
      local l = s.loop
      local rows = { { "loop (" .. s.label .. ")", table.concat(l.widths, ", "), ci(l.param_frac, 3), ci(l.acc, 4),
        ci(l.acc_frac, 4), ci(l.time_mult, 3), ci(l.flop_mult, 3), "", bar_cell(l.meets) } }
      for _, b in ipairs(s.baselines) do
        rows[#rows + 1] = { b.kind, table.concat(b.widths, ", "), ci(b.param_frac, 3), ci(b.acc, 4), ci(b.acc_frac, 4),
          ci(b.time_mult, 3), ci(b.flop_mult, 3), ci(b.vs_loop, 3), bar_cell(b.meets) }
      end
      d:add(doc.md_table({ "method", "widths or ranks (per seed)", "parameters / dense", "test acc", "acc / dense",
        "time / dense", "FLOPs / dense", "acc minus loop (paired)", "meets the bar" }, rows))
    end
  end
end

-- Inherited weights (each iteration from the previous network, cut by --inherit's surgery)
-- against fresh initialisation, per variant, paired by seed.
local function inherit_section(d, f)
  local rows, lines = {}, {}
  for _, s in ipairs(f.variants) do
    local h = s.inherited
    if h then
      rows[#rows + 1] = { s.label, h.init, ci(h.first_vs_fresh, 3), stops_text(s.stops), stops_text(h.stops),
        ci(s.loop.acc_frac, 4), ci(h.loop.acc_frac, 4), ci(h.vs_fresh, 3), ci(s.loop.param_frac, 3),
        ci(h.loop.param_frac, 3), ci(h.params_vs_fresh, 3), ci(s.loop.time_mult, 3), ci(h.loop.time_mult, 3) }
      lines[#lines + 1] = string.format("- %s: at the same widths (iteration 1, equal in %d of %d seeds) test accuracy "
        .. "inherited minus fresh %s: **%s** (lower in %d of %d pairs); final networks: test accuracy inherited minus fresh %s (paired by seed, "
        .. "n = %d): %s; parameters / dense inherited minus fresh %s; validation accuracy inherited minus fresh %s.",
        s.label, h.first_same_widths, h.first_vs_fresh.n or 0, ci(h.first_vs_fresh, 3),
        INHERIT_WORDS[h.first_vs_fresh.side] or tostring(h.first_vs_fresh.side), h.first_lower or 0,
        h.first_vs_fresh.n or 0, ci(h.vs_fresh, 3), h.vs_fresh.n or 0,
        h.final_same_size and (INHERIT_WORDS[h.vs_fresh.side] or tostring(h.vs_fresh.side))
          or "of networks of different sizes, not a test of inheriting", ci(h.params_vs_fresh, 3), ci(h.val_vs_fresh, 3))
    end
  end
  if #rows == 0 then
    d:p("No inherited runs (--inherit none).")
    return
  end
  d:p("The same loop run twice from each dense network: each iteration from a fresh initialisation (the variants "
    .. "above), and from the previous network cut to the new widths (inherited). Iteration 1 of the twins has the "
    .. "same widths (the policy read the same dense network), so its difference is inheriting's alone; the final "
    .. "networks may differ in size. Ratios to the dense network of the seed; differences inherited minus fresh "
    .. "paired by seed, mean ± 95% interval.")
  d:add(doc.md_table({ "variant", "surgery", "iteration 1 acc: inherited minus fresh", "stops (fresh)", "stops (inherited)", "acc / dense (fresh)",
    "acc / dense (inherited)", "acc: inherited minus fresh", "params / dense (fresh)", "params / dense (inherited)",
    "params: inherited minus fresh", "time / dense (fresh)", "time / dense (inherited)" }, rows))
  d:p(table.concat(lines, "\n"))
end

local function pareto_section(d, f)
  if not f.pareto or f.pareto.points == 0 then
    d:p("No network has finished yet: no fronts.")
    return
  end
  d:p("Every method's networks as points: the dense network, each loop iteration (fresh and inherited, per variant; "
    .. "over the runs that kept it: a network rejected at the margin is not the loop's), the loop started narrow (its "
    .. "final networks, costs from its own start), each baseline at each variant's widths; means over seeds of test "
    .. "accuracy / dense and of each cost / dense (cumulative: a loop iteration's cost includes the dense network and "
    .. "every iteration before it). A point is on a cost's front when " .. f.pareto.rule .. " (min_n "
    .. tostring(f.pareto.min_n) .. "; n is each point's seeds). pareto.csv holds every point with the 95% intervals "
    .. "of both axes. "
    .. "The baselines at a variant's widths (same_time, magnitude, scratch) count their own training only, not the loop "
    .. "run that found those widths; scratch's low cost is that of a network whose widths were given.")
  for _, c in ipairs(f.pareto.fronts) do
    local items = {}
    for _, p in ipairs(c.front) do
      items[#items + 1] = string.format("%s (%.3g, %.4f, n %d)", point_name(p), p.cost, p.acc_frac, p.n or 0)
    end
    d:p(string.format("- **Front of %s** (%s / dense, accuracy / dense), cheapest first: %s.", c.name, c.name,
      table.concat(items, "; ")))
  end
  d:p(pareto_words(f))
end

local TARGET_WORDS = { inside = "inside the target", outside = "outside the target", overlaps = "overlaps the target",
  empty = "no runs" }
M.TARGET_WORDS = TARGET_WORDS

local function teacher_section(d, f)
  local t0 = f.target
  d:p(string.format("Where the loop ends against the teacher's hidden width w*, in two arms under the %s variant: "
    .. "**from dense** (the loop from the dense student) and **from narrow** (a student started below w*, which the "
    .. "policy must grow). The **landing** is the first hidden layer's width in the run's last trained network (the "
    .. "width policy's last answer, a margin stop or not); the **final width** that of the last network within the "
    .. "margin (the dense network's accuracy for a run from dense, the best earlier iteration's for a narrow run). "
    .. "The target is landing / w* in [%g, %g] (and the same for the final width): its 95%% interval inside it, "
    .. "wholly outside it, or overlapping it. Dense rank: the %s rank of the dense student's first layer, per "
    .. "seed. A **regress** teacher is y = V relu(W x) with W of rank w*, trained on MSE: its accuracies are R^2 = 1 - "
    .. "MSE / variance, and the margin reads validation R^2; a **classify** teacher is rh.data.teacher's 10-class "
    .. "task, scored by accuracy.", f.teacher_variant or "teacher", t0.lo, t0.hi, f.read_measure))
  local rows, lines = {}, {}
  for _, t in ipairs(f.teacher) do
    rows[#rows + 1] = { t.teacher_kind, t.wstar, t.arm, t.start or "", t.runs, stops_text(t.stops), ci(t.landing, 3),
      joined(t.landings, ", "), ci(t.landing_ratio, 3), TARGET_WORDS[t.target], string.format("%d of %d", t.in_target,
      t.runs), ci(t.width, 3), joined(t.widths, ", "), string.format("%s, %d of %d", TARGET_WORDS[t.final_target],
      t.final_in_target, t.runs), #t.dense_rank > 0 and joined(t.dense_rank, ", ") or "", ci(t.acc, 4), ci(t.dense_acc, 4) }
    if t.runs > 0 then
      lines[#lines + 1] = string.format("- %s w* = %d, %s (start %s): landed at width %s (per seed %s; stops: %s); "
        .. "landing / w* %s%s: %s, %d of %d runs in [%g, %g]; %d fixed point%s; the final width (within the margin) "
        .. "%s (per seed %s): %s, %d of %d runs.", t.teacher_kind, t.wstar, t.arm, tostring(t.start),
        ci(t.landing, 3), joined(t.landings, ", "), stops_text(t.stops), ci(t.landing_ratio, 3), t.landing_ratio.lo
        and string.format(" (interval %.2f to %.2f)", t.landing_ratio.lo, t.landing_ratio.hi) or "",
        TARGET_WORDS[t.target], t.in_target, t.runs, t0.lo, t0.hi, t.fixed_points, t.fixed_points == 1 and "" or "s",
        ci(t.width, 3), joined(t.widths, ", "), TARGET_WORDS[t.final_target], t.final_in_target, t.runs)
    end
  end
  d:add(doc.md_table({ "teacher", "w*", "arm", "start", "runs", "stops", "landing", "per seed", "landing / w*", "target",
    "runs in target", "final width", "final per seed", "final: target", "dense rank (layer 1)", "final test acc",
    "dense test acc" }, rows))
  d:p(table.concat(lines, "\n"))
end

-- The image task's start-narrow arm (facts f.image_narrow).
local function narrow_section(d, f)
  local n, s = f.image_narrow.narrow, f.image_narrow.from_dense
  d:p(string.format("The loop started at hidden widths %s under constant decay (policy `%s`%s), "
    .. "beside the loop from the dense network under the same decay. A narrow run's margin reads the best validation "
    .. "accuracy of its earlier iterations (it begins below the dense network's).", n.start, f.policy, measure_words(f)))
  local rows = {}
  local function row(name, x)
    rows[#rows + 1] = { name, x.runs, stops_text(x.stops), ci(x.iterations, 2), table.concat(x.landings, ", "),
      ci(x.landing_first, 3), table.concat(x.widths, ", "), ci(x.param_frac, 3), ci(x.acc_frac, 4) }
  end
  row("from " .. n.start, n)
  if s then row("from dense", s) end
  d:add(doc.md_table({ "arm", "runs", "stops", "iterations", "landing widths (per seed)", "landing, first layer",
    "final widths (within the margin)", "final parameters / dense", "final test acc / dense" }, rows))
  d:p(string.format("%d of %d narrow runs ended wider than they started in some layer.%s", n.grew, n.runs, s and
    string.format(" Their first hidden layer landed at %s against %s from the dense network (the landing: the last "
    .. "trained network, before any margin stop).", ci(n.landing_first, 3), ci(s.landing_first, 3)) or ""))
end

local function iterations_section(d, f)
  local col = {}
  for _, c in ipairs(f.collapsed or {}) do
    col[#col + 1] = string.format("%s iteration %d (%s, validation accuracy %.3f)", c.id, c.iteration, c.widths, c.val_acc)
  end
  d:p(#col == 0 and "No loop network collapsed to chance." or string.format("**Collapsed to chance** (validation "
    .. "accuracy at most %g x 1/classes: the network learned nothing; the margin rejects it): %s.",
    f.thresholds.COLLAPSED_CHANCE, table.concat(col, "; ")))
  local rows = {}
  for _, it in ipairs(f.iterations) do
    rows[#rows + 1] = { it.variant, it.iteration, it.runs, table.concat(it.widths, ", "), ci(it.test_acc, 4),
      ci(it.epochs, 3), ci(it.horizon, 3), it.runs - it.horizon_short, it.converged, ci(it.cum_seconds, 3) }
  end
  d:add(doc.md_table({ "variant", "iteration", "runs", "widths (per run)", "test acc", "epochs", "horizon H",
    "H reached", "converged (H and ranks)", "cumulative seconds" }, rows))
  local short = {}
  for _, it in ipairs(f.iterations) do
    if it.horizon_short > 0 then
      short[#short + 1] = string.format("%s iteration %d (%d of %d runs, H %s)", it.variant, it.iteration,
        it.horizon_short, it.runs, ci(it.horizon, 3))
    end
  end
  d:p(#short == 0 and string.format("Every iteration reached the horizon H >= %g under its own weight decay.",
    f.settings.min_horizon) or string.format("**Not converged:** these iterations stopped at the cap of %d epochs "
    .. "(--horizon-epochs) before their horizon reached %g under their own weight decay: %s. A fixed point or a "
    .. "final network among them is one where weight decay had not yet acted.", f.settings.horizon_epochs,
    f.settings.min_horizon, table.concat(short, "; ")))
end

-- report.md's text from problem2/facts.lua's table f (with f.figures and f.thresholds).
function M.text(f)
  local d = doc.document()
  d:h(1, "Problem 2: iterative rank pruning to a fixed point")
  d:p("Every number and verdict below is in facts.json.")
  d:h(2, "Headline")
  headline(d, f)
  d:h(2, "Setup")
  setup(d, f)
  d:h(2, "Variants (image task)")
  d:p("Per variant, over its seeds: how the runs stopped, the final network (the last one within the margin) and its "
    .. "ratios to the dense network of the same seed, mean ± 95% interval.")
  variants_table(d, f)
  d:h(2, "Inherited weights against fresh initialisation")
  inherit_section(d, f)
  d:h(2, "Pareto fronts")
  pareto_section(d, f)
  d:h(2, "Baselines")
  d:p("Each trained once by the same rules on the same data: **same_time** a dense network for the loop run's total "
    .. "time; **magnitude** the trained dense network pruned to the final widths by incoming-weight norm, then trained; "
    .. "**scratch** the final widths from a fresh start; **cuttlefish** each hidden layer of the trained dense network "
    .. "factored at rank ceil(stable rank now x full rank / stable rank at initialisation) (Wang et al., MLSys 2023), "
    .. "then trained (its ranks in the widths column). Time multiples count the dense network's training where a "
    .. "method starts from it (magnitude, cuttlefish).")
  baselines_section(d, f)
  if #f.teacher > 0 then
    d:h(2, "Ground truth: teacher MLPs of known hidden width")
    teacher_section(d, f)
  end
  if f.image_narrow then
    d:h(2, "Widening: the image task started narrow")
    narrow_section(d, f)
  end
  d:h(2, "Iterations")
  iterations_section(d, f)
  d:h(2, "Figures")
  for _, fig in ipairs(f.figures or {}) do d:image(fig.title, fig.file, fig.caption) end
  d:h(2, "Files")
  d:p("`iterations.csv` every iteration of every loop run (`fixed_point`: whether the policy's answer after it was "
    .. "within the slack; `final`: the run's final network); `loops.csv` one row per loop run; `baselines.csv` the "
    .. "baselines; `teacher.csv` the teacher-width table; `facts.json` every number and verdict of this report; "
    .. "`runs.jsonl` every run's record; `iterations/<run>.jsonl` each iteration with every rank measure and the "
    .. "singular values; `checkpoints/` the weights.")
  d:h(2, "Options")
  d:p("`" .. f.options_text .. "`")
  return d:text()
end

-- ---- figures ----

-- The figures, drawn into out; a = problem2/facts.lua's runs (sums, runs_of, best,
-- teacher_points). Returns the list drawn ({file, title, caption}).
local function draw_figures(out, o, plan, done, f, a, rows_by_id)
  local by_variant = {}
  for i, s in ipairs(a.sums) do
    local rr = {}
    for _, r in ipairs(a.runs_of[i]) do rr[#rr + 1] = rows_by_id[r.id] end
    if #rr > 0 then by_variant[#by_variant + 1] = { label = s.label, runs_rows = rr } end
  end
  local figs = {}
  if #by_variant > 0 then
    local points = {}
    for _, b in ipairs(a.best and a.best.baselines or {}) do
      if b.seconds then
        points[#points + 1] = { name = b.kind .. " (" .. a.best.label .. " widths)", x = b.seconds, y = b.acc.mean,
          err = b.acc.half }
      end
    end
    figs[#figs + 1] = { file = "accuracy_vs_time.png", fig = figures.accuracy_vs_time(by_variant, points, o),
      caption = "Mean test accuracy over seeds at each iteration (the runs that reached it) against the mean cumulative "
        .. "training time, with its 95% band; the baselines at the best variant's final widths as points with 95% "
        .. "error bars." }
    figs[#figs + 1] = { file = "widths.png", fig = figures.widths(by_variant, #o.hidden, o),
      caption = "Mean width of each hidden layer by iteration (runs that reached the iteration)." }
    local spectra = {}
    local dense1 = p2facts.records(plan, done, "dense", "img")[1]
    if dense1 and dense1.svals then spectra[1] = { name = "dense", svals = dense1.svals[1] } end
    for i, s in ipairs(a.sums) do
      local r1 = a.runs_of[i][1]
      local row = r1 and rows_by_id[r1.id][r1.final_iteration + 1]
      if row and row.svals then spectra[#spectra + 1] = { name = s.label .. " final", svals = row.svals[1] } end
    end
    if #spectra > 0 then
      figs[#figs + 1] = { file = "spectra.png", fig = figures.spectra(spectra, o),
        caption = "Singular values of the first hidden layer's weight after the cooldown, seed 1." }
    end
  end
  local pfile = { param_frac = "pareto_params.png", flop_mult = "pareto_flops.png", time_mult = "pareto_seconds.png" }
  if #(a.pareto_points or {}) > 0 then
    for _, c in ipairs(p2facts.COSTS) do
      figs[#figs + 1] = { file = pfile[c.key], fig = figures.pareto(a.pareto_points, c.key, c.name),
        caption = "Every method's networks: mean test accuracy / dense against mean " .. c.name .. " / dense over "
          .. "seeds, with 95% intervals on both axes; 'the front' marks the points on the front again." }
    end
  end
  if #a.teacher_points > 0 then
    figs[#figs + 1] = { file = "teacher_widths.png", fig = figures.teacher(a.teacher_points, o.teacher_widths, o, f.target),
      caption = "Each teacher run's landing (the first hidden layer's width in its last trained network), from the "
        .. "dense student and from a narrow start, against the teacher's hidden width w*; the line is width = w*, the "
        .. "band the target [0.8, 1.25] x w*." }
  end
  local drawn = figures.draw_all(out, figs)
  local list = {}
  for _, d in ipairs(drawn) do list[#list + 1] = { file = d.file, title = d.title, caption = d.caption } end
  return list
end

-- ---- writing everything ----

-- Rows of every loop run: {record, rows (iterations/<id>.jsonl)}.
local function loop_rows(out, list)
  local res = {}
  for _, r in ipairs(list) do
    local path = out .. "/iterations/" .. r.id .. ".jsonl"
    res[#res + 1] = { record = r, rows = rh.io.exists(path) and rh.log.read_jsonl(path) or {} }
  end
  return res
end

-- Writes the CSV files, the figures, facts.json and report.md into out; returns the names
-- written. ctx = {variants, order, image_variants, teacher_variant, rules, tasks, policy}.
function M.write_all(out, o, plan, done, ctx)
  local written = {}
  local function write(name, text)
    rh.io.write_atomic(out .. "/" .. name, text)
    written[#written + 1] = name
  end
  local records = p2facts.records
  local all_loops = records(plan, done, "iterate")
  for _, kind in ipairs { "inherit", "narrow", "halve" } do
    for _, r in ipairs(records(plan, done, kind)) do all_loops[#all_loops + 1] = r end
  end
  local loops = loop_rows(out, all_loops)
  local rows_by_id = {} -- each loop run's iterations/<id>.jsonl, read once
  for _, l in ipairs(loops) do rows_by_id[l.record.id] = l.rows end
  local f, a = p2facts.build(o, plan, done, ctx, rows_by_id)
  write("iterations.csv", doc.csv(tables.iterations(loops, o)))
  write("loops.csv", doc.csv(tables.loops(all_loops)))
  local base = {}
  for _, kind in ipairs(plan_of.BASELINES) do
    for _, r in ipairs(records(plan, done, kind)) do base[#base + 1] = r end
  end
  for _, kind in ipairs { "oneshot", "lottery", "cuttlefish_early" } do
    for _, r in ipairs(records(plan, done, kind)) do base[#base + 1] = r end
  end
  write("baselines.csv", doc.csv(tables.baselines(base)))
  write("teacher.csv", doc.csv(tables.teacher(f.teacher)))
  write("pareto.csv", doc.csv(tables.pareto(a.pareto_points)))
  f.figures = draw_figures(out, o, plan, done, f, a, rows_by_id)
  for _, fig in ipairs(f.figures) do written[#written + 1] = fig.file end
  written[#written + 1] = facts_io.write(out, f)
  write("report.md", M.text(f))
  return written
end

return M
