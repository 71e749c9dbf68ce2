-- report.lua - problem 2's tables and report, written from runs.jsonl and iterations/:
-- iterations.csv (every iteration of every loop run, with its fixed_point verdict),
-- loops.csv (one row per loop run), baselines.csv, teacher.csv, the figures and report.md.
-- Every sentence of the report is written from the numbers printed beside it; means come
-- with 95% intervals (Student's t over seeds, common/stats.lua), and ratios to the dense
-- network are taken seed by seed against the dense network of the same seed.
local rh = require "rankhost"
local stats = require "common.stats"
local doc = require "common.report"
local options = require "common.options"
local settings = require "problem2.settings"
local loop = require "problem2.loop"
local plan_of = require "problem2.plan"
local figures = require "problem2.figures"
local train = require "problem2.train"

local M = {}

local num = doc.num
local function joined(w, sep) return table.concat(w, sep or "-") end
local function ci(xs, digits) return stats.fmt_ci(xs, digits or 3) end

-- The bar of issue 16: accuracy fraction at least, parameter fraction and time multiple at most.
M.BAR = { acc = 0.98, params = 0.20, time = 3 }

-- Records of the plan's runs of `kind` (optionally of one task and variant) that finished, in
-- plan order; skipped ones are left out.
local function records(plan, done, kind, task, variant)
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

local function values(list, f)
  local out = {}
  for _, r in ipairs(list) do
    local v = f(r)
    if v ~= nil then out[#out + 1] = v end
  end
  return out
end

-- What a method's final network scored, per record: the loop's final network, or a baseline.
local function final_of(r)
  if r.kind == "iterate" then
    return { acc = r.final.test_acc, params = r.final.parameters, widths = r.final.widths, seconds = r.total_seconds,
      flops = r.total_flops }
  end
  return { acc = r.test_acc, params = r.parameters, widths = r.cuttlefish_ranks or r.widths, seconds = r.total_seconds,
    flops = r.total_flops }
end

-- Per-seed ratios to the dense network of the same seed, over a list of records.
local function ratios(list)
  local s = { n = #list, acc = {}, acc_frac = {}, param_frac = {}, time_mult = {}, flop_mult = {}, widths = {},
    by_seed = {} }
  for _, r in ipairs(list) do
    local f = final_of(r)
    s.acc[#s.acc + 1] = f.acc
    s.acc_frac[#s.acc_frac + 1] = f.acc / r.dense_test_acc
    s.param_frac[#s.param_frac + 1] = f.params / r.dense_parameters
    s.time_mult[#s.time_mult + 1] = f.seconds / r.dense_seconds
    s.flop_mult[#s.flop_mult + 1] = f.flops / r.dense_flops
    s.widths[#s.widths + 1] = joined(f.widths)
    s.by_seed[r.seed_index] = f.acc
  end
  return s
end

-- Which of the bar's three criteria the means meet: {acc=, params=, time=, count=}.
local function meets(s)
  local m = { acc = (stats.mean(s.acc_frac) or 0) >= M.BAR.acc, params = (stats.mean(s.param_frac) or 1) <= M.BAR.params,
    time = (stats.mean(s.time_mult) or math.huge) <= M.BAR.time }
  m.count = (m.acc and 1 or 0) + (m.params and 1 or 0) + (m.time and 1 or 0)
  return m
end

local function yes(b) return b and "yes" or "no" end

-- Paired differences b - a of accuracies by seed.
local function paired(a, b)
  local d = {}
  for seed, x in pairs(a.by_seed) do
    if b.by_seed[seed] then d[#d + 1] = b.by_seed[seed] - x end
  end
  return d
end

-- What a mean of one seed has instead of an interval.
local NO_INTERVAL = "one seed, no interval"

-- Words for a paired interval of differences.
local function diff_words(d, more, less)
  local m, h = stats.ci95(d)
  if not m then return "cannot be compared (no seed in common)" end
  if not h then return string.format("differs by %+.4f (%s)", m, NO_INTERVAL) end
  if m - h > 0 then return string.format("is %s by %.4f ± %.4f", more, m, h) end
  if m + h < 0 then return string.format("is %s by %.4f ± %.4f", less, -m, h) end
  return string.format("differs by %+.4f ± %.4f, which these seeds cannot tell from no difference", m, h)
end

-- Rows of every loop run: {record, rows (iterations/<id>.jsonl)}.
local function loop_rows(out, list)
  local res = {}
  for _, r in ipairs(list) do
    local path = out .. "/iterations/" .. r.id .. ".jsonl"
    res[#res + 1] = { record = r, rows = rh.io.exists(path) and rh.log.read_jsonl(path) or {} }
  end
  return res
end

-- ---- CSV files ----

local ITER_HEADER = { "run", "task", "variant", "seed", "iteration", "widths", "neurons", "parameters", "train_acc",
  "test_acc", "epochs", "seconds", "cum_seconds", "cum_flops", "weight_decay", "lr", "init", "loss", "stopped",
  "wd_horizon", "ranks", "rank_measure", "next_widths", "fixed_point", "final" }

local function iteration_rows(loops, o)
  local out = {}
  for _, l in ipairs(loops) do
    local r = l.record
    for i, row in ipairs(l.rows) do
      local nxt = l.rows[i + 1] and l.rows[i + 1].widths or (i == #l.rows and r.next_widths) or nil
      -- the verdict of the policy's answer after this iteration (none after a rejected one)
      local fp = nxt and yes(loop.fixed_point(row.widths, nxt, o.fp_slack, o.fp_rel_slack)) or ""
      local ranks, measure = {}, row.rank_measure or "energy"
      for j = 1, #row.widths do ranks[j] = row.ranks and row.ranks[j][measure] or "" end
      out[#out + 1] = { r.id, r.task, r.variant, r.seed_index, row.iteration, joined(row.widths, ";"),
        joined(row.neurons, ";"), row.parameters, row.train_acc, row.test_acc, row.epochs, row.seconds, row.cum_seconds,
        row.cum_flops, row.weight_decay, row.lr, row.init, row.loss, row.stopped, row.wd_horizon, joined(ranks, ";"),
        measure, nxt and joined(nxt, ";") or "", fp, yes(row.iteration == r.final_iteration) }
    end
  end
  return out
end

local LOOP_HEADER = { "run", "task", "wstar", "variant", "seed", "stop", "iterations", "final_iteration",
  "final_widths", "final_parameters", "final_test_acc", "dense_test_acc", "dense_parameters", "total_seconds",
  "dense_seconds", "acc_vs_dense", "params_vs_dense", "time_vs_dense", "flops_vs_dense", "next_widths", "stop_text" }

local function loop_csv_rows(list)
  local out = {}
  for _, r in ipairs(list) do
    out[#out + 1] = { r.id, r.task, r.wstar or "", r.variant, r.seed_index, r.stop, r.iterations, r.final_iteration,
      joined(r.final.widths, ";"), r.final.parameters, r.final.test_acc, r.dense_test_acc, r.dense_parameters,
      r.total_seconds, r.dense_seconds, r.final.test_acc / r.dense_test_acc, r.final.parameters / r.dense_parameters,
      r.total_seconds / r.dense_seconds, r.total_flops / r.dense_flops, r.next_widths and joined(r.next_widths, ";") or "",
      r.stop_text }
  end
  return out
end

local BASE_HEADER = { "run", "method", "task", "variant", "seed", "of", "widths", "neurons", "parameters", "train_acc",
  "test_acc", "seconds", "total_seconds", "epochs", "stopped", "wd_horizon", "dense_test_acc", "acc_vs_dense",
  "params_vs_dense", "time_vs_dense", "flops_vs_dense" }

local function baseline_rows(list)
  local out = {}
  for _, r in ipairs(list) do
    out[#out + 1] = { r.id, r.kind, r.task, r.variant or "", r.seed_index, r.of or r.dense,
      joined(r.cuttlefish_ranks or r.widths, ";"), joined(r.neurons, ";"), r.parameters, r.train_acc, r.test_acc,
      r.seconds, r.total_seconds, r.epochs, r.stopped, r.wd_horizon, r.dense_test_acc, r.test_acc / r.dense_test_acc,
      r.parameters / r.dense_parameters, r.total_seconds / r.dense_seconds, r.total_flops / r.dense_flops }
  end
  return out
end

-- ---- the analysis ----

-- Per image variant: its loop runs' ratios and its baselines'.
local function variant_summaries(plan, done, ctx)
  local out = {}
  for _, v in ipairs(ctx.image_variants) do
    local runs = records(plan, done, "iterate", "img", v.id)
    local s = { variant = v, runs = runs, loop = ratios(runs), baselines = {} }
    s.meets = meets(s.loop)
    for _, kind in ipairs(plan_of.BASELINES) do
      local list = records(plan, done, kind, "img", kind ~= "cuttlefish" and v.id or nil)
      if #list > 0 then
        local b = ratios(list)
        b.kind, b.meets = kind, meets(b)
        s.baselines[#s.baselines + 1] = b
      end
    end
    out[#out + 1] = s
  end
  return out
end

-- The best configuration: the most of the bar's criteria met (on means), then the highest
-- accuracy fraction.
local function best_of(sums)
  local best
  for _, s in ipairs(sums) do
    if s.loop.n > 0 then
      local af = stats.mean(s.loop.acc_frac)
      if not best or s.meets.count > best.meets.count
        or (s.meets.count == best.meets.count and af > stats.mean(best.loop.acc_frac)) then
        best = s
      end
    end
  end
  return best
end

local function stops_text(runs)
  local c = {}
  for _, r in ipairs(runs) do c[r.stop] = (c[r.stop] or 0) + 1 end
  local parts = {}
  for _, k in ipairs { "fixed_point", "margin", "cap", "diverged" } do
    if c[k] then parts[#parts + 1] = string.format("%s %d", k:gsub("_", " "), c[k]) end
  end
  return table.concat(parts, ", ")
end

local function variant_kind(v, o)
  if not v.wd1 then return "" end
  if math.abs(v.wd1 - o.weight_decay) <= 1e-12 then return "constant" end
  return v.wd1 < o.weight_decay and "lowered" or "raised"
end

local function headline(d, best, o)
  if not best then
    d:p("No loop run of the image task has finished yet: there is no headline.")
    return
  end
  local s, m = best.loop, best.meets
  local dense_acc = values(best.runs, function(r) return r.dense_test_acc end)
  d:p(string.format("**Best configuration: the %s variant** (%s weight decay; chosen as the variant whose means meet "
    .. "the most of the three criteria, then by accuracy). Over %d seeds its final network reaches test accuracy %s, "
    .. "**%s of the dense network's** (dense: %s), with **%s of its parameters** (%s), in **%s times its training time** "
    .. "(%s times its FLOPs, which other load on the machine does not change).",
    best.variant.label, variant_kind(best.variant, o), s.n, ci(s.acc, 4), ci(s.acc_frac, 4), ci(dense_acc, 4),
    ci(s.param_frac, 3), table.concat(s.widths, ", "), ci(s.time_mult, 3), ci(s.flop_mult, 3)))
  -- each criterion on the mean, and whether its whole 95% interval is on the right side
  local function crit(xs, bar, at_least)
    local mean, half = stats.ci95(xs)
    local ok = at_least and mean >= bar or (not at_least and mean <= bar)
    if not half then return string.format("%s (%.3g: %s)", ok and "met" or "not met", mean, NO_INTERVAL) end
    local lo, hi = mean - half, mean + half
    local whole = at_least and lo >= bar or (not at_least and hi <= bar)
    return string.format("%s (interval %.3g to %.3g%s)", ok and "met" or "not met", lo, hi,
      ok == whole and "" or (ok and ", which crosses the bar" or ", which reaches it"))
  end
  d:p(string.format("**The bar (at least %g%% of dense accuracy with at most %g%% of its parameters in at most %gx its "
    .. "training time) is %s** on the means: accuracy %s; parameters %s; time %s.", 100 * M.BAR.acc,
    100 * M.BAR.params, M.BAR.time, m.count == 3 and "met" or "not met", crit(s.acc_frac, M.BAR.acc, true),
    crit(s.param_frac, M.BAR.params, false), crit(s.time_mult, M.BAR.time, false)))
  local win, win_bar
  for _, b in ipairs(best.baselines) do
    if not win or stats.mean(b.acc) > stats.mean(win.acc) then win = b end
    if b.meets.count == 3 and (not win_bar or stats.mean(b.acc) > stats.mean(win_bar.acc)) then win_bar = b end
  end
  local function said(b)
    return string.format("**%s**: test accuracy %s (%s of dense, %s of its parameters, %s times its time, %s times its "
      .. "FLOPs); against the loop's final network (paired by seed) its accuracy %s", b.kind, ci(b.acc, 4),
      ci(b.acc_frac, 4), ci(b.param_frac, 3), ci(b.time_mult, 3), ci(b.flop_mult, 3),
      diff_words(paired(s, b), "higher", "lower"))
  end
  if win then d:p("The most accurate baseline at these widths is " .. said(win) .. ".") end
  if win_bar and win_bar ~= win then
    d:p("Of the baselines whose means meet the bar, the most accurate is " .. said(win_bar) .. ".")
  elseif not win_bar and win then
    d:p("No baseline's means meet the bar.")
  end
end

-- How the runs were trained: the --jobs their records give.
local function jobs_text(list)
  local seen, order = {}, {}
  for _, r in ipairs(list) do
    local j = r.jobs or 1
    if not seen[j] then seen[j] = true; order[#order + 1] = j end
  end
  table.sort(order)
  local parts = {}
  for i, j in ipairs(order) do
    parts[i] = j > 1 and string.format("in local worker processes, %d at a time, one BLAS thread each", j)
      or "one run at a time in the main process (--jobs 1)"
  end
  return #parts > 0 and table.concat(parts, " or ") or "(no run recorded how)"
end

local function setup(d, o, ctx, dense_img, rules_text)
  local image = ctx.tasks.image
  d:p(string.format("**Data.** %s; the dense network has hidden widths %s (%s parameters). Teacher tasks: %s. "
    .. "**Seeds:** %d per configuration.", image.name, joined(o.hidden), num(dense_img[1] and dense_img[1].parameters),
    #o.teacher_widths > 0 and string.format("teacher MLPs of hidden width w* = %s (input dim %d, %d training "
      .. "samples, 10 classes), student hidden widths %s, variant %s", joined(o.teacher_widths, ", "), o.teacher_dim,
      o.teacher_n, joined(o.teacher_hidden), ctx.teacher_variant.label) or "none", o.seeds))
  d:p("**Every training** (dense, each iteration, each baseline): " .. rules_text .. ". Test accuracy is read "
    .. "after the cooldown; every rank comes from the singular values of fit's last rank check (one SVD per layer).")
  local ep = values(dense_img, function(r) return r.epochs end)
  local hz = values(dense_img, function(r) return r.wd_horizon end)
  local conv = #values(dense_img, function(r) return r.converged and 1 or nil end)
  local t = values(dense_img, function(r) return r.seconds end)
  if #dense_img > 0 then
    d:p(string.format("**The dense networks** (image task) trained %s epochs to a horizon H of %s; their ranks "
      .. "converged in %d of %d; training time %s s (the unit of every time multiple below).", ci(ep, 3), ci(hz, 3),
      conv, #dense_img, ci(t, 3)))
  end
  local vs = {}
  for _, v in ipairs(ctx.image_variants) do
    vs[#vs + 1] = string.format("%s (weight decay %s at iteration 1: %s)", v.label, num(v.wd1),
      variant_kind(v, o))
  end
  d:p(string.format("**The loop.** Policy `%s`; variants: %s. After each iteration the policy reads the converged "
    .. "ranks; the run stops at a **fixed point** when every layer's next width is within max(%g, %g x width) of its "
    .. "width, at the **margin** when test accuracy falls more than %g below the dense network's (the network before "
    .. "it is then the final one), or at the **cap** of %d iterations (teacher tasks: %d).", ctx.policy.path,
    table.concat(vs, "; "), o.fp_slack, o.fp_rel_slack, o.margin, o.max_iters, o.teacher_max_iters))
  d:p(string.format("**Times** are training seconds (fit's steps and the cooldown; evaluation, rank checks and "
    .. "surgery excluded), measured %s. A loop run's time includes its dense network's and every iteration it trained, "
    .. "a rejected last one included. Other load on the machine makes them noisy: compare the dense networks' spread "
    .. "above; the FLOP ratios (6 x parameters x samples seen) are what load does not change.",
    jobs_text(dense_img)))
end

local function variants_table(d, sums)
  local rows = {}
  for _, s in ipairs(sums) do
    local l = s.loop
    rows[#rows + 1] = { s.variant.label, #s.runs, stops_text(s.runs), ci(values(s.runs, function(r) return r.iterations end), 2),
      table.concat(l.widths, ", "), ci(l.param_frac, 3), ci(l.acc, 4), ci(l.acc_frac, 4), ci(l.time_mult, 3),
      ci(l.flop_mult, 3), ci(values(s.last_rows or {}, function(r) return r.wd_horizon end), 3),
      s.meets.count == 3 and "yes" or string.format("no (%d of 3)", s.meets.count) }
  end
  d:add(doc.md_table({ "variant", "runs", "stops", "iterations", "final widths (per seed)", "parameters / dense",
    "test acc", "acc / dense", "time / dense", "FLOPs / dense", "H of the last iteration", "meets the bar" }, rows))
end

local function baselines_section(d, sums)
  for _, s in ipairs(sums) do
    if #s.baselines > 0 then
      d:h(3, "At the final widths of the " .. s.variant.label .. " variant")
      local rows = { { "loop (" .. s.variant.label .. ")", table.concat(s.loop.widths, ", "), ci(s.loop.param_frac, 3),
        ci(s.loop.acc, 4), ci(s.loop.acc_frac, 4), ci(s.loop.time_mult, 3), ci(s.loop.flop_mult, 3), "",
        s.meets.count == 3 and "yes" or "no" } }
      for _, b in ipairs(s.baselines) do
        local dd = paired(s.loop, b)
        rows[#rows + 1] = { b.kind, table.concat(b.widths, ", "), ci(b.param_frac, 3), ci(b.acc, 4), ci(b.acc_frac, 4),
          ci(b.time_mult, 3), ci(b.flop_mult, 3), ci(dd, 3), b.meets.count == 3 and "yes" or "no" }
      end
      d:add(doc.md_table({ "method", "widths or ranks (per seed)", "parameters / dense", "test acc", "acc / dense",
        "time / dense", "FLOPs / dense", "acc minus loop (paired)", "meets the bar" }, rows))
    end
  end
end

-- The teacher table: per w*, where the loop's final first hidden layer lands.
local function teacher_rows(plan, done, o)
  local out, points = {}, {}
  for _, w in ipairs(o.teacher_widths) do
    local runs = records(plan, done, "iterate", "t" .. w)
    local widths = values(runs, function(r) return r.final.widths[1] end)
    local ratio = values(runs, function(r) return r.final.widths[1] / w end)
    local dense_rank = {}
    for _, r in ipairs(runs) do
      local dr = done[r.dense]
      if dr and dr.ranks then dense_rank[#dense_rank + 1] = dr.ranks[1][dr.rank_measure or "energy"] end
      points[#points + 1] = { wstar = w, width = r.final.widths[1] }
    end
    local m, h = stats.ci95(ratio)
    local verdict = not m and "no runs" or not h and "one run" or (m - h > 1 and "above w*")
      or (m + h < 1 and "below w*") or "w* inside the interval"
    out[#out + 1] = { wstar = w, runs = runs, widths = widths, ratio = ratio, ratio_mean = m, ratio_half = h,
      verdict = verdict, dense_rank = dense_rank,
      rejected = values(runs, function(r) return r.stop == "margin" and r.last_widths[1] or nil end),
      acc = values(runs, function(r) return r.final.test_acc end),
      dense_acc = values(runs, function(r) return r.dense_test_acc end) }
  end
  return out, points
end

local TEACHER_HEADER = { "wstar", "runs", "stops", "final_width_mean", "final_width_ci95", "final_widths",
  "width_over_wstar_mean", "width_over_wstar_ci95", "verdict", "dense_rank_layer1", "final_test_acc", "dense_test_acc" }

local function teacher_csv_rows(trows)
  local out = {}
  for _, t in ipairs(trows) do
    local m, h = stats.ci95(t.widths)
    out[#out + 1] = { t.wstar, #t.runs, stops_text(t.runs), m or "", h or "", joined(t.widths, ";"), t.ratio_mean or "",
      t.ratio_half or "", t.verdict, joined(t.dense_rank, ";"), stats.mean(t.acc) or "", stats.mean(t.dense_acc) or "" }
  end
  return out
end

local function teacher_section(d, trows, o)
  d:p(string.format("Where the loop ends against the teacher's hidden width w*: the final width of the student's "
    .. "first hidden layer (the last network within the margin), its ratio to w* with the 95%% interval, and the "
    .. "width whose accuracy fell below the margin where a run stopped there. Dense rank: the %s rank of the dense "
    .. "student's first layer, per seed.", o.rank_measure))
  local rows = {}
  for _, t in ipairs(trows) do
    rows[#rows + 1] = { t.wstar, #t.runs, stops_text(t.runs), ci(t.widths, 3), joined(t.widths, ", "), ci(t.ratio, 3),
      t.verdict, #t.rejected > 0 and joined(t.rejected, ", ") or "", joined(t.dense_rank, ", "), ci(t.acc, 4),
      ci(t.dense_acc, 4) }
  end
  d:add(doc.md_table({ "w*", "runs", "stops", "final width", "per seed", "final / w*", "verdict",
    "width rejected at the margin", "dense rank (layer 1)", "final test acc", "dense test acc" }, rows))
  local lines = {}
  for _, t in ipairs(trows) do
    if #t.runs > 0 then
      local m, h = t.ratio_mean, t.ratio_half
      lines[#lines + 1] = string.format("- w* = %d: the loop ended at width %s (per seed %s; stops: %s%s); final / w* "
        .. "%s%s: %s.", t.wstar, ci(t.widths, 3), joined(t.widths, ", "), stops_text(t.runs), #t.rejected > 0
        and string.format("; the widths that fell below the margin: %s", joined(t.rejected, ", ")) or "", ci(t.ratio, 3),
        h and string.format(" (interval %.2f to %.2f)", m - h, m + h) or "", t.verdict)
    end
  end
  d:p(table.concat(lines, "\n"))
end

local function iterations_section(d, loops_by_variant)
  local rows = {}
  for _, v in ipairs(loops_by_variant) do
    for k = 0, math.huge do
      local at = {}
      for _, rr in ipairs(v.runs_rows) do if rr[k + 1] then at[#at + 1] = rr[k + 1] end end
      if #at == 0 then break end
      rows[#rows + 1] = { v.label, k, #at, table.concat(values(at, function(r) return joined(r.widths) end), ", "),
        ci(values(at, function(r) return r.test_acc end), 4), ci(values(at, function(r) return r.epochs end), 3),
        ci(values(at, function(r) return r.wd_horizon end), 3), #values(at, function(r) return r.converged and 1 or nil end),
        ci(values(at, function(r) return r.cum_seconds end), 3) }
    end
  end
  d:add(doc.md_table({ "variant", "iteration", "runs", "widths (per run)", "test acc", "epochs", "horizon H",
    "rank converged", "cumulative seconds" }, rows))
end

-- Writes every table, figure and report.md into out; returns the names written.
-- ctx = {variants, order, image_variants, teacher_variant, rules, tasks, policy}.
function M.write_all(out, o, plan, done, ctx)
  local written = {}
  local function write(name, text)
    rh.io.write_atomic(out .. "/" .. name, text)
    written[#written + 1] = name
  end
  local all_loops = records(plan, done, "iterate")
  local loops = loop_rows(out, all_loops)
  local rows_by_id = {} -- each loop run's iterations/<id>.jsonl, read once
  for _, l in ipairs(loops) do rows_by_id[l.record.id] = l.rows end
  write("iterations.csv", doc.csv(ITER_HEADER, iteration_rows(loops, o)))
  write("loops.csv", doc.csv(LOOP_HEADER, loop_csv_rows(all_loops)))
  local base = {}
  for _, kind in ipairs(plan_of.BASELINES) do
    for _, r in ipairs(records(plan, done, kind)) do base[#base + 1] = r end
  end
  write("baselines.csv", doc.csv(BASE_HEADER, baseline_rows(base)))
  local trows, tpoints = teacher_rows(plan, done, o)
  write("teacher.csv", doc.csv(TEACHER_HEADER, teacher_csv_rows(trows)))

  local sums = variant_summaries(plan, done, ctx)
  local best = best_of(sums)
  local by_variant = {}
  for _, s in ipairs(sums) do
    local rr = {}
    s.last_rows = {}
    for _, r in ipairs(s.runs) do
      local rows = rows_by_id[r.id]
      rr[#rr + 1] = rows
      s.last_rows[#s.last_rows + 1] = rows[#rows]
    end
    if #rr > 0 then by_variant[#by_variant + 1] = { label = s.variant.label, runs_rows = rr } end
  end

  -- figures
  local figs = {}
  if #by_variant > 0 then
    local points = {}
    for _, b in ipairs(best and best.baselines or {}) do
      local records_b = records(plan, done, b.kind, "img", b.kind ~= "cuttlefish" and best.variant.id or nil)
      local t = stats.mean(values(records_b, function(r) return r.total_seconds end))
      local a, ah = stats.ci95(b.acc)
      if t then points[#points + 1] = { name = b.kind .. " (" .. best.variant.label .. " widths)", x = t, y = a, err = ah } end
    end
    figs[#figs + 1] = { file = "accuracy_vs_time.png", fig = figures.accuracy_vs_time(by_variant, points, o),
      caption = "Mean test accuracy over seeds at each iteration (the runs that reached it) against the mean cumulative "
        .. "training time, with its 95% band; the baselines at the best variant's final widths as points with 95% "
        .. "error bars." }
    figs[#figs + 1] = { file = "widths.png", fig = figures.widths(by_variant, #o.hidden, o),
      caption = "Mean width of each hidden layer by iteration (runs that reached the iteration)." }
    local spectra = {}
    local dense1 = records(plan, done, "dense", "img")[1]
    if dense1 and dense1.svals then spectra[1] = { name = "dense", svals = dense1.svals[1] } end
    for _, s in ipairs(sums) do
      local row = s.runs[1] and rows_by_id[s.runs[1].id][s.runs[1].final_iteration + 1]
      if row and row.svals then spectra[#spectra + 1] = { name = s.variant.label .. " final", svals = row.svals[1] } end
    end
    if #spectra > 0 then
      figs[#figs + 1] = { file = "spectra.png", fig = figures.spectra(spectra, o),
        caption = "Singular values of the first hidden layer's weight after the cooldown, seed 1." }
    end
  end
  if #tpoints > 0 then
    figs[#figs + 1] = { file = "teacher_widths.png", fig = figures.teacher(tpoints, o.teacher_widths, o),
      caption = "Each teacher run's final width (first hidden layer) against the teacher's hidden width w*; the line "
        .. "is width = w*." }
  end
  local drawn = figures.draw_all(out, figs)
  for _, f in ipairs(drawn) do written[#written + 1] = f.file end

  -- report
  local d = doc.document()
  d:h(1, "Problem 2: iterative rank pruning to a fixed point")
  d:h(2, "Headline")
  headline(d, best, o)
  d:h(2, "Setup")
  setup(d, o, ctx, records(plan, done, "dense", "img"), train.rule_text(ctx.rules))
  d:h(2, "Variants (image task)")
  d:p("Per variant, over its seeds: how the runs stopped, the final network (the last one within the margin) and its "
    .. "ratios to the dense network of the same seed, mean ± 95% interval.")
  variants_table(d, sums)
  local stop_lines = {}
  for _, r in ipairs(records(plan, done, "iterate", "img")) do
    stop_lines[#stop_lines + 1] = string.format("- `%s`: %s; %d iterations trained in %.1f s of training, %.2f times "
      .. "the dense network's %.1f s.", r.id, r.stop_text, r.iterations, r.total_seconds, r.total_seconds / r.dense_seconds,
      r.dense_seconds)
  end
  d:p(table.concat(stop_lines, "\n"))
  d:h(2, "Baselines")
  d:p("Each trained once by the same rules on the same data: **same_time** a dense network for the loop run's total "
    .. "time; **magnitude** the trained dense network pruned to the final widths by incoming-weight norm, then trained; "
    .. "**scratch** the final widths from a fresh start; **cuttlefish** each hidden layer of the trained dense network "
    .. "factored at rank ceil(stable rank now x full rank / stable rank at initialisation) (Wang et al., MLSys 2023), "
    .. "then trained (its ranks in the widths column). Time multiples count the dense network's training where a "
    .. "method starts from it (magnitude, cuttlefish).")
  baselines_section(d, sums)
  if #trows > 0 then
    d:h(2, "Ground truth: teacher MLPs of known hidden width")
    teacher_section(d, trows, o)
  end
  d:h(2, "Iterations")
  iterations_section(d, by_variant)
  d:h(2, "Figures")
  for _, f in ipairs(drawn) do d:image(f.title, f.file, f.caption) end
  d:h(2, "Files")
  d:p("`iterations.csv` every iteration of every loop run (`fixed_point`: whether the policy's answer after it was "
    .. "within the slack; `final`: the run's final network); `loops.csv` one row per loop run; `baselines.csv` the "
    .. "baselines; `teacher.csv` the teacher-width table; `runs.jsonl` every run's record; `iterations/<run>.jsonl` "
    .. "each iteration with every rank measure and the singular values; `checkpoints/` the weights.")
  d:h(2, "Options")
  d:p("`" .. options.describe(settings.SPEC, o) .. "`")
  write("report.md", d:text())
  return written
end

return M
