-- verdicts.lua - every threshold the study reports decide by, as a named constant, and every
-- rule that turns a number into a verdict. A rule returns a short verdict key (the report's
-- prose maps keys to words) and the facts keep the key beside the rule's name, so a reader
-- of facts.json sees which rule, at which threshold, decided each sentence. One rule per
-- idea: every study asks these functions, none decides inline.
local stats = require "common.stats"

local M = {}

-- ---- the thresholds ----

-- Spearman's rho of exactly +1 or -1 has no Fisher interval (it would be a point); over at
-- least this many runs it is taken as a direction (a perfectly monotone relation), below it
-- as too few runs. The same count stats.spearman_ci needs for an interval.
M.RHO_PERFECT_MIN_N = 5
-- A figure "follows the narrowest hidden width" when its rho with that width lies at or
-- above this (problem 1: a network rank that only restates the widths is not a new measure).
M.FOLLOWS_WIDTH = 0.9
-- A random-label network "memorised" its labels at this training accuracy or above.
M.MEMORISED_TRAIN_ACC = 0.9
-- Architectures "keep their seeds in one class" when at least this share of those with
-- replicates has every seed in one class; below it, seeds scatter over classes.
M.SEEDS_KEEP_CLASS = 0.5
-- Problem 2's bar (issue 16): at least this fraction of the dense network's accuracy, with
-- at most this fraction of its parameters, in at most this multiple of its training time.
M.BAR = { acc = 0.98, params = 0.20, time = 3 }
-- Low-rank-bias grid: without weight decay "no low-rank bias" holds when the networks end
-- within this fraction of their initial rank (or above it).
M.WD0_INIT_MARGIN = 0.05
-- Low-rank-bias grid: two runs are "at equal horizon" when their horizons agree within this
-- relative amount (|log(H_a / H_b)| < log(1 + HORIZON_MATCH)).
M.HORIZON_MATCH = 0.1
-- Problem 2: a variant's first weight decay is "constant" when within this of the base one.
M.SAME_WD_TOL = 1e-12
-- Problem 1's memorisation grid: memorisation "has set in" in a cell (weight decay, label
-- noise, training-set size) when the mean memorised fraction (training accuracy on the
-- flipped examples against their flipped labels) is at least this.
M.MEMORISATION_ONSET = 0.5
-- Nulls (common/nulls.lua): a class or trend statistic "beats its null" when its
-- permutation p-value (architecture labels shuffled NULL_DRAWS times) is below ALPHA; a
-- class partition's stability is read from BOOTSTRAP_DRAWS seed-bootstrap draws; a figure
-- with at most DEGENERATE_MAX_DISTINCT distinct values over the networks is degenerate (its
-- classes are a count of a few values, which any labels share) and never beats its null.
M.ALPHA = 0.05
M.NULL_DRAWS = 1000
M.BOOTSTRAP_DRAWS = 200
M.DEGENERATE_MAX_DISTINCT = 3
-- Neural collapse (problem 1): the last hidden layer "sits at C - 1" when its rank is within
-- COLLAPSE_RANK_SLACK of C - 1 (calibrate's follows-C rule: C - 1 +- 1), and its
-- classes have collapsed when NC1 = Tr(Sigma_W Sigma_B^+)/C is at most NC1_COLLAPSED
-- (Papyan, Han & Donoho 2020 see NC1 fall below 1e-1 in the terminal phase of training).
M.COLLAPSE_RANK_SLACK = 1
M.NC1_COLLAPSED = 0.1

-- ---- one rule for a missing value ----

-- A usable number: not nil and not NaN (a diverged run's loss, a rank of an empty matrix).
-- Every study drops the others before a statistic (stats.values, stats.paired_values).
M.usable = stats.usable

-- ---- the rules ----

-- Each rule's name (what a verdict in facts.json names) and what it decides by.
M.RULES = {}

-- The sign of Spearman's rho s = {rho, lo, hi, n}: "undefined" (no rho: too few runs or a
-- constant list), "positive" / "negative" (the 95% interval excludes 0, or rho = +-1 over
-- at least RHO_PERFECT_MIN_N runs), "none" (the interval contains 0), "no_interval" (a rho
-- but too few runs for an interval).
M.RHO_SIGN_RULE = "rho_sign"
M.RULES.rho_sign = "95% interval excludes 0, or rho = +-1 over n >= RHO_PERFECT_MIN_N"
function M.rho_sign(s)
  if not s or not M.usable(s.rho) then return "undefined" end
  if s.lo then
    if s.lo > 0 then return "positive" end
    if s.hi < 0 then return "negative" end
    return "none"
  end
  if (s.n or 0) >= M.RHO_PERFECT_MIN_N and s.rho >= 1 then return "positive" end
  if (s.n or 0) >= M.RHO_PERFECT_MIN_N and s.rho <= -1 then return "negative" end
  return "no_interval"
end

-- Whether a figure follows the narrowest hidden width, from its rho with it: "yes" when the
-- 95% interval lies at or above FOLLOWS_WIDTH (or rho = 1 over RHO_PERFECT_MIN_N runs or
-- more), "no" when it lies below (or rho is undefined: a constant figure; or rho = -1 over
-- enough runs), "cannot tell" when the interval contains the threshold or there are too
-- few runs for one.
M.FOLLOWS_WIDTH_RULE = "follows_width"
M.RULES.follows_width = "rho's 95% interval at or above FOLLOWS_WIDTH (yes), below it (no), containing it (cannot tell)"
function M.follows_width(s)
  if not s or not M.usable(s.rho) then return "no" end
  if s.lo then
    if s.hi < M.FOLLOWS_WIDTH then return "no" end
    if s.lo >= M.FOLLOWS_WIDTH then return "yes" end
    return "cannot tell"
  end
  if (s.n or 0) >= M.RHO_PERFECT_MIN_N and s.rho >= 1 then return "yes" end
  if (s.n or 0) >= M.RHO_PERFECT_MIN_N and s.rho <= -1 then return "no" end
  return "cannot tell"
end

-- Where the 95% interval of a mean iv = {mean, half, n} lies against a reference value
-- (0 for a difference, 1 for a ratio): "empty" (no value), "one" (one value: no interval),
-- "below" / "above" (the whole interval strictly on that side), "contains".
M.SIDE_RULE = "side"
M.RULES.side = "the whole 95% interval of the mean strictly below or above the reference, else contains it"
function M.side(iv, ref)
  ref = ref or 0
  if not iv or not M.usable(iv.mean) then return "empty" end
  if not M.usable(iv.half) then return "one" end
  if iv.mean + iv.half < ref then return "below" end
  if iv.mean - iv.half > ref then return "above" end
  return "contains"
end

-- A trained network has collapsed when its validation accuracy is at most COLLAPSED_CHANCE
-- times chance (1 / classes): it learned nothing (dead units, a blown-up step).
M.COLLAPSED_CHANCE = 1.5
function M.collapsed(acc, classes) return M.usable(acc) and acc <= M.COLLAPSED_CHANCE / classes end

-- Problem 2's Pareto fronts: a point takes part when its mean is over at least this many
-- seeds (or all of a study's, when it has fewer): a mean of one or two seeds has no interval.
M.FRONT_MIN_SEEDS = 3

-- Problem 2's teacher tasks: where a width policy lands against the teacher's hidden width w*
-- counts as finding it when landing / w* lies in [TEACHER_TARGET.lo, TEACHER_TARGET.hi].
M.TEACHER_TARGET = { lo = 0.8, hi = 1.25 }
M.TARGET_RULE = "in_target"
M.RULES.in_target = "the 95% interval of landing / w* inside TEACHER_TARGET (inside), wholly outside it (outside), "
  .. "else overlaps; one run: its value inside or outside"
-- Whether one ratio q lies in the target.
function M.within_target(q) return M.usable(q) and q >= M.TEACHER_TARGET.lo and q <= M.TEACHER_TARGET.hi end
-- "inside", "outside", "overlaps" or "empty" for an interval iv = {mean, half} of a ratio.
function M.in_target(iv)
  local t = M.TEACHER_TARGET
  if not iv or not M.usable(iv.mean) then return "empty" end
  local lo, hi = iv.mean, iv.mean
  if M.usable(iv.half) then lo, hi = iv.mean - iv.half, iv.mean + iv.half end
  if M.within_target(lo) and M.within_target(hi) then return "inside" end
  if hi < t.lo or lo > t.hi then return "outside" end
  return "overlaps"
end

-- A random-label network memorised its labels: train accuracy >= MEMORISED_TRAIN_ACC.
M.MEMORISED_RULE = "memorised"
M.RULES.memorised = "train accuracy >= MEMORISED_TRAIN_ACC"
function M.memorised(train_acc) return M.usable(train_acc) and train_acc >= M.MEMORISED_TRAIN_ACC end

-- Seeds scatter: of the architectures with replicates, fewer than SEEDS_KEEP_CLASS keep
-- every seed in one class. a = classes.against_architecture's table.
function M.seeds_scatter(a)
  return a.replicated > 0 and a.consistent < M.SEEDS_KEEP_CLASS * a.replicated
end

-- How classes relate to architectures: "no_join" (no class holds two architectures),
-- "fixed" (every replicated architecture keeps its seeds in one class, and classes join
-- architectures), "scatter" (seeds_scatter), "join" (classes join architectures and at
-- least SEEDS_KEEP_CLASS of the architectures keep their seeds in one class).
M.CLASSES_RULE = "classes_vs_architecture"
M.RULES.classes_vs_architecture = "no class with >= 2 architectures (no_join); all replicated architectures "
  .. "in one class (fixed); fewer than SEEDS_KEEP_CLASS of them (scatter); else join"
function M.classes_vs_architecture(a)
  if a.multi == 0 then return "no_join" end
  if a.replicated > 0 and a.consistent == a.replicated then return "fixed" end
  if M.seeds_scatter(a) then return "scatter" end
  return "join"
end

-- A figure of `distinct` distinct values is degenerate (DEGENERATE_MAX_DISTINCT).
function M.degenerate(distinct) return distinct ~= nil and distinct <= M.DEGENERATE_MAX_DISTINCT end

-- Whether a statistic beats its null, from null = {p, distinct} (common/nulls.lua):
-- "degenerate" (the figure has DEGENERATE_MAX_DISTINCT distinct values or fewer, whatever
-- its p), "beats" (p < ALPHA), "chance" (p >= ALPHA), "no_null" (none was drawn).
M.NULL_RULE = "beats_null"
M.RULES.beats_null = "permutation p-value (architecture labels shuffled NULL_DRAWS times) below ALPHA, "
  .. "and more than DEGENERATE_MAX_DISTINCT distinct values"
function M.beats_null(null)
  if not null or not M.usable(null.p) then return "no_null" end
  if M.degenerate(null.distinct) then return "degenerate" end
  if null.p < M.ALPHA then return "beats" end
  return "chance"
end

-- Neural collapse of a network from its last hidden layer's rank above C - 1 and its NC1:
-- "collapsed" (rank within COLLAPSE_RANK_SLACK of C - 1 and NC1 <= NC1_COLLAPSED),
-- "rank_only" (the rank sits at C - 1, NC1 above the threshold), "nc1_only" (NC1 at or
-- below it, the rank higher), "none", or "unknown" (a value is missing).
M.COLLAPSE_RULE = "neural_collapse"
M.RULES.neural_collapse = "|last hidden rank - (C - 1)| <= COLLAPSE_RANK_SLACK and NC1 <= NC1_COLLAPSED"
function M.neural_collapse(above, nc1)
  if not M.usable(above) or not M.usable(nc1) then return "unknown" end
  local at, low = math.abs(above) <= M.COLLAPSE_RANK_SLACK, nc1 <= M.NC1_COLLAPSED
  if at and low then return "collapsed" end
  if at then return "rank_only" end
  if low then return "nc1_only" end
  return "none"
end

-- Weight norms are "stationary" when over the last NORM_PATIENCE epochs every Linear
-- layer's weight norm spread by at most NORM_REL_TOL of its value (rh.train.stop.norms).
M.NORM_PATIENCE = 5
M.NORM_REL_TOL = 0.01

-- The equilibrium check (problem 1's --long): a rank at the early horizon equals the one at
-- the long horizon "within the stop rule's slack" when |late - early| <= max(slack,
-- rel_slack x late) (the rank rule's own tolerance: regime.rank_rule). A measure is
-- "stationary" when every network's figure is, "drifts" when one or more moved further.
M.EQUILIBRIUM_RULE = "equilibrium"
M.RULES.equilibrium = "|rank at H_long - rank at H_early| <= max(rank slack, rank rel_slack x rank) in every network"
function M.within_slack(early, late, slack, rel_slack)
  if not M.usable(early) or not M.usable(late) then return nil end
  return math.abs(late - early) <= math.max(slack, rel_slack * late)
end

-- Problem 1's headline measure (problem1/headline.lua): the measure that recovers k on the
-- most (task, family) rows of the calibration table.
M.HEADLINE_RULE = "headline_measure"
M.RULES.headline_measure = "the measure that recovers k on the most (task, family) rows of calibration.csv; ties: "
  .. "the smaller mean |log worst_ratio|, then the name; none recovers k: the fallback, said so"

-- Whether a figure makes classes that cross architectures without reducing to the widths:
-- some class joins architectures, seeds do not scatter, it does not follow the widths, and
-- (when its null's verdict `null` is given: beats_null) its seeds keep their class more
-- often than under shuffled architecture labels. Returns "crosses" | "undecided" (the
-- others hold but follows_width cannot tell) | "fails", and the list of reasons ("no_join",
-- "scatter", "follows_width", "cannot_tell_width", and the null's "degenerate", "chance" or
-- "no_null") that make it fail.
M.CROSSES_RULE = "crosses_architectures"
M.RULES.crosses_architectures = "a class joins architectures, seeds do not scatter (SEEDS_KEEP_CLASS), "
  .. "follows_width is no, and the seeds' consistency beats its null (beats_null)"
function M.crosses_architectures(a, follows, null)
  local why = {}
  if a.multi == 0 then why[#why + 1] = "no_join" end
  if M.seeds_scatter(a) then why[#why + 1] = "scatter" end
  if null ~= nil and null ~= "beats" then why[#why + 1] = null end
  if follows == "yes" then
    why[#why + 1] = "follows_width"
  elseif follows == "cannot tell" and #why > 0 then
    why[#why + 1] = "cannot_tell_width"
  end
  if #why == 0 and follows == "cannot tell" then return "undecided", why end
  if #why == 0 then return "crosses", why end
  return "fails", why
end

-- One criterion of problem 2's bar on a mean iv = {mean, half, n}: met on the mean (mean >=
-- bar for at_least, else mean <= bar; an empty list never meets it), and whether the whole
-- interval lies on the same side ("whole": nil without an interval).
M.CRITERION_RULE = "criterion"
M.RULES.criterion = "the mean at least (or at most) the bar; whole: the 95% interval too"
function M.criterion(iv, bar, at_least)
  local mean = iv and iv.mean
  if not M.usable(mean) then return { met = false } end
  local met = (at_least and mean >= bar) or (not at_least and mean <= bar)
  if not M.usable(iv.half) then return { met = met } end
  local lo, hi = mean - iv.half, mean + iv.half
  return { met = met, whole = (at_least and lo >= bar) or (not at_least and hi <= bar) }
end

-- Problem 2's bar on the three means: {acc, params, time, count} (criteria met).
function M.meets_bar(acc_frac, param_frac, time_mult)
  local m = { acc = M.criterion(acc_frac, M.BAR.acc, true).met, params = M.criterion(param_frac, M.BAR.params, false).met,
    time = M.criterion(time_mult, M.BAR.time, false).met }
  m.count = (m.acc and 1 or 0) + (m.params and 1 or 0) + (m.time and 1 or 0)
  return m
end

-- "No weight decay, no low-rank bias" (low-rank-bias grid) from the per-seed differences
-- iv = {mean, half, n} of the rank at weight decay 0 minus the rank at initialisation, and
-- the initial rank: "holds" when the whole interval lies above -WD0_INIT_MARGIN x initial
-- rank, "fails" when it lies wholly below, "undecided" when it reaches both sides, "one"
-- for one seed, "empty" for none.
M.WD0_RULE = "wd0_no_bias"
M.RULES.wd0_no_bias = "the 95% interval of (rank at wd 0 - rank at init) above -WD0_INIT_MARGIN x initial rank"
function M.wd0_no_bias(iv, init)
  if not iv or not M.usable(iv.mean) or not M.usable(init) then return "empty" end
  if not M.usable(iv.half) then return "one" end
  local margin = M.WD0_INIT_MARGIN * init
  if iv.mean - iv.half > -margin then return "holds" end
  if iv.mean + iv.half < -margin then return "fails" end
  return "undecided"
end

-- Whether two horizons are "equal" (HORIZON_MATCH).
function M.same_horizon(ha, hb) return math.abs(math.log(ha / hb)) < math.log(1 + M.HORIZON_MATCH) end

-- A problem 2 variant's first weight decay against the base one: "constant" (within
-- SAME_WD_TOL), "lowered", "raised"; "" without one.
function M.wd_change(wd1, wd)
  if not wd1 then return "" end
  if math.abs(wd1 - wd) <= M.SAME_WD_TOL then return "constant" end
  return wd1 < wd and "lowered" or "raised"
end

-- Whether a figure "rises" with another, the users' question ("does the rank rise with the
-- memorised fraction?"), from Spearman's rho s = {rho, lo, hi, n}: "yes" when rho_sign is
-- positive, "no" when it is negative (it falls) or the 95% interval lies within
-- [-RHO_NEGLIGIBLE, RHO_NEGLIGIBLE] (no relation of any size), "cannot tell" otherwise
-- (an interval containing 0 and a sizeable rho, too few runs, an undefined rho).
M.RHO_NEGLIGIBLE = 0.3
M.RISES_RULE = "rises"
M.RULES.rises = "rho_sign positive (yes); negative, or the 95% interval within +-RHO_NEGLIGIBLE (no); else cannot tell"
function M.rises(s)
  local sign = M.rho_sign(s)
  if sign == "positive" then return "yes" end
  if sign == "negative" then return "no" end
  if sign == "none" and s.lo >= -M.RHO_NEGLIGIBLE and s.hi <= M.RHO_NEGLIGIBLE then return "no" end
  return "cannot tell"
end

-- One answer from several verdicts of rule `rises` (one per weight decay): "yes" / "no" when
-- every one with an answer says so (at least one does), "mixed" when some say yes and some
-- no, "cannot tell" when none answers.
M.ALL_AGREE_RULE = "all_agree"
M.RULES.all_agree = "every yes/no verdict the same (that answer), both present (mixed), none (cannot tell)"
function M.all_agree(list)
  local yes, no = 0, 0
  for _, v in ipairs(list) do
    if v == "yes" then yes = yes + 1 elseif v == "no" then no = no + 1 end
  end
  if yes > 0 and no > 0 then return "mixed" end
  if yes > 0 then return "yes" end
  if no > 0 then return "no" end
  return "cannot tell"
end

-- Whether a value depends on a factor (the plateau rank on depth), from the 95% intervals
-- {mean, half} of its levels: "yes" when two levels' intervals are disjoint, "no" when every
-- pair overlaps, "cannot tell" with fewer than 2 levels or a level without an interval
-- (missing levels, nil, are left out).
M.DEPENDS_RULE = "depends"
M.RULES.depends = "two levels' 95% intervals disjoint (yes); all overlapping (no); < 2 levels or one without an interval (cannot tell)"
function M.depends(list)
  local ivs = {}
  for _, iv in pairs(list) do
    if iv and M.usable(iv.mean) then
      if not M.usable(iv.half) then return "cannot tell" end
      ivs[#ivs + 1] = iv
    end
  end
  if #ivs < 2 then return "cannot tell" end
  for i = 1, #ivs do
    for j = i + 1, #ivs do
      local a, b = ivs[i], ivs[j]
      if a.mean + a.half < b.mean - b.half or b.mean + b.half < a.mean - a.half then return "yes" end
    end
  end
  return "no"
end

-- "Is the convergent rank a property of the task rather than the width?" from one layer
-- family's plateau fits, one per depth (stats.plateau: width nil when the rank still grows
-- at the widest widths) and the depends verdict on their plateau values: "yes" when every
-- depth has a plateau and its value does not depend on depth, "no" when no depth has one
-- or the value depends on depth, "cannot tell" otherwise.
M.TASK_PROPERTY_RULE = "task_property"
M.RULES.task_property = "a plateau at every depth and depends = no (yes); no plateau at any depth, or depends = yes (no); else cannot tell"
function M.task_property(plateau_widths, depth_verdict, depths)
  local found = 0
  for _, w in pairs(plateau_widths) do if w then found = found + 1 end end
  if depths == 0 then return "cannot tell" end
  if found == 0 or depth_verdict == "yes" then return "no" end
  if found == depths and depth_verdict == "no" then return "yes" end
  return "cannot tell"
end

-- Problem 1's weight-decay sweep: validation accuracy "holds" at a weight decay when its
-- mean lies within ACC_HOLDS of the best weight decay's mean.
M.ACC_HOLDS = 0.01
M.ACC_HOLDS_RULE = "accuracy_holds"
M.RULES.accuracy_holds = "mean validation accuracy >= the best weight decay's mean - ACC_HOLDS"
function M.accuracy_holds(acc, best)
  return M.usable(acc) and M.usable(best) and acc >= best - M.ACC_HOLDS
end

-- Whether the rank plateaus over the weight decays where accuracy holds, from the depends
-- verdict on their rank intervals and their number: "yes" (at least 2 decays, no pair of
-- intervals disjoint), "no" (two disjoint), "cannot tell" (fewer than 2, or depends cannot tell).
M.PLATEAUS_RULE = "plateaus"
M.RULES.plateaus = "over >= 2 weight decays where accuracy holds, depends = no (yes), depends = yes (no), else cannot tell"
function M.plateaus(dep, n)
  if n < 2 then return "cannot tell" end
  if dep == "no" then return "yes" end
  if dep == "yes" then return "no" end
  return "cannot tell"
end

-- Where memorisation sets in along weight decay, from the cells of one noise level and size
-- in increasing weight decay, each { wd, fraction = {mean, half, n} }: the largest weight
-- decay whose mean memorised fraction is >= MEMORISATION_ONSET (memorisation sets in at or
-- below it), "none" when no cell reaches it, "all" when every cell does; returns the verdict
-- and that weight decay (nil for "none").
M.ONSET_RULE = "memorisation_onset"
M.RULES.memorisation_onset = "the largest weight decay whose mean memorised fraction >= MEMORISATION_ONSET"
function M.memorisation_onset(cells)
  local at, all, any = nil, #cells > 0, false
  for _, c in ipairs(cells) do
    local m = c.fraction and c.fraction.mean
    if M.usable(m) and m >= M.MEMORISATION_ONSET then
      any = true
      if not at or c.wd > at then at = c.wd end
    else
      all = false
    end
  end
  if not any then return "none", nil end
  return all and "all" or "below", at
end

-- The named constants, for facts.json (a reader sees the thresholds beside the verdicts).
function M.constants()
  return { RHO_PERFECT_MIN_N = M.RHO_PERFECT_MIN_N, FOLLOWS_WIDTH = M.FOLLOWS_WIDTH,
    MEMORISED_TRAIN_ACC = M.MEMORISED_TRAIN_ACC, SEEDS_KEEP_CLASS = M.SEEDS_KEEP_CLASS, BAR = M.BAR,
    WD0_INIT_MARGIN = M.WD0_INIT_MARGIN, HORIZON_MATCH = M.HORIZON_MATCH, SAME_WD_TOL = M.SAME_WD_TOL,
    ALPHA = M.ALPHA, NULL_DRAWS = M.NULL_DRAWS, BOOTSTRAP_DRAWS = M.BOOTSTRAP_DRAWS,
    DEGENERATE_MAX_DISTINCT = M.DEGENERATE_MAX_DISTINCT, COLLAPSE_RANK_SLACK = M.COLLAPSE_RANK_SLACK,
    NC1_COLLAPSED = M.NC1_COLLAPSED, TEACHER_TARGET = M.TEACHER_TARGET, FRONT_MIN_SEEDS = M.FRONT_MIN_SEEDS, COLLAPSED_CHANCE = M.COLLAPSED_CHANCE, NORM_PATIENCE = M.NORM_PATIENCE, NORM_REL_TOL = M.NORM_REL_TOL,
    MEMORISATION_ONSET = M.MEMORISATION_ONSET, RHO_NEGLIGIBLE = M.RHO_NEGLIGIBLE, ACC_HOLDS = M.ACC_HOLDS }
end

return M
