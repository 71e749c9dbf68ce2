-- facts.lua - problem 2's analysis as facts: per image variant, its loop runs' final
-- networks and their ratios to the dense network of the same seed (means with 95%
-- intervals, Student's t over seeds), the bar's verdict on each (common/verdicts.lua's BAR
-- and criterion), the baselines at the same widths with their accuracy minus the loop's
-- (paired by seed), the best variant, the teacher table (final width / w* against 1), the
-- dense networks, and the iterations. build returns the facts (facts.json; report.lua's
-- prose reads only these) and the runs they were taken over (for the CSV files and figures).
local rh = require "rankhost"
local stats = require "common.stats"
local facts = require "common.facts"
local verdicts = require "common.verdicts"
local options = require "common.options"
local settings = require "problem2.settings"
local plan_of = require "problem2.plan"
local train = require "problem2.train"

local M = {}

local values = stats.values
local iv = facts.interval
local function joined(w, sep) return table.concat(w, sep or "-") end

-- Records of the plan's runs of `kind` (optionally of one task and variant) that finished, in
-- plan order; skipped ones are left out.
function M.records(plan, done, kind, task, variant)
  local out = {}
  for _, run in ipairs(plan) do
    local r = done[run.id]
    if r and not r.skipped and run.kind == kind and (not task or run.task == task)
      and (not variant or run.variant == variant) then
      out[#out + 1] = r
    end
  end
  return out
end
local records = M.records

-- What a method's final network scored, per record: the loop's final network, or a baseline.
local function final_of(r)
  if r.kind == "iterate" or r.kind == "inherit" or r.kind == "halve" or r.kind == "narrow" then
    return { acc = r.final.test_acc, val = r.final.val_acc, params = r.final.parameters, widths = r.final.widths,
      seconds = r.total_seconds, flops = r.total_flops }
  end
  return { acc = r.test_acc, val = r.val_acc, params = r.parameters, widths = r.cuttlefish_ranks or r.widths,
    seconds = r.total_seconds, flops = r.total_flops }
end

-- Per-seed ratios to the dense network of the same seed over a list of records: the facts
-- (intervals, widths, the bar) and, apart, each seed's accuracy (for paired differences).
local function ratios(list, by)
  local acc, acc_frac, val_frac, param_frac, time_mult, flop_mult, widths, by_seed = {}, {}, {}, {}, {}, {}, {}, {}
  for _, r in ipairs(list) do
    local f = final_of(r)
    acc[#acc + 1] = f.acc
    acc_frac[#acc_frac + 1] = f.acc / r.dense_test_acc
    val_frac[#val_frac + 1] = (f.val and r.dense_val_acc) and f.val / r.dense_val_acc or nil
    param_frac[#param_frac + 1] = f.params / r.dense_parameters
    time_mult[#time_mult + 1] = f.seconds / r.dense_seconds
    flop_mult[#flop_mult + 1] = f.flops / r.dense_flops
    widths[#widths + 1] = joined(f.widths)
    -- by seed: test accuracy, or (by = "params" / "val") parameters / dense, validation accuracy
    -- (by "val" never falls back to the test accuracy: a seed without a validation accuracy is left out)
    if by == "params" then
      by_seed[r.seed_index] = f.params / r.dense_parameters
    elseif by == "val" then
      by_seed[r.seed_index] = f.val
    else
      by_seed[r.seed_index] = f.acc
    end
  end
  local s = { n = #list, acc = iv(acc), acc_frac = iv(acc_frac), val_frac = iv(values(val_frac)),
    param_frac = iv(param_frac), time_mult = iv(time_mult), flop_mult = iv(flop_mult), widths = widths }
  s.meets = verdicts.meets_bar(s.acc_frac, s.param_frac, s.time_mult)
  -- the same bar on validation accuracy: what the choice of the best variant reads
  s.meets_val = verdicts.meets_bar(s.val_frac, s.param_frac, s.time_mult)
  return s, by_seed
end

-- Paired differences b - a of accuracies by seed.
local function paired(a, b)
  local d = {}
  for seed, x in pairs(a) do
    if b[seed] then d[#d + 1] = b[seed] - x end
  end
  return d
end

local function stop_counts(runs)
  local c = {}
  for _, r in ipairs(runs) do c[r.stop] = (c[r.stop] or 0) + 1 end
  return c
end

-- Per image variant: its loop runs' facts, its baselines' (each with its accuracy minus the
-- loop's, paired by seed), the H of each run's last iteration and the runs themselves.
local function variant_summaries(plan, done, ctx, rows_by_id)
  local out, runs_of = {}, {}
  for _, v in ipairs(ctx.image_variants) do
    local runs = records(plan, done, "iterate", "img", v.id)
    local loop, loop_seeds = ratios(runs)
    local last_h = {}
    for _, r in ipairs(runs) do
      local rows = rows_by_id[r.id]
      last_h[#last_h + 1] = rows[#rows] and rows[#rows].wd_horizon
    end
    -- the inherited twin: the same loop started each iteration from the previous network
    local inh_runs = records(plan, done, "inherit", "img", v.id)
    local inherited
    if #inh_runs > 0 then
      local inh, inh_seeds = ratios(inh_runs)
      local _, fresh_params = ratios(runs, "params")
      local _, inh_params = ratios(inh_runs, "params")
      local _, fresh_val = ratios(runs, "val")
      local _, inh_val = ratios(inh_runs, "val")
      -- at the same widths: the twins' iteration 1 (both cut from the same dense network to the
      -- widths the policy read from it), test accuracy by seed
      local function first(list)
        local by, widths = {}, {}
        for _, r in ipairs(list) do
          local row = rows_by_id[r.id] and rows_by_id[r.id][2]
          if row and row.test_acc then by[r.seed_index], widths[r.seed_index] = row.test_acc, joined(row.widths) end
        end
        return by, widths
      end
      local f1, fw = first(runs)
      local i1, iw = first(inh_runs)
      local same = 0
      for seed, w in pairs(fw) do if iw[seed] == w then same = same + 1 end end
      inherited = { loop = inh, init = inh_runs[1].init, stops = stop_counts(inh_runs),
        first_vs_fresh = facts.against(paired(f1, i1)), first_same_widths = same,
        first_lower = #values(paired(f1, i1), function(x) return x < 0 and x or nil end),
        final_same_size = (function()
          local d = paired(fresh_params, inh_params)
          for _, x in ipairs(d) do if x ~= 0 then return false end end
          return #d > 0
        end)(),
        vs_fresh = facts.against(paired(loop_seeds, inh_seeds)),
        params_vs_fresh = facts.against(paired(fresh_params, inh_params)),
        val_vs_fresh = facts.against(paired(fresh_val, inh_val)) }
    end
    local s = { variant = v.id, label = v.label, inherited = inherited, wd1 = v.wd1, wd_change = verdicts.wd_change(v.wd1, ctx.weight_decay),
      runs = #runs, stops = stop_counts(runs), iterations = iv(values(runs, function(r) return r.iterations end)),
      loop = loop, last_horizon = iv(values(last_h)), baselines = {} }
    for _, kind in ipairs(plan_of.BASELINES) do
      local list = records(plan, done, kind, "img", kind ~= "cuttlefish" and v.id or nil)
      if #list > 0 then
        local b, b_seeds = ratios(list)
        b.kind = kind
        b.vs_loop = facts.against(paired(loop_seeds, b_seeds))
        b.seconds = stats.mean(values(list, function(r) return r.total_seconds end))
        s.baselines[#s.baselines + 1] = b
      end
    end
    out[#out + 1] = s
    runs_of[#out] = runs
  end
  return out, runs_of
end

-- The best configuration, chosen on validation accuracy alone (the test set is the report's):
-- the most of the bar's criteria met on the means with validation accuracy / dense, then the
-- highest validation accuracy / dense.
local function best_of(sums)
  local best
  for _, s in ipairs(sums) do
    if s.loop.n > 0 then
      local af = s.loop.val_frac.mean
      if not best or s.loop.meets_val.count > best.loop.meets_val.count
        or (s.loop.meets_val.count == best.loop.meets_val.count and af > best.loop.val_frac.mean) then
        best = s
      end
    end
  end
  return best
end
M.best_of = best_of

-- Each criterion of the bar on the best variant's means, with its interval's ends.
local function bar_facts(s)
  local function crit(x, bar, at_least)
    local c = verdicts.criterion(x, bar, at_least)
    c.mean, c.bar, c.at_least, c.rule = x.mean, bar, at_least, verdicts.CRITERION_RULE
    if x.half then c.lo, c.hi = x.mean - x.half, x.mean + x.half end
    return c
  end
  return { acc = crit(s.acc_frac, verdicts.BAR.acc, true), params = crit(s.param_frac, verdicts.BAR.params, false),
    time = crit(s.time_mult, verdicts.BAR.time, false), met = s.meets.count == 3, count = s.meets.count }
end

-- The headline: the best variant, the dense accuracy of its seeds, the bar, the most
-- accurate baseline and the most accurate of those that meet the bar.
local function headline(best, runs)
  if not best then return nil end
  local h = { variant = best.variant, dense_acc = iv(values(runs, function(r) return r.dense_test_acc end)),
    bar = bar_facts(best.loop), selection = "on validation accuracy: the most of the bar's criteria met on the means with validation accuracy / "
      .. "dense, then the highest validation accuracy / dense" }
  local win, win_bar
  for _, b in ipairs(best.baselines) do
    if not win or b.acc.mean > win.acc.mean then win = b end
    if b.meets.count == 3 and (not win_bar or b.acc.mean > win_bar.acc.mean) then win_bar = b end
  end
  h.most_accurate_baseline = win and win.kind
  h.most_accurate_meeting_bar = win_bar and win_bar.kind
  return h
end

-- The two arms of a teacher task: the loop from the dense student (shrinking) and the
-- start-narrow loop (below w*, which the policy must grow).
M.ARMS = { { kind = "iterate", arm = "from dense" }, { kind = "narrow", arm = "from narrow" } }

-- The teacher table: per w* and arm, where the loop ends against w*. The landing is the
-- width of the first hidden layer of the run's last trained network (what the width policy
-- chose last, before any margin stop); the final width that of the last network within the
-- margin (a start-narrow run has no margin stop: its final network is its last).
local function teacher_rows(plan, done, o)
  local out, points = {}, {}
  for _, kind in ipairs(o.teacher_kind) do
  for _, w in ipairs(o.teacher_widths) do
    for _, a in ipairs(M.ARMS) do
      local runs = records(plan, done, a.kind, settings.teacher_task(kind, w))
      local widths = values(runs, function(r) return r.final.widths[1] end)
      local landings = values(runs, function(r) return r.last_widths[1] end)
      local dense_rank = {}
      for _, r in ipairs(runs) do
        local dr = done[r.dense]
        if a.kind == "iterate" and dr and dr.ranks then dense_rank[#dense_rank + 1] = dr.ranks[1][settings.read_measure(o)] end
        points[#points + 1] = { wstar = w, width = r.last_widths[1], arm = kind .. ", " .. a.arm }
      end
      local ratio = facts.against(values(runs, function(r) return r.final.widths[1] / w end), 1)
      if ratio.half then ratio.lo, ratio.hi = ratio.mean - ratio.half, ratio.mean + ratio.half end
      local lratio = facts.against(values(runs, function(r) return r.last_widths[1] / w end), 1)
      if lratio.half then lratio.lo, lratio.hi = lratio.mean - lratio.half, lratio.mean + lratio.half end
      lratio.target, lratio.target_rule = verdicts.in_target(lratio), verdicts.TARGET_RULE
      ratio.target, ratio.target_rule = verdicts.in_target(ratio), verdicts.TARGET_RULE
      local function count_in(f)
        return #values(runs, function(r) return verdicts.within_target(f(r) / w) and 1 or nil end)
      end
      out[#out + 1] = { wstar = w, teacher_kind = kind, arm = a.arm, kind = a.kind, runs = #runs, stops = stop_counts(runs),
        start = runs[1] and (runs[1].start and runs[1].start[1] or o.teacher_hidden[1]) or nil,
        width = iv(widths), widths = widths, ratio = ratio, landing = iv(landings), landings = landings,
        landing_ratio = lratio, target = lratio.target,
        in_target = count_in(function(r) return r.last_widths[1] end),
        final_target = ratio.target, final_in_target = count_in(function(r) return r.final.widths[1] end),
        fixed_points = stop_counts(runs).fixed_point or 0, dense_rank = dense_rank,
        fixed_widths = values(runs, function(r) return r.stop == "fixed_point" and r.final.widths[1] or nil end),
        fixed_in_target = count_in(function(r) return r.stop == "fixed_point" and r.final.widths[1] or -1 end),
        rejected = values(runs, function(r) return r.stop == "margin" and r.last_widths[1] or nil end),
        acc = iv(values(runs, function(r) return r.final.test_acc end)),
        dense_acc = iv(values(runs, function(r) return r.dense_test_acc end)) }
    end
  end
  end
  return out, points
end

-- Fixed points under constant weight decay: per (task kind, arm), the loop runs and how many
-- stopped at a fixed point (the image task's constant variant from dense, its narrow runs,
-- the teachers' runs from dense and from narrow under the teacher variant).
local function fixed_point_counts(plan, done, o, teacher_variant)
  local out = {}
  -- within: the fixed points whose network is within --margin of the dense network's
  -- validation accuracy (a narrow run's own margin reads its best iteration instead)
  local function add(name, list)
    if #list == 0 then return end
    local fp, within = 0, 0
    for _, r in ipairs(list) do
      if r.stop == "fixed_point" then
        fp = fp + 1
        if r.final.val_acc and r.dense_val_acc and r.final.val_acc >= r.dense_val_acc - o.margin then within = within + 1 end
      end
    end
    out[#out + 1] = { name = name, runs = #list, fixed_points = fp, within_dense_margin = within }
  end
  add("image, from dense", records(plan, done, "iterate", "img", "constant"))
  add("image, from narrow", records(plan, done, "narrow", "img"))
  for _, kind in ipairs(o.teacher_kind) do
    local td, tn = {}, {}
    for _, w in ipairs(o.teacher_widths) do
      local id = settings.teacher_task(kind, w)
      for _, r in ipairs(records(plan, done, "iterate", id, teacher_variant)) do td[#td + 1] = r end
      for _, r in ipairs(records(plan, done, "narrow", id)) do tn[#tn + 1] = r end
    end
    add(kind .. " teachers, from dense", td)
    add(kind .. " teachers, from narrow", tn)
  end
  return out
end

-- The image task's start-narrow arm beside the loop from the dense network under the same
-- (constant) decay: per seed the start, the final widths, accuracy / dense, and how it stopped.
local function image_narrow(plan, done)
  local runs = records(plan, done, "narrow", "img")
  if #runs == 0 then return nil end
  local shrink = records(plan, done, "iterate", "img", "constant")
  local function summary(list)
    local widths, landings = {}, {}
    for i, r in ipairs(list) do widths[i], landings[i] = joined(r.final.widths), joined(r.last_widths) end
    return { runs = #list, stops = stop_counts(list), widths = widths, landings = landings,
      landing_first = iv(values(list, function(r) return r.last_widths[1] end)),
      first = iv(values(list, function(r) return r.final.widths[1] end)),
      acc_frac = iv(values(list, function(r) return r.final.test_acc / r.dense_test_acc end)),
      param_frac = iv(values(list, function(r) return r.final.parameters / r.dense_parameters end)),
      iterations = iv(values(list, function(r) return r.iterations end)) }
  end
  local n = summary(runs)
  n.start = joined(runs[1].start)
  n.grew = #values(runs, function(r)
    for i, w in ipairs(r.final.widths) do if w > r.start[i] then return 1 end end
    return nil
  end)
  return { narrow = n, from_dense = #shrink > 0 and summary(shrink) or nil }
end

-- How the runs were trained: the --jobs their records give (sorted).
local function jobs_of(list)
  local seen, order = {}, {}
  for _, r in ipairs(list) do
    local j = r.jobs or 1
    if not seen[j] then seen[j] = true; order[#order + 1] = j end
  end
  table.sort(order)
  return order
end

local function dense_facts(dense_img)
  return { n = #dense_img, parameters = dense_img[1] and dense_img[1].parameters,
    epochs = iv(values(dense_img, function(r) return r.epochs end)),
    horizon = iv(values(dense_img, function(r) return r.wd_horizon end)),
    converged = #values(dense_img, function(r) return r.converged and 1 or nil end),
    seconds = iv(values(dense_img, function(r) return r.seconds end)), jobs = jobs_of(dense_img) }
end

-- Per variant and iteration k: the runs that reached it, their widths and means.
local function iteration_facts(sums, runs_of, rows_by_id)
  local out = {}
  for i, s in ipairs(sums) do
    local rr = {}
    for _, r in ipairs(runs_of[i]) do rr[#rr + 1] = rows_by_id[r.id] end
    for k = 0, math.huge do
      local at = {}
      for _, rows in ipairs(rr) do if rows[k + 1] then at[#at + 1] = rows[k + 1] end end
      if #at == 0 then break end
      local widths = {}
      for _, r in ipairs(at) do widths[#widths + 1] = joined(r.widths) end
      out[#out + 1] = { variant = s.label, iteration = k, runs = #at, widths = widths,
        test_acc = iv(values(at, function(r) return r.test_acc end)), epochs = iv(values(at, function(r) return r.epochs end)),
        horizon = iv(values(at, function(r) return r.wd_horizon end)),
        converged = #values(at, function(r) return r.converged and 1 or nil end),
        horizon_short = #values(at, function(r) return r.horizon_reached == false and 1 or nil end),
        cum_seconds = iv(values(at, function(r) return r.cum_seconds end)) }
    end
  end
  return out
end

-- ---- Pareto fronts: test accuracy against parameters, cumulative FLOPs and seconds ----
-- A point is a method's network (a loop's iteration k, a baseline at one variant's widths,
-- the dense network) with, over its seeds, the mean and 95% interval of test accuracy / dense
-- and of each cost as a ratio to the dense network of the same seed. A point is on the front
-- of a cost when no other point has at most its mean cost and at least its mean accuracy,
-- one of them strictly. The bar (common/verdicts.lua's BAR) is judged on the means.
M.GIVEN_WIDTHS = { same_time = true, magnitude = true, scratch = true }
M.COSTS = { { key = "param_frac", name = "parameters" }, { key = "flop_mult", name = "FLOPs" },
  { key = "time_mult", name = "seconds" } }

local function point(method, variant, iteration, xs)
  local p = { method = method, variant = variant, iteration = iteration, n = #xs.acc, acc = iv(xs.acc),
    acc_frac = iv(xs.acc_frac), param_frac = iv(xs.param_frac), flop_mult = iv(xs.flop_mult),
    time_mult = iv(xs.time_mult) }
  p.meets = verdicts.meets_bar(p.acc_frac, p.param_frac, p.time_mult)
  return p
end

-- A point's per-seed values, empty; add_seed appends one network of record r (its test
-- accuracy, parameters, cumulative FLOPs and seconds), each cost as a ratio to the dense
-- network of r's seed.
local function new_xs() return { acc = {}, acc_frac = {}, param_frac = {}, flop_mult = {}, time_mult = {} } end
local function add_seed(xs, r, acc, params, flops, seconds)
  xs.acc[#xs.acc + 1], xs.acc_frac[#xs.acc_frac + 1] = acc, acc / r.dense_test_acc
  xs.param_frac[#xs.param_frac + 1] = params / r.dense_parameters
  xs.flop_mult[#xs.flop_mult + 1] = flops / r.dense_flops
  xs.time_mult[#xs.time_mult + 1] = seconds / r.dense_seconds
end

-- The per-seed values of the records' final networks, for point().
local function finals(list)
  local xs = new_xs()
  for _, r in ipairs(list) do
    local f = final_of(r)
    add_seed(xs, r, f.acc, f.params, f.flops, f.seconds)
  end
  return xs
end

-- Appends a point per iteration k >= 1 of loop runs `runs`: the runs that reached it and kept
-- it (a network rejected at the margin, or diverged, is no network the loop gives).
local function iteration_points(pts, runs, rows_by_id, method, variant)
  for k = 1, math.huge do
    local xs = new_xs()
    local reached = 0
    for _, r in ipairs(runs) do
      local rows = rows_by_id[r.id] or {}
      local row = rows[k + 1]
      if row then reached = reached + 1 end
      local rejected = row and k + 1 == #rows and (r.stop == "margin" or r.stop == "diverged")
      if row and row.test_acc and not rejected then
        add_seed(xs, r, row.test_acc, row.parameters, row.cum_flops, row.cum_seconds)
      end
    end
    if reached == 0 then return end
    if #xs.acc > 0 then pts[#pts + 1] = point(method, variant, k, xs) end
  end
end

local function pareto_points(plan, done, ctx, rows_by_id)
  local pts = {}
  local dense = records(plan, done, "dense", "img")
  if #dense > 0 then
    local xs = new_xs()
    for _, d in ipairs(dense) do
      -- the dense network against itself: every ratio 1
      add_seed(xs, { dense_test_acc = d.test_acc, dense_parameters = d.parameters, dense_flops = d.cum_flops,
        dense_seconds = d.seconds }, d.test_acc, d.parameters, d.cum_flops, d.seconds)
    end
    pts[#pts + 1] = point("dense", "", 0, xs)
  end
  for _, v in ipairs(ctx.image_variants) do
    for _, kind in ipairs { { "iterate", "loop (fresh)" }, { "inherit", "loop (inherited)" } } do
      iteration_points(pts, records(plan, done, kind[1], "img", v.id), rows_by_id, kind[2], v.label)
    end
    for _, kind in ipairs(plan_of.BASELINES) do
      if kind ~= "cuttlefish" then
        local list = records(plan, done, kind, "img", v.id)
        if #list > 0 then pts[#pts + 1] = point(kind, v.label, nil, finals(list)) end
      end
    end
  end
  local cf = records(plan, done, "cuttlefish", "img")
  if #cf > 0 then pts[#pts + 1] = point("cuttlefish", "", nil, finals(cf)) end
  -- the loop started narrow (constant decay): its final networks, their costs from its own start
  local nar = records(plan, done, "narrow", "img")
  if #nar > 0 then pts[#pts + 1] = point("loop (from narrow)", "constant", nil, finals(nar)) end
  local cfe = records(plan, done, "cuttlefish_early", "img")
  if #cfe > 0 then pts[#pts + 1] = point("cuttlefish (early switch)", "", nil, finals(cfe)) end
  -- lottery tickets: each round a point
  local lt = records(plan, done, "lottery", "img")
  for round = 1, math.huge do
    local xs = new_xs()
    for _, r in ipairs(lt) do
      local q = r.rounds and r.rounds[round]
      if q and q.test_acc then add_seed(xs, r, q.test_acc, q.parameters, q.cum_flops, q.cum_seconds) end
    end
    if #xs.acc == 0 then break end
    pts[#pts + 1] = point("lottery ticket (rewind)", "", round, xs)
  end
  -- the rank-blind loop: each iteration a point, as the loop's
  iteration_points(pts, records(plan, done, "halve", "img"), rows_by_id, "halve every layer", "")
  for _, tau in ipairs(plan_of.ONESHOT_TAUS) do
    local list = {}
    for _, r in ipairs(records(plan, done, "oneshot", "img")) do if r.tau == tau then list[#list + 1] = r end end
    if #list > 0 then pts[#pts + 1] = point(string.format("one-shot rank (energy %g)", tau), "", nil, finals(list)) end
  end
  return pts
end

-- Marks each point's place on each cost's front (p.front[key] = true/false) and returns, per
-- cost, the front's points in increasing cost; plus the bar's summary: the points meeting it
-- and the most accurate of them.
local function fronts(pts, min_n)
  local out = {}
  min_n = min_n or 1
  for _, p in ipairs(pts) do p.eligible = p.n >= min_n end
  for _, c in ipairs(M.COSTS) do
    local front = {}
    for _, p in ipairs(pts) do
      local x, y = p[c.key].mean, p.acc_frac.mean
      local dominated = not p.eligible
      for _, q in ipairs(pts) do
        if dominated then break end
        local qx, qy = q[c.key].mean, q.acc_frac.mean
        if q ~= p and q.eligible and qx <= x and qy >= y and (qx < x or qy > y) then dominated = true end
      end
      p.front = p.front or {}
      p.front[c.key] = not dominated
      if not dominated then front[#front + 1] = p end
    end
    table.sort(front, function(a, b) return a[c.key].mean < b[c.key].mean end)
    local list = {}
    for i, p in ipairs(front) do
      list[i] = { method = p.method, variant = p.variant, iteration = p.iteration, cost = p[c.key].mean,
        acc_frac = p.acc_frac.mean, n = p.n }
    end
    out[#out + 1] = { cost = c.key, name = c.name, front = list }
  end
  -- the best, fastest and smallest are chosen among standalone methods: same_time, magnitude
  -- and scratch train at widths a loop run found, and their costs leave that run out
  local meeting, best, cheapest, smallest = {}, nil, nil, nil
  for _, p in ipairs(pts) do
    if p.eligible and p.meets.count == 3 and not M.GIVEN_WIDTHS[p.method] then
      local m = { method = p.method, variant = p.variant, iteration = p.iteration, acc_frac = p.acc_frac.mean,
        param_frac = p.param_frac.mean, time_mult = p.time_mult.mean, flop_mult = p.flop_mult.mean }
      meeting[#meeting + 1] = m
      if not best or m.acc_frac > best.acc_frac then best = m end
      if not cheapest or m.time_mult < cheapest.time_mult then cheapest = m end
      if not smallest or m.param_frac < smallest.param_frac then smallest = m end
    end
  end
  local loop_on = {}
  for _, c in ipairs(out) do
    loop_on[c.cost] = false
    for _, q in ipairs(c.front) do if q.method:match("^loop") then loop_on[c.cost] = true end end
  end
  return out, { meeting = meeting, best = best, cheapest = cheapest, smallest = smallest, loop_on_front = loop_on }
end
M.fronts = fronts

local function stop_lines(plan, done)
  local out = {}
  for _, r in ipairs(records(plan, done, "iterate", "img")) do
    out[#out + 1] = { id = r.id, stop_text = r.stop_text, iterations = r.iterations, seconds = r.total_seconds,
      time_mult = r.total_seconds / r.dense_seconds, dense_seconds = r.dense_seconds }
  end
  return out
end

-- Every loop network (any kind, iteration >= 1, and a narrow run's start) that collapsed to
-- chance on the validation set (verdicts.collapsed), in run order.
local function collapsed_rows(plan, done, rows_by_id, classes)
  local out = {}
  for _, run in ipairs(plan) do
    local r = done[run.id]
    for _, row in ipairs(r and rows_by_id[r.id] or {}) do
      if (row.iteration > 0 or r.kind == "narrow") and verdicts.collapsed(row.val_acc, classes) then
        out[#out + 1] = { id = r.id, iteration = row.iteration, widths = joined(row.widths), val_acc = row.val_acc }
      end
    end
  end
  return out
end

-- Every fact of the report. ctx = {variants, order, image_variants, teacher_variant, rules,
-- tasks, policy}; rows_by_id: each loop run's iterations/<id>.jsonl rows.
function M.build(o, plan, done, ctx, rows_by_id)
  local sums, runs_of = variant_summaries(plan, done, { image_variants = ctx.image_variants, weight_decay = o.weight_decay },
    rows_by_id)
  local best = best_of(sums)
  local best_runs
  for i, s in ipairs(sums) do if s == best then best_runs = runs_of[i] end end
  local trows, tpoints = teacher_rows(plan, done, o)
  local ppoints = pareto_points(plan, done, ctx, rows_by_id)
  local min_n = math.min(verdicts.FRONT_MIN_SEEDS, o.seeds)
  local pfronts, pbar = fronts(ppoints, min_n)
  local dense_img = records(plan, done, "dense", "img")
  local f = { study = "problem2", settings = facts.options(o), options_text = options.describe(settings.SPEC, o),
    image_task = ctx.tasks.image.name, teacher_variant = ctx.teacher_variant and ctx.teacher_variant.label, policy = ctx.policy.path,
    rules_text = train.rule_text(ctx.rules), dense = dense_facts(dense_img), variants = sums,
    best = best and best.variant, headline = headline(best, best_runs), teacher = trows, stops = stop_lines(plan, done),
    width_measure = settings.policy_measure(o), read_measure = settings.read_measure(o), target = verdicts.TEACHER_TARGET, image_narrow = image_narrow(plan, done),
    collapsed = collapsed_rows(plan, done, rows_by_id, ctx.tasks.image.classes or 10),
    constant_fixed_points = fixed_point_counts(plan, done, o, ctx.teacher_variant and ctx.teacher_variant.id),
    iterations = iteration_facts(sums, runs_of, rows_by_id),
    pareto = { fronts = pfronts, bar = pbar, rule = "on the means: no other point with at most the cost and at least "
      .. "the accuracy / dense, one strictly; only points of at least min_n seeds take part", points = #ppoints,
      min_n = min_n } }
  return f, { sums = sums, runs_of = runs_of, best = best, teacher_points = tpoints, pareto_points = ppoints }
end

return M
