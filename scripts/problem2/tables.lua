-- tables.lua - problem 2's CSV files: iterations.csv (every iteration of every loop run,
-- with its fixed_point verdict), loops.csv (one row per loop run), baselines.csv and
-- teacher.csv (from problem2/facts.lua's teacher facts). Each function returns a header and rows.
local loop = require "problem2.loop"
local settings = require "problem2.settings"

local M = {}

local function joined(w, sep) return table.concat(w, sep or "-") end
local function bool(b) return b and "true" or "false" end -- CSV booleans (docs/results.md)

local function stops_text(counts)
  local parts = {}
  for _, k in ipairs { "fixed_point", "margin", "cap", "diverged" } do
    if counts[k] then parts[#parts + 1] = string.format("%s %d", k:gsub("_", " "), counts[k]) end
  end
  return table.concat(parts, ", ")
end
M.stops_text = stops_text

-- The teacher verdict's words (problem2/facts.lua: the side of final width / w* against 1).
M.TEACHER_WORDS = { empty = "no runs", one = "one run", above = "above w*", below = "below w*",
  contains = "w* inside the interval" }

local ITER_HEADER = { "run", "task", "variant", "seed", "iteration", "widths", "neurons", "parameters", "train_acc",
  "val_acc", "test_acc", "epochs", "seconds", "cum_seconds", "cum_flops", "weight_decay", "lr", "init", "loss", "stopped",
  "wd_horizon", "horizon_reached", "converged", "ranks", "rank_measure", "next_widths", "fixed_point", "final",
  "width_ranks", "width_measure" }

function M.iterations(loops, o)
  local out = {}
  local wm = settings.read_measure(o)
  for _, l in ipairs(loops) do
    local r = l.record
    for i, row in ipairs(l.rows) do
      -- after the last row: the policy's answer (none after a network rejected at the margin or
      -- diverged: problem2/loop.lua leaves next_widths out then)
      local nxt = l.rows[i + 1] and l.rows[i + 1].widths or (i == #l.rows and r.next_widths) or nil
      -- the verdict of the policy's answer after this iteration (none after a rejected one)
      local fp = nxt and bool(loop.fixed_point(row.widths, nxt, o.fp_slack, o.fp_rel_slack)) or ""
      local ranks, measure = {}, row.rank_measure or "energy"
      local wranks = {}
      for j = 1, #row.widths do
        ranks[j] = row.ranks and row.ranks[j][measure] or ""
        wranks[j] = row.ranks and row.ranks[j][wm] or ""
      end
      out[#out + 1] = { r.id, r.task, r.variant, r.seed_index, row.iteration, joined(row.widths, ";"),
        joined(row.neurons, ";"), row.parameters, row.train_acc, row.val_acc, row.test_acc, row.epochs, row.seconds, row.cum_seconds,
        row.cum_flops, row.weight_decay, row.lr, row.init, row.loss, row.stopped, row.wd_horizon,
        row.horizon_reached == nil and "" or bool(row.horizon_reached), bool(row.converged), joined(ranks, ";"),
        measure, nxt and joined(nxt, ";") or "", fp, bool(row.iteration == r.final_iteration), joined(wranks, ";"),
        wm }
    end
  end
  return ITER_HEADER, out
end

-- pareto.csv: every point of the fronts (problem2/facts.lua): a method's network, the means and
-- 95% half-widths over seeds of test accuracy, accuracy / dense and each cost / dense, whether
-- it is on each cost's front, and whether its means meet the bar.
local PARETO_HEADER = { "method", "variant", "iteration", "seeds", "test_acc", "test_acc_ci95", "acc_vs_dense",
  "acc_vs_dense_ci95", "params_vs_dense", "params_vs_dense_ci95", "flops_vs_dense", "flops_vs_dense_ci95",
  "seconds_vs_dense", "seconds_vs_dense_ci95", "front_params", "front_flops", "front_seconds", "meets_bar" }

function M.pareto(points)
  local out = {}
  local function h(x) return x.half or "" end
  for _, p in ipairs(points) do
    out[#out + 1] = { p.method, p.variant, p.iteration or "", p.n, p.acc.mean, h(p.acc), p.acc_frac.mean, h(p.acc_frac),
      p.param_frac.mean, h(p.param_frac), p.flop_mult.mean, h(p.flop_mult), p.time_mult.mean, h(p.time_mult),
      bool(p.front.param_frac), bool(p.front.flop_mult), bool(p.front.time_mult), bool(p.meets.count == 3) }
  end
  return PARETO_HEADER, out
end

local LOOP_HEADER = { "run", "kind", "task", "wstar", "variant", "seed", "stop", "iterations", "final_iteration",
  "final_widths", "final_parameters", "final_test_acc", "dense_test_acc", "dense_parameters", "total_seconds",
  "dense_seconds", "acc_vs_dense", "params_vs_dense", "time_vs_dense", "flops_vs_dense", "next_widths", "stop_text",
  "init", "final_val_acc" }

function M.loops(list)
  local out = {}
  for _, r in ipairs(list) do
    out[#out + 1] = { r.id, r.kind, r.task, r.wstar or "", r.variant, r.seed_index, r.stop, r.iterations, r.final_iteration,
      joined(r.final.widths, ";"), r.final.parameters, r.final.test_acc, r.dense_test_acc, r.dense_parameters,
      r.total_seconds, r.dense_seconds, r.final.test_acc / r.dense_test_acc, r.final.parameters / r.dense_parameters,
      r.total_seconds / r.dense_seconds, r.total_flops / r.dense_flops,
      r.next_widths and joined(r.next_widths, ";") or "",
      r.stop_text, r.init or "", r.final.val_acc or "" }
  end
  return LOOP_HEADER, out
end

local BASE_HEADER = { "run", "method", "task", "variant", "seed", "of", "widths", "neurons", "parameters", "train_acc",
  "test_acc", "seconds", "total_seconds", "epochs", "stopped", "wd_horizon", "dense_test_acc", "acc_vs_dense",
  "params_vs_dense", "time_vs_dense", "flops_vs_dense" }

function M.baselines(list)
  local out = {}
  for _, r in ipairs(list) do
    out[#out + 1] = { r.id, r.kind, r.task, r.variant or "", r.seed_index, r.of or r.dense,
      joined(r.cuttlefish_ranks or r.widths, ";"), joined(r.neurons, ";"), r.parameters, r.train_acc, r.test_acc,
      r.seconds, r.total_seconds, r.epochs, r.stopped, r.wd_horizon, r.dense_test_acc, r.test_acc / r.dense_test_acc,
      r.parameters / r.dense_parameters, r.total_seconds / r.dense_seconds, r.total_flops / r.dense_flops }
  end
  return BASE_HEADER, out
end

local TEACHER_HEADER = { "teacher_kind", "wstar", "arm", "start", "runs", "stops", "landing_mean", "landing_ci95", "landings",
  "landing_over_wstar_mean", "landing_over_wstar_ci95", "target", "runs_in_target", "fixed_points", "final_width_mean",
  "final_width_ci95", "final_widths", "width_over_wstar_mean", "width_over_wstar_ci95", "verdict", "final_target",
  "final_runs_in_target", "dense_rank_layer1",
  "final_test_acc", "dense_test_acc" }

function M.teacher(trows)
  local out = {}
  for _, t in ipairs(trows) do
    out[#out + 1] = { t.teacher_kind, t.wstar, t.arm, t.start or "", t.runs, stops_text(t.stops), t.landing.mean or "",
      t.landing.half or "", joined(t.landings, ";"), t.landing_ratio.mean or "", t.landing_ratio.half or "", t.target,
      t.in_target, t.fixed_points, t.width.mean or "", t.width.half or "", joined(t.widths, ";"), t.ratio.mean or "",
      t.ratio.half or "", M.TEACHER_WORDS[t.ratio.side], t.final_target, t.final_in_target, joined(t.dense_rank, ";"), t.acc.mean or "",
      t.dense_acc.mean or "" }
  end
  return TEACHER_HEADER, out
end

return M
